"""Signals as sums of damped sinusoids: ESPRIT and Prony analysis, resynthesis.

A *mode* is one damped sinusoid::

    a * exp(-d * t) * cos(2 pi f t + phi)        t = n / sr, from the segment start

with frequency ``f`` (Hz), damping ``d`` (1/s; 0 sustains, positive decays,
negative grows), amplitude ``a`` and phase ``phi`` (rad).  A real signal made
of ``K`` such modes obeys a linear recurrence of order ``2 K``: each real
sinusoid is a pair of complex-conjugate *poles*
``z = exp((-d +- 2j pi f) / sr)``, and sample ``n`` of the signal is
``sum_k c_k z_k**n``.  Both methods here find the poles, then the complex
amplitudes ``c_k`` by least squares on the Vandermonde matrix ``V[n, k] =
z_k**n``; a conjugate pair gives ``a = 2 |c|`` and ``phi = angle(c)``.

- ``esprit`` (Roy & Kailath 1989): the poles span the column space of the
  Hankel data matrix ``X[i, j] = x[i + j]``; its dominant ``order``-dimensional
  subspace ``U`` (from the SVD) is shift-invariant, ``U[1:] = U[:-1] Phi``,
  and the eigenvalues of ``Phi`` are the poles.  Robust to noise: the noise
  lives in the discarded subspace.
- ``prony`` (de Prony 1795): fit the linear-prediction recurrence
  ``x[n] = -sum_i a_i x[n - i]`` by least squares (or total least squares),
  and take the roots of its characteristic polynomial.  Simple, but noise
  biases it: give it more poles than modes (``order > 2 K``) and keep the
  strongest.

**Choosing the order.**  Two poles per real sinusoid: ``order = 2 K`` for
``K`` partials.  In noise, a few extra poles (e.g. ``2 K + 4``) take up the
noise and leave the partials cleaner; ``Modes.strongest(K)`` then keeps the
``K`` loudest.  A harmonic bee sound with fundamental ``f0`` has
``floor(f_max / f0)`` partials below ``f_max``: hum at 230 Hz low-passed at
2 kHz has 8.

**Segment and decimation.**  Work on a short stretch where the sound is
steady (the model assumes fixed frequencies and exponential envelopes):
2048 to 4096 samples.  Bee partials lie below 2 kHz, so ``decimate=4``
(16 kHz -> 4 kHz) lets the same number of samples span four times longer,
sharpening the frequency estimates and removing the partials and noise above
the new Nyquist frequency (a zero-phase low-pass comes first, so phases are
kept).

Nothing here needs TensorFlow; the differentiable oscillator bank that a
neural decoder drives is in ``beeutils.dsp.ddsp``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Modes", "esprit", "prony", "resynthesize", "hankel_rows"]

#: Poles whose magnitude grows by more than exp(MAX_GROWTH) over the segment are dropped.
MAX_GROWTH = 50.0


class Modes(NamedTuple):
    """Damped sinusoids, one entry per mode, sorted by frequency.

    Attributes (each ``(n_modes,)`` float64):
        freqs_hz: frequency ``f`` in Hz (0 to sr / 2).
        dampings_per_s: decay rate ``d`` in 1/s (``exp(-d t)`` envelope; a
            mode's spectral line has a half-power half-width of
            ``d / (2 pi)`` Hz and its level falls by 8.7 dB every ``1 / d``
            seconds).
        amplitudes: ``a`` at the segment start (same unit as the signal).
        phases: ``phi`` in radians at the segment start.
    """

    freqs_hz: np.ndarray
    dampings_per_s: np.ndarray
    amplitudes: np.ndarray
    phases: np.ndarray

    def select(self, keep: np.ndarray) -> "Modes":
        """The modes where the boolean or index array ``keep`` selects them."""
        return Modes(*(np.asarray(v)[keep] for v in self))

    def rms(self, duration_s: float) -> np.ndarray:
        """Each mode's RMS level over ``[0, duration_s]`` (the analysed segment).

        A strongly damped mode can start loud and be gone after a few
        milliseconds; ranking by this level, not by the starting amplitude,
        keeps such short-lived fits of noise out of ``strongest``.
        """
        dt = 2.0 * self.dampings_per_s * float(duration_s)
        small = np.abs(dt) < 1e-9
        # mean of exp(-2 d t) over the segment: (1 - exp(-2 d T)) / (2 d T), 1 for d = 0
        mean_sq = np.where(small, 1.0, -np.expm1(-dt) / np.where(small, 1.0, dt))
        return self.amplitudes * np.sqrt(0.5 * mean_sq)

    def strongest(self, n: int, duration_s: float | None = None) -> "Modes":
        """The ``n`` strongest modes, sorted by frequency.

        Args:
            n: modes to keep.
            duration_s: rank by ``rms(duration_s)`` (use the analysed
                segment's length); ``None`` ranks by starting amplitude.
        """
        level = self.amplitudes if duration_s is None else self.rms(duration_s)
        order = np.argsort(level)[::-1][: max(0, int(n))]
        return self.select(np.sort(order))

    def centroid_hz(self, duration_s: float) -> float:
        """Power-weighted mean frequency of these modes (Hz), power = ``rms**2``.

        A crowd of bees at slightly different fundamentals makes each
        partial a narrow *band*, which the analysis splits into several close
        modes; their centroid estimates the crowd's mean fundamental far
        better than the single strongest mode does.  Select the band first
        (``in_band``).
        """
        power = self.rms(duration_s) ** 2
        if not len(power) or not np.sum(power) > 0:
            return float("nan")
        return float(np.sum(power * self.freqs_hz) / np.sum(power))

    def in_band(self, lo_hz: float, hi_hz: float) -> "Modes":
        """The modes with ``lo_hz <= f <= hi_hz``."""
        return self.select((self.freqs_hz >= lo_hz) & (self.freqs_hz <= hi_hz))

    @property
    def n_modes(self) -> int:
        """Number of modes (``len(modes)`` is 4, the number of fields)."""
        return len(self.freqs_hz)


def _as_signal(x: np.ndarray, order: int, sr: float, decimate: int) -> tuple[np.ndarray, float]:
    """Validate, optionally decimate; return the float64 signal and its rate."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"x must be one signal (samples,), got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("x holds non-finite samples")
    if int(order) != order or order < 1:
        raise ValueError(f"order must be a positive integer, got {order!r}")
    if sr <= 0:
        raise ValueError(f"sr must be positive, got {sr}")
    if int(decimate) != decimate or decimate < 1:
        raise ValueError(f"decimate must be a positive integer, got {decimate!r}")
    if decimate > 1:
        from scipy import signal

        # Zero-phase FIR low-pass then keep every q-th sample: phases at t = 0 survive.
        x = signal.decimate(x, int(decimate), ftype="fir", zero_phase=True)
        sr = sr / decimate
    if len(x) < 3 * order:
        raise ValueError(f"{len(x)} samples (after decimation) are too few for order {order}: "
                         f"need at least {3 * order}")
    if not np.any(x):
        raise ValueError("x is all zeros: there is nothing to analyse")
    return x, float(sr)


def hankel_rows(n_samples: int, order: int, max_rows: int = 512) -> int:
    """Rows of the Hankel matrix ``esprit`` uses by default.

    About a third of the samples is the classic choice (the estimates' variance
    is lowest between N/3 and N/2); capped at ``max_rows`` to bound the cost
    (the subspace comes from a ``rows x rows`` eigenproblem), and never fewer
    than ``order + 1``.
    """
    return int(max(order + 1, min(n_samples // 3, max_rows)))


def _amplitudes(x: np.ndarray, poles: np.ndarray, sr: float) -> Modes:
    """Least-squares complex amplitudes for ``poles``, folded into real modes."""
    n = np.arange(len(x))
    poles = poles.astype(np.complex128)
    # A pole that grows by more than e^50 over the segment (or is not finite)
    # is a numerical artefact of a badly conditioned fit, never a sound; it
    # would also overflow the Vandermonde matrix.
    with np.errstate(divide="ignore"):
        growth = len(x) * np.log(np.abs(poles))
    poles = poles[np.isfinite(growth) & (growth < MAX_GROWTH)]
    # z**n as exp(n log z): the same numbers, without repeated products.
    vander = np.exp(np.outer(n, np.log(poles)))
    c, *_ = np.linalg.lstsq(vander, x.astype(np.complex128), rcond=None)
    freqs = np.angle(poles) * sr / (2 * np.pi)
    damp = -np.log(np.abs(poles)) * sr
    # Poles of a real signal pair up as z, conj(z): keep f > 0 (a = 2|c|);
    # a real pole (f = 0 or sr / 2) stands alone (a = |c|).
    tol = 1e-9 * np.maximum(np.abs(poles), 1e-300)
    real = np.abs(poles.imag) <= tol
    keep = real | (poles.imag > 0)
    amps = np.where(real, np.abs(c), 2 * np.abs(c))
    phases = np.angle(c)
    freqs = np.abs(freqs)
    order = np.argsort(freqs[keep], kind="stable")
    return Modes(freqs[keep][order], damp[keep][order], amps[keep][order], phases[keep][order])


def esprit(x: np.ndarray, order: int, sr: float, *, decimate: int = 1,
           rows: int | None = None) -> Modes:
    """Damped sinusoids of a real signal by ESPRIT.

    Args:
        x: real signal ``(samples,)``, e.g. 2048-4096 samples of a steady sound.
        order: number of poles, two per real sinusoid (``2 K``), a few more
            in noise.
        sr: sample rate of ``x`` in Hz.
        decimate: analyse ``x`` decimated by this factor (zero-phase
            low-pass first); for low partials, e.g. 4 at 16 kHz.
        rows: rows of the Hankel matrix (default ``hankel_rows``).

    Returns:
        ``Modes(freqs_hz, dampings_per_s, amplitudes, phases)``, a tuple
        sorted by frequency; amplitudes and phases are at ``x[0]``.

    Raises:
        ValueError: not a finite 1-D signal, all zeros, or too short for
            ``order``.
    """
    x, sr = _as_signal(x, order, sr, decimate)
    n = len(x)
    rows = hankel_rows(n, order) if rows is None else int(rows)
    if not order < rows <= n - order:
        raise ValueError(f"rows must be in ({order}, {n - order}], got {rows}")
    cols = n - rows + 1
    # Hankel matrix X[i, j] = x[i + j] as a strided view (no copy).
    hankel = np.lib.stride_tricks.as_strided(x, shape=(rows, cols),
                                             strides=(x.strides[0], x.strides[0]))
    # Dominant left singular vectors of X = dominant eigenvectors of X X^T:
    # a rows x rows problem however long the segment.
    _, vectors = np.linalg.eigh(hankel @ hankel.T)
    signal_space = vectors[:, ::-1][:, :order]
    # Shift invariance: signal_space[1:] = signal_space[:-1] @ phi.
    phi, *_ = np.linalg.lstsq(signal_space[:-1], signal_space[1:], rcond=None)
    poles = np.linalg.eigvals(phi)
    return _amplitudes(x, poles, sr)


def prony(x: np.ndarray, order: int, sr: float, *, decimate: int = 1,
          method: str = "ls", rank: int | None = None) -> Modes:
    """Damped sinusoids of a real signal by Prony's method (linear prediction).

    Args:
        x: real signal ``(samples,)``.
        order: prediction order = number of poles (``2 K`` for ``K``
            sinusoids; more in noise, then ``Modes.strongest(K)``).
        sr: sample rate of ``x`` in Hz.
        decimate: analyse ``x`` decimated by this factor.
        method: ``"ls"`` (least-squares prediction coefficients, the classic
            form) or ``"tls"`` (total least squares: noise is allowed in the
            past samples as well as in the predicted one, which reduces the
            bias noise gives the plain form).
        rank: with ``"tls"``, the number of signal poles (``2 K``) when
            ``order`` is larger: the data matrix is treated as rank
            ``rank`` plus noise and the minimum-norm solution taken
            (Kumaresan & Tufts' idea); default ``order`` (plain TLS).

    Returns:
        ``Modes``, as ``esprit``.
    """
    if method not in ("ls", "tls"):
        raise ValueError(f"method must be 'ls' or 'tls', got {method!r}")
    x, sr = _as_signal(x, order, sr, decimate)
    n = len(x)
    # Row m predicts x[order + m] from x[m + order - 1], ..., x[m].
    past = np.lib.stride_tricks.as_strided(x, shape=(n - order, order),
                                           strides=(x.strides[0], x.strides[0]))[:, ::-1]
    target = x[order:]
    if method == "ls":
        coeffs, *_ = np.linalg.lstsq(past, -target, rcond=None)
    else:
        # [past | target] @ [a; 1] = 0 with errors in every column: the right
        # singular vector of the smallest singular value.
        rank = order if rank is None else int(rank)
        if not 1 <= rank <= order:
            raise ValueError(f"rank must be in 1..{order}, got {rank}")
        # [past | target] @ [a; 1] = 0 with errors in every column: [a; 1] lies
        # in the span of the right singular vectors beyond the first ``rank``
        # (the noise space); take the shortest such a.
        _, _, vt = np.linalg.svd(np.column_stack([past, target]), full_matrices=False)
        noise = vt[rank:].T  # (order + 1, order + 1 - rank)
        last = noise[-1]
        coeffs = noise[:-1] @ last / float(last @ last)
    poles = np.roots(np.concatenate([[1.0], coeffs]))
    return _amplitudes(x, poles, sr)


def resynthesize(freqs_hz: np.ndarray, dampings_per_s: np.ndarray, amplitudes: np.ndarray,
                 phases: np.ndarray, n_samples: int, sr: float) -> np.ndarray:
    """The signal the modes describe: ``sum a exp(-d t) cos(2 pi f t + phi)``.

    Args:
        freqs_hz, dampings_per_s, amplitudes, phases: ``(n_modes,)`` each, as
            ``esprit`` returns them (``resynthesize(*modes, n, sr)`` works).
        n_samples: length of the output.
        sr: sample rate of the output in Hz (any rate; ``t = n / sr`` from
            the segment start).

    Returns:
        float64 ``(n_samples,)``.
    """
    f, d, a, p = (np.asarray(v, dtype=np.float64).reshape(-1)
                  for v in (freqs_hz, dampings_per_s, amplitudes, phases))
    if not len(f) == len(d) == len(a) == len(p):
        raise ValueError("freqs, dampings, amplitudes and phases must have one entry per mode")
    t = np.arange(int(n_samples)) / float(sr)
    out = np.zeros(len(t))
    for fk, dk, ak, pk in zip(f, d, a, p):  # a loop over modes keeps memory at (n_samples,)
        out += ak * np.exp(-dk * t) * np.cos(2 * np.pi * fk * t + pk)
    return out
