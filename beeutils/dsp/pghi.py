"""Phase from STFT magnitude without iterations: Phase-Gradient Heuristic Integration.

Prusa, Balazs and Sondergaard (2017), "A noniterative method for
reconstruction of phase from STFT magnitude".  For a Gaussian window
``g(n) = exp(-pi n^2 / lam)`` the STFT is (up to a known factor) an analytic
function of ``x + i omega``, so the derivatives of its phase follow from those
of its log magnitude ``log s``.  With the phase referenced to the *centre* of
each window (``x`` the window centre in samples, ``omega`` in cycles per
sample)::

    d phase / d x     = 2 pi omega + (1 / lam) * d log s / d omega
    d phase / d omega = -lam * d log s / d x

(a pure tone at ``omega_0`` gives ``d phase / d x = 2 pi omega_0``; an impulse
at ``x_0`` gives ``d phase / d omega = 2 pi (x - x_0)``).  A Hann window of
length ``L`` is close to the Gaussian with ``lam = 0.25645 L^2``.

Our STFT (librosa's, ``beeutils.dsp.spectral.stft``) centres frame ``t`` on
sample ``t * hop`` but takes the FFT of the windowed frame starting at its
first sample, so its phase is referenced to the frame *start*, half a window
(``n_fft // 2`` samples) before the centre: bin ``k`` carries an extra
``exp(-2 pi i k (n_fft / 2) / n_fft) = (-1)^k``, i.e. ``+pi`` per bin in the
frequency direction.  ``pghi_phase`` returns phases in that convention, ready
for ``istft`` / ``griffin_lim``.

The derivatives are estimated on the grid by centred finite differences of
``log s`` (vectorised); the phase is then integrated from the largest
coefficients outwards (a max-heap, trapezoidal steps between neighbours), so
that the error accumulates along paths through the reliable, loud part of the
spectrogram.  Coefficients more than ``tolerance_db`` below the clip's maximum
get a random phase: their derivatives are noise.  The DC and Nyquist rows
are handled as a real signal requires: no slope across bins there, and a
phase of 0 or pi.
"""

from __future__ import annotations

import heapq
from typing import Any

import numpy as np

from beeutils.dsp.spectral import STFTConfig

__all__ = ["pghi_phase", "phase_derivatives", "GAMMA_HANN"]

#: Gaussian-window constant for a Hann window: ``lam = GAMMA_HANN * L**2``.
GAMMA_HANN = 0.25645

#: Gaussian constants of the other windows (Prusa et al. 2017, table 1).
_GAMMA = {"hann": GAMMA_HANN, "hamming": 0.29794, "blackman": 0.17954}


def _check(magnitude: Any, config: STFTConfig) -> tuple[np.ndarray, bool]:
    """``(batch, freq, time)`` float64 magnitudes, and whether the input was 2-D."""
    mag = np.asarray(magnitude, dtype=np.float64)
    if mag.ndim not in (2, 3):
        raise ValueError(
            f"magnitude must be (freq, time) or (batch, freq, time), got shape {mag.shape}"
        )
    if not np.all(np.isfinite(mag)):
        raise ValueError("magnitude has non-finite values")
    if np.any(mag < 0):
        raise ValueError("magnitude must be non-negative")
    n_freq = mag.shape[-2]
    allowed = {config.n_bins, config.n_freq_keep or config.n_bins}
    if n_freq not in allowed:
        raise ValueError(
            f"magnitude has {n_freq} frequency bins; expected {config.n_bins} "
            f"(n_fft // 2 + 1) or n_freq_keep={config.n_freq_keep}"
        )
    if config.window not in _GAMMA:
        raise ValueError(f"PGHI has no Gaussian approximation of the {config.window!r} window")
    single = mag.ndim == 2
    return (mag[np.newaxis] if single else mag), single


def _real_rows(n_freq: int, config: STFTConfig) -> list[int]:
    """The rows of ``n_freq`` bins whose coefficients a real signal keeps
    real: DC, and Nyquist when every bin is given (not a crop)."""
    return [0, -1] if n_freq == config.n_bins else [0]


def phase_derivatives(
    magnitude: Any, config: STFTConfig, floor_db: float = -100.0
) -> tuple[np.ndarray, np.ndarray]:
    """Phase steps between neighbouring STFT coefficients, from the magnitude.

    Args:
        magnitude: non-negative magnitudes ``(batch, freq, time)`` or
            ``(freq, time)`` (all bins or the lowest ``config.n_freq_keep``).
        config: the STFT settings that produced them (centred frames).
        floor_db: magnitudes are floored this far below each clip's maximum
            before the logarithm, so silent bins give finite derivatives.

    Returns:
        ``(time_step, freq_step)``, float64 arrays shaped like ``magnitude``,
        in radians: the phase advance from frame ``t`` to ``t + 1`` at a
        coefficient, and from bin ``k`` to ``k + 1`` (our frame-start phase
        convention, so the ``+pi`` per bin is included).
    """
    mag, single = _check(magnitude, config)
    n_fft, hop = config.n_fft, config.hop
    lam = _GAMMA[config.window] * n_fft**2  # samples^2; window length == n_fft here

    peak = mag.max(axis=(-2, -1), keepdims=True)
    floor = np.maximum(peak, np.finfo(np.float64).tiny) * 10.0 ** (floor_db / 20.0)
    logs = np.log(np.maximum(mag, floor))
    # d log s / d bin and d log s / d frame (centred differences; one-sided at
    # the edges, which np.gradient does).
    dlog_dk = np.gradient(logs, axis=-2) if logs.shape[-2] > 1 else np.zeros_like(logs)
    # A real signal's magnitude is even about DC and about Nyquist, so its
    # slope across bins is zero there, not the one-sided difference.
    dlog_dk[..., _real_rows(mag.shape[-2], config), :] = 0.0
    dlog_dt = np.gradient(logs, axis=-1) if logs.shape[-1] > 1 else np.zeros_like(logs)

    k = np.arange(mag.shape[-2], dtype=np.float64)[:, np.newaxis]
    # Per frame (hop samples): d phase/dx * hop with omega = k / n_fft and
    # d/d omega = n_fft d/dk.
    time_step = hop * (2.0 * np.pi * k / n_fft + (n_fft / lam) * dlog_dk)
    # Per bin (1 / n_fft cycles per sample): d phase/d omega / n_fft with
    # d/dx = (1 / hop) d/dt; plus pi for the frame-start reference.
    freq_step = -(lam / (n_fft * hop)) * dlog_dt + np.pi
    if single:
        return time_step[0], freq_step[0]
    return time_step, freq_step


def _integrate(mag: np.ndarray, time_step: np.ndarray, freq_step: np.ndarray,
               reliable: np.ndarray, phase: np.ndarray) -> None:
    """Heap integration of one clip, in place on ``phase`` (``(freq, time)``).

    The grid is padded by one never-to-do cell on every side so that the
    loop needs no bounds checks, and held in plain Python lists: indexing
    them is several times faster than indexing NumPy arrays element by element.
    """
    n_freq, n_frames = mag.shape
    width = n_frames + 2  # the stride of one frequency row in the padded grid

    def padded(a: np.ndarray, fill: Any) -> list:
        return np.pad(a, 1, constant_values=fill).ravel().tolist()

    t_step = padded(time_step, 0.0)
    f_step = padded(freq_step, 0.0)
    todo = padded(reliable, False)  # True: still to be given a phase
    out = padded(phase, 0.0)
    # The heap holds ranks (0 = loudest reliable coefficient) rather than
    # (magnitude, index) tuples: integers compare several times faster.
    neg_mag = np.pad(-mag, 1).ravel()
    order = np.flatnonzero(np.asarray(todo))
    order = order[np.argsort(neg_mag[order], kind="stable")]
    rank_arr = np.zeros(neg_mag.size, dtype=np.int64)
    rank_arr[order] = np.arange(order.size)
    rank = rank_arr.tolist()
    order = order.tolist()
    heap: list[int] = []
    push, pop = heapq.heappush, heapq.heappop
    # Start points, loudest first; a new start is taken only when the heap has
    # run dry (an island not reached from the others).
    for start in order:
        if not todo[start]:
            continue
        todo[start] = False
        out[start] = 0.0  # the global phase of an island is arbitrary
        push(heap, rank[start])
        while heap:
            i = order[pop(heap)]
            p = out[i]
            # Trapezoidal steps: the mean of the derivative at both ends.
            j = i + 1
            if todo[j]:
                todo[j] = False
                out[j] = p + 0.5 * (t_step[i] + t_step[j])
                push(heap, rank[j])
            j = i - 1
            if todo[j]:
                todo[j] = False
                out[j] = p - 0.5 * (t_step[i] + t_step[j])
                push(heap, rank[j])
            j = i + width
            if todo[j]:
                todo[j] = False
                out[j] = p + 0.5 * (f_step[i] + f_step[j])
                push(heap, rank[j])
            j = i - width
            if todo[j]:
                todo[j] = False
                out[j] = p - 0.5 * (f_step[i] + f_step[j])
                push(heap, rank[j])
    phase[...] = np.asarray(out).reshape(n_freq + 2, width)[1:-1, 1:-1]


def pghi_phase(
    magnitude: Any,
    config: STFTConfig,
    tolerance_db: float = 50.0,
    seed: int | None = 0,
) -> np.ndarray:
    """PGHI estimate of the phase of an STFT from its magnitude alone.

    Args:
        magnitude: non-negative STFT magnitudes ``(freq, time)`` or
            ``(batch, freq, time)``, from ``config`` (centred frames); ``freq``
            is all ``n_fft // 2 + 1`` bins or the lowest ``config.n_freq_keep``
            (missing high bins are zero and need no phase).
        config: the STFT settings that produced the magnitudes.
        tolerance_db: coefficients more than this many dB below their clip's
            largest are not integrated: they get a uniform random phase.
        seed: seed of those random phases (``None``: fresh randomness).

    Returns:
        float32 phases in radians, wrapped to ``(-pi, pi]``, the shape of
        ``magnitude``, in the convention of ``beeutils.dsp.spectral.stft``: so
        ``istft(magnitude * exp(1j * phase))`` is a waveform estimate, and the
        phases can start ``griffin_lim(..., init=phase)``.

    Raises:
        ValueError: wrong rank, negative or non-finite magnitudes, a bin count
            that matches neither the full nor the cropped STFT, or a window
            without a Gaussian approximation.
    """
    if not tolerance_db > 0:
        raise ValueError(f"tolerance_db must be positive, got {tolerance_db}")
    mag, single = _check(magnitude, config)
    time_step, freq_step = phase_derivatives(mag, config)
    rng = np.random.default_rng(seed)
    phase = rng.uniform(-np.pi, np.pi, size=mag.shape)
    peak = mag.max(axis=(-2, -1), keepdims=True)
    reliable = (mag > peak * 10.0 ** (-tolerance_db / 20.0)) & (peak > 0)
    for b in range(mag.shape[0]):
        _integrate(mag[b], time_step[b], freq_step[b], reliable[b], phase[b])
    # The DC and Nyquist coefficients of a real frame are real: the inverse
    # STFT keeps only their real part, so give them the nearer of 0 and pi.
    edges = _real_rows(mag.shape[-2], config)
    phase[:, edges, :] = np.where(np.cos(phase[:, edges, :]) >= 0.0, 0.0, np.pi)
    phase = np.angle(np.exp(1j * phase)).astype(np.float32)
    return phase[0] if single else phase
