"""Synthetic honeybee sounds: physically plausible clips with their recipe.

Real hive recordings cannot ship with the series, so this module builds clips
from the published figures (see the "Synthetic bee corpus" section of the
design notes):

========== ==============================================================
kind        what the clip holds
========== ==============================================================
hum         colony hum: fundamental 200-260 Hz is the strongest partial; a
            crowd of bees at slightly different fundamentals widens every
            partial, a few nearby bees fly past (small Doppler glide)
queen_toot  one long syllable (0.7-1.0 s) rising in pitch (from 82-92 % of
            f0) and in level, then short syllables of 0.2-0.3 s at f0;
            f0 390-550 Hz (about 400 Hz on emergence day, above 500 Hz a
            few days later).  A full bout (1-2 long, 7-17 short syllables)
            lasts several seconds; a 2.048 s clip holds its opening: the
            long syllable and the first few short ones.  Longer clips get
            whole bouts separated by pauses.
queen_quack pulses of 0.07-0.17 s (always under 0.2 s) at 320-380 Hz, richer
            in harmonics and with faster onsets than toots
worker_pipe pulses of 0.4-1.0 s about once a second whose fundamental rises
            from 100-200 Hz to 200-250 Hz, louder pulse after pulse
waggle      210-295 Hz carrier in runs of 0.3-1 s, pulsed at the waggle rate
            (12-16 body waggles per second)
hiss        broadband bursts centred at 3-6 kHz (defence hissing)
pre_swarm   colony hum rising in level and in fundamental (from 200-250 Hz
            toward 275-310 Hz) within the clip, over a band near 110 Hz
nobee       no bees: ambient noise, low rumble, cricket chirps at 4-5 kHz
========== ==============================================================

Building blocks, shared by all kinds (all vectorised with NumPy):

- ``_harmonic_tone``: harmonics of a time-varying fundamental; the phase is
  the cumulative sum of the instantaneous frequency, so glides are smooth.
- ``_crowd``: the sum of many bees whose fundamentals are spread normally
  around f0 tends to Gaussian noise whose spectrum has a Gaussian lobe at
  every harmonic ``k * f0`` of width ``k * jitter``; it is drawn directly in
  the frequency domain (one inverse FFT, whatever the number of bees).
- ``_pulse_envelope``: raised-cosine onsets and offsets (no clicks).
- ``_coloured_noise``: noise with a ``1 / f**exponent`` spectrum.
- ``_resonate``: the hive body, a cascade of peaking biquads (resonances of
  a few hundred Hz to 1.5 kHz) and a low-pass near 2 kHz.

Partials at or above 95 % of the Nyquist frequency (and above 5 kHz, where
the hive body leaves nothing) are dropped, so any sample rate from 2 kHz up
works.  The fundamental of the bee sounds is kept the strongest partial
after the body filter, so ``meta["f0_hz"]`` is where the spectrum peaks.

Randomness: ``np.random.default_rng(seed)`` is split into two streams, one
for the recipe (every value recorded in ``meta["params"]``) and one for the
realisation (noise samples, starting phases).  Every parameter is drawn
before an override replaces it, so ``synthesize("hum", seed=1, f0_hz=230)``
differs from ``synthesize("hum", seed=1)`` only in what ``f0_hz`` controls.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import fft as sp_fft
from scipy import signal

#: The sound kinds ``synthesize`` can make.
KINDS = (
    "hum", "queen_toot", "queen_quack", "worker_pipe",
    "waggle", "hiss", "pre_swarm", "nobee",
)

MIN_SR = 2000  # Hz; Ferrari et al. sampled hives at 2 kHz
MIN_DURATION = 0.1  # s
MAX_DURATION = 3600.0  # s
FADE_S = 0.01  # raised-cosine fade at both clip ends, s
MAX_PARTIAL_HZ = 5000.0  # the hive body leaves nothing audible above this
PARTIAL_MARGIN = 0.6  # any harmonic stays below this fraction of the fundamental

_COMMON = {
    "peak": "output peak level (linear, 0-1]",
    "body_resonances_hz": "hive-body resonance centre frequencies (Hz)",
    "body_gains_db": "hive-body resonance gains (dB), one per resonance",
    "body_q": "hive-body resonance quality factors, one per resonance",
    "body_lowpass_hz": "hive-body low-pass cutoff (Hz): energy stays below it",
    "floor_db": "white noise floor of microphone and recorder (dB re clip RMS)",
}
_HIVE = {
    "noise_level": "hive background noise RMS relative to the bee sound",
    "noise_exponent": "background noise colour: PSD ~ 1/f**exponent (1 pink, 2 brown)",
}
_BACKGROUND = {
    **_HIVE,
    "bg_f0_hz": "fundamental of the colony hum behind the sound (Hz)",
    "bg_level": "colony-hum RMS relative to the sound during its pulses",
}
_PULSES = {
    "onset_s": "start of the first pulse (s)",
    "pulses": "pulses as [start_s, end_s] pairs",
    "rise_s": "raised-cosine onset of each pulse (s)",
    "fall_s": "raised-cosine offset of each pulse (s)",
}

#: Accepted parameters of each kind: name -> description with units.
PARAMS: dict[str, dict[str, str]] = {
    "hum": {
        **_COMMON, **_HIVE,
        "f0_hz": "fundamental, the strongest partial (Hz)",
        "jitter_hz": "standard deviation of the bees' fundamentals (Hz)",
        "rolloff": "partial k has amplitude k**-rolloff",
        "am_depth": "depth of the slow colony-level amplitude modulation (0-1)",
        "am_rate_hz": "rate of that modulation (Hz)",
        "n_near_bees": "bees flying past the microphone, heard individually",
        "near_bee_offsets_hz": "their fundamentals minus f0 (Hz)",
        "near_bee_levels": "their fundamental amplitudes relative to the crowd's",
        "near_bee_pass_s": "their moments of closest approach (s)",
    },
    "queen_toot": {
        **_COMMON, **_BACKGROUND, **_PULSES,
        "f0_hz": "fundamental of the short syllables, where the long one ends (Hz)",
        "sweep_start_ratio": "a long syllable starts at this fraction of f0",
        "rolloff": "partial k has amplitude k**-rolloff",
        "n_long": "long syllables opening each bout",
        "n_short": "short syllables per bout",
        "long_level_start": "level at the start of a long syllable (its end is 1)",
    },
    "queen_quack": {
        **_COMMON, **_BACKGROUND, **_PULSES,
        "f0_hz": "fundamental (Hz)",
        "rolloff": "partial k has amplitude k**-rolloff",
        "pulse_levels": "peak level of each pulse (linear)",
    },
    "worker_pipe": {
        **_COMMON, **_BACKGROUND, **_PULSES,
        "f0_start_hz": "fundamental at the start of each pulse (Hz)",
        "f0_hz": "fundamental reached at the end of each pulse (Hz)",
        "sweep_tau": "time constant of the rise, as a fraction of the pulse",
        "rolloff": "partial k has amplitude k**-rolloff",
        "crescendo": "level ratio of each pulse to the one before",
    },
    "waggle": {
        **_COMMON, **_BACKGROUND, **_PULSES,
        "f0_hz": "carrier fundamental (Hz)",
        "waggle_rate_hz": "body waggles (sound pulses) per second during a run",
        "am_depth": "depth of the waggle pulsing (0-1)",
        "rolloff": "partial k has amplitude k**-rolloff",
    },
    "hiss": {
        **_COMMON, **_BACKGROUND, **_PULSES,
        "centre_hz": "centre of the hiss band (Hz)",
        "width_oct": "standard deviation of the hiss band (octaves)",
        "flutter_depth": "depth of the fast random amplitude flutter (0-1)",
    },
    "pre_swarm": {
        **_COMMON, **_HIVE,
        "f0_start_hz": "hum fundamental at the clip start (Hz)",
        "f0_hz": "hum fundamental reached at the clip end (Hz)",
        "jitter_hz": "standard deviation of the bees' fundamentals (Hz)",
        "rolloff": "partial k has amplitude k**-rolloff",
        "level_rise": "amplitude at the clip end over amplitude at the start",
        "low_hz": "centre of the low band whose power rises too (Hz)",
        "low_level": "low-band RMS relative to the hum",
    },
    "nobee": {
        **_COMMON,
        "ambient_exponent": "ambient noise colour: PSD ~ 1/f**exponent",
        "ambient_gust_db": "slow gusts: standard deviation of the ambient level (dB)",
        "rumble_hz": "low-pass cutoff of the rumble (Hz)",
        "rumble_level": "rumble RMS relative to the ambient noise",
        "cricket_hz": "cricket carrier frequency (Hz); dropped above Nyquist",
        "cricket_level": "cricket RMS during a syllable relative to the ambient",
        "cricket_syllable_s": "length of one cricket syllable (s)",
        "cricket_syllable_rate_hz": "syllables per second within a chirp",
        "cricket_syllables_per_chirp": "syllables per chirp",
        "cricket_chirp_rate_hz": "chirps per second",
        "onset_s": "start of the first chirp (s)",
    },
}


# --------------------------------------------------------------------------
# Parameters: draw, let the caller override, record.
# --------------------------------------------------------------------------

class _Params:
    """Records every drawn parameter; an override replaces the drawn value.

    The value is always drawn first so that overriding one parameter leaves
    the random stream, hence the other parameters, unchanged.
    """

    def __init__(self, kind: str, overrides: dict[str, Any], duration: float):
        self.kind = kind
        self.overrides = overrides
        self.duration = duration
        self.values: dict[str, Any] = {}

    def __call__(self, name: str, drawn: Any, lo: float | None = None,
                 hi: float | None = None, length: int | None = None) -> Any:
        if name not in PARAMS[self.kind]:  # a slip in this module, not the caller's
            raise RuntimeError(f"parameter {name} is not declared in PARAMS[{self.kind!r}]")
        value = self.overrides[name] if name in self.overrides else drawn
        value = _coerce(name, value, drawn, lo, hi, self.duration)
        if length is not None and len(value) != length:
            raise ValueError(f"{name} needs {length} values, got {len(value)}")
        self.values[name] = value
        return value


def _coerce(name: str, value: Any, like: Any, lo: float | None, hi: float | None,
            duration: float) -> Any:
    """Convert ``value`` to the type of the drawn ``like`` and check its range."""

    def number(v: Any, integer: bool) -> float | int:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)):
            raise ValueError(f"{name} must be a number, got {v!r}")
        v = float(v)
        if not math.isfinite(v) or (integer and v != int(v)):
            kind = "an integer" if integer else "finite"
            raise ValueError(f"{name} must be {kind}, got {v!r}")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise ValueError(f"{name} must lie in [{lo}, {hi}], got {v}")
        return int(v) if integer else v

    if name == "pulses":
        try:
            pairs = [[float(s), float(e)] for s, e in value]
        except (TypeError, ValueError):
            raise ValueError(f"pulses must be [start_s, end_s] pairs, got {value!r}") from None
        for s, e in pairs:
            if not (0.0 <= s < e <= duration):
                raise ValueError(f"pulse {[s, e]} must satisfy 0 <= start < end <= {duration}")
        return pairs
    if isinstance(like, list):
        if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
            raise ValueError(f"{name} must be a list of numbers, got {value!r}")
        return [number(v, False) for v in value]
    return number(value, isinstance(like, (int, np.integer)))


# --------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------

def _partial_limit(sr: int) -> float:
    """Highest partial frequency kept at sample rate ``sr`` (Hz)."""
    return min(MAX_PARTIAL_HZ, 0.95 * sr / 2)


def _partials(rolloff: float, f0_max: float, sr: int) -> np.ndarray:
    """Amplitudes ``k**-rolloff`` of the partials of f0 that stay below the limit.

    Partials fade out (raised cosine) between half the limit and the limit,
    so the spectrum has no hard edge where the dropped partials begin.

    Args:
        rolloff: spectral slope (amplitude of partial k is ``k**-rolloff``).
        f0_max: highest fundamental the tone reaches (Hz).
        sr: sample rate (Hz).

    Returns:
        (K,) amplitudes, K >= 1 (the fundamental is always kept).
    """
    limit = _partial_limit(sr)
    k = np.arange(1, max(1, int(limit // f0_max)) + 1, dtype=float)
    x = np.clip(2.0 * k * f0_max / limit - 1.0, 0.0, 1.0)  # 0 below limit / 2, 1 at it
    taper = 0.5 + 0.5 * np.cos(np.pi * x)
    taper[0] = 1.0
    return k ** -rolloff * taper


def _harmonic_tone(f0_track: np.ndarray, amplitudes: np.ndarray, sr: int,
                   phase0: float = 0.0) -> np.ndarray:
    """Harmonic tone following an instantaneous fundamental.

    The phase is the cumulative sum of the instantaneous frequency, so glides
    stay smooth; harmonic k is the imaginary part of ``exp(i * phase)**k``,
    computed by repeated complex multiplication in single precision (three
    times cheaper than one sine per partial, error below 1e-5).

    Args:
        f0_track: (n,) instantaneous fundamental (Hz).
        amplitudes: (K,) linear amplitude of partials 1..K.  Partials whose
            frequency ever reaches the limit (95 % of Nyquist) are dropped.
        sr: sample rate (Hz).
        phase0: starting phase of the fundamental (rad).

    Returns:
        (n,) float64 waveform.
    """
    limit = _partial_limit(sr)
    k_keep = min(len(amplitudes), max(1, int(limit // float(np.max(f0_track)))))
    phase = np.cumsum(f0_track) * (2 * np.pi / sr) + phase0
    phase = (phase % (2 * np.pi)).astype(np.float32)  # wrapped: float32 stays accurate
    z1 = np.empty(len(phase), np.complex64)
    z1.real = np.cos(phase)  # float32 trigonometry is many times faster
    z1.imag = np.sin(phase)
    out = np.float32(amplitudes[0]) * z1.imag
    zk = z1.copy()
    for a in amplitudes[1:k_keep]:
        zk *= z1
        out += np.float32(a) * zk.imag
    return out.astype(np.float64)


def _fft_grid(n: int, sr: int) -> tuple[int, np.ndarray]:
    """FFT length ``m >= n`` that factors into small primes, and its rfft bin frequencies (Hz).

    Noise is drawn ``m`` samples long and cut to ``n``: an FFT of a length
    such as 45158 (2 x a prime, 2.048 s at 22.05 kHz) would be many times slower.
    """
    m = sp_fft.next_fast_len(n, real=True)
    return m, np.fft.rfftfreq(m, 1.0 / sr)


def _noise_from_psd(rng: np.random.Generator, psd: np.ndarray, m: int, n: int) -> np.ndarray:
    """Gaussian noise whose one-sided power spectrum has the shape ``psd``.

    Args:
        rng: random generator.
        psd: (m // 2 + 1,) relative power per rfft bin (any scale), on the
            grid of ``_fft_grid``.
        m: FFT length (from ``_fft_grid``).
        n: length in samples (<= m).

    Returns:
        (n,) float64 noise of unit RMS (zeros if ``psd`` is all zero).
    """
    spec = np.zeros(m // 2 + 1, np.complex128)  # bin 0 stays 0: no DC offset
    nz = np.flatnonzero(psd[1:]) + 1
    if len(nz) == len(psd) - 1:  # dense (coloured noise): plain slices are cheaper
        spec[1:] = rng.standard_normal(2 * len(nz)).view(np.complex128) * np.sqrt(psd[1:])
    else:  # sparse (crowd lobes): draw only the bins that sound
        spec[nz] = rng.standard_normal(2 * len(nz)).view(np.complex128) * np.sqrt(psd[nz])
    x = np.fft.irfft(spec, m)[:n]
    rms = math.sqrt(float(np.mean(x * x)))
    return x / rms if rms > 0 else x


def _coloured_noise(rng: np.random.Generator, n: int, sr: int, exponent: float,
                    lo_hz: float = 20.0, hi_hz: float | None = None) -> np.ndarray:
    """Noise with power spectral density ~ ``1 / f**exponent`` between two edges.

    Args:
        exponent: 0 white, 1 pink, 2 brown.
        lo_hz: gentle (2nd-order) high-pass edge (Hz) keeping DC drift out.
        hi_hz: steep (4th-order) low-pass edge (Hz); None keeps the full band.

    Returns:
        (n,) unit-RMS float64 noise.
    """
    m, f = _fft_grid(n, sr)
    f[0] = f[1]
    r = (f / lo_hz) ** 2
    psd = f ** -exponent * r / (1.0 + r)
    if hi_hz is not None:
        psd /= 1.0 + (f / hi_hz) ** 4
    return _noise_from_psd(rng, psd, m, n)


def _crowd(rng: np.random.Generator, n: int, sr: int, f0: float, jitter_hz: float,
           amplitudes: np.ndarray, limit_hz: float | None = None) -> np.ndarray:
    """Many bees humming at fundamentals spread normally around ``f0``.

    The sum of many such oscillators is Gaussian noise whose spectrum holds a
    Gaussian lobe at each harmonic ``k * f0``, of standard deviation
    ``k * jitter_hz`` and of power ``a_k**2 / 2`` (as a sine of amplitude
    ``a_k``).  It is drawn in the frequency domain, so its cost does not
    depend on the number of bees.

    Args:
        f0: mean fundamental (Hz).
        jitter_hz: standard deviation of the fundamentals (Hz).
        amplitudes: (K,) amplitude of each partial.
        limit_hz: partials at or above this frequency are left out.

    Returns:
        (n,) float64 waveform whose partial k has power ``a_k**2 / 2``.
    """
    m, f = _fft_grid(n, sr)
    df = sr / m
    limit = _partial_limit(sr) if limit_hz is None else limit_hz
    psd = np.zeros(len(f))
    total = 0.0
    for k, a in enumerate(amplitudes, start=1):
        fc = k * f0
        if fc >= limit:
            break
        s = max(k * jitter_hz, df)  # narrower than a bin: one bin wide
        i0 = max(1, int((fc - 4 * s) / df))
        i1 = min(len(psd), int((fc + 4 * s) / df) + 2)
        lobe = np.exp(-0.5 * ((np.arange(i0, i1) * df - fc) / s) ** 2)
        psd[i0:i1] += (a * a / 2) * lobe / lobe.sum()
        total += a * a / 2
    return _noise_from_psd(rng, psd, m, n) * math.sqrt(total)


def _glide(u: np.ndarray, start: float, tau: float) -> np.ndarray:
    """Saturating rise from ``start`` (u = 0) to 1 (u = 1), time constant ``tau``.

    Args:
        u: position within a pulse, 0..1.
        start: starting ratio.
        tau: time constant as a fraction of the pulse (small: fast rise).
    """
    return start + (1.0 - start) * (-np.expm1(-u / tau)) / (-math.expm1(-1.0 / tau))


def _pulse_envelope(n: int, sr: int, pulses: Sequence[Sequence[float]],
                    levels: Sequence[float] | None = None, rise_s: float = 0.02,
                    fall_s: float = 0.02,
                    ramps: Sequence[float] | None = None) -> np.ndarray:
    """Amplitude envelope of a pulse train with raised-cosine edges (no clicks).

    Args:
        n: length in samples.
        sr: sample rate (Hz).
        pulses: [start_s, end_s] of each pulse (s).
        levels: peak level of each pulse (default 1).
        rise_s, fall_s: onset and offset lengths (s), shortened to half the
            pulse when the pulse is shorter than both.
        ramps: level at each pulse's start as a fraction of its end level
            (a linear rise inside the pulse); default 1 (flat).

    Returns:
        (n,) float64 envelope in [0, max(levels)].
    """
    env = np.zeros(n)
    for i, (s, e) in enumerate(pulses):
        i0, i1 = min(n, round(s * sr)), min(n, round(e * sr))
        m = i1 - i0
        if m <= 0:
            continue
        seg = np.ones(m)
        for length, flip in ((rise_s, False), (fall_s, True)):
            r = max(1, min(round(length * sr), m // 2))
            edge = 0.5 - 0.5 * np.cos(np.pi * (np.arange(r) + 0.5) / r)
            if flip:
                seg[m - r:] *= edge[::-1]
            else:
                seg[:r] *= edge
        if ramps is not None:
            seg *= np.linspace(ramps[i], 1.0, m)
        level = 1.0 if levels is None else levels[i]
        np.maximum(env[i0:i1], level * seg, out=env[i0:i1])
    return env


def _peaking_biquad(f0: float, gain_db: float, q: float, sr: int) -> np.ndarray:
    """One resonance: RBJ peaking-EQ biquad as a (6,) second-order section."""
    a = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * f0 / sr
    alpha = math.sin(w0) / (2 * q)
    c = math.cos(w0)
    b = np.array([1 + alpha * a, -2 * c, 1 - alpha * a])
    den = np.array([1 + alpha / a, -2 * c, 1 - alpha / a])
    return np.concatenate([b, den]) / den[0]


@dataclasses.dataclass
class _Body:
    """The hive body as filters: resonances alone, and resonances + low-pass."""

    sr: int
    resonances: np.ndarray  # (r, 6) second-order sections
    full: np.ndarray  # resonances followed by the low-pass
    used_hz: list[float]
    lowpass_hz: float | None

    def gain(self, freqs_hz: np.ndarray) -> np.ndarray:
        """|H| of the full body filter at ``freqs_hz`` (Hz), any shape."""
        z1 = np.exp(-2j * np.pi * np.asarray(freqs_hz, float) / self.sr)
        h = np.ones(z1.shape, complex)
        for b0, b1, b2, _, a1, a2 in self.full:  # a0 == 1 in every section
            h *= (b0 + z1 * (b1 + z1 * b2)) / (1 + z1 * (a1 + z1 * a2))
        return np.abs(h)


def _resonate(x: np.ndarray, sos: np.ndarray) -> np.ndarray:
    """Pass ``x`` (n,) through a cascade of second-order sections (the hive body)."""
    return signal.sosfilt(sos, x) if len(sos) else x


def _tame_partials(amplitudes: np.ndarray, f0s: Sequence[float], body: _Body) -> np.ndarray:
    """Scale harmonics down so the fundamental stays the strongest after the body.

    A resonance near harmonic k could otherwise lift it above the
    fundamental; for each representative fundamental in ``f0s`` (Hz), every
    harmonic is kept at or below ``PARTIAL_MARGIN`` times the fundamental as
    heard through the body.
    """
    amps = np.array(amplitudes, dtype=float)
    k = np.arange(1, len(amps) + 1)
    h = body.gain(np.outer(f0s, k))  # (len(f0s), K)
    allowed = PARTIAL_MARGIN * amps[0] * h[:, :1] / np.maximum(h, 1e-12)
    amps[1:] = np.minimum(amps[1:], allowed[:, 1:].min(axis=0))
    return amps


# --------------------------------------------------------------------------
# The clip context and the pieces every kind shares
# --------------------------------------------------------------------------

@dataclasses.dataclass
class _Ctx:
    kind: str
    sr: int
    duration: float
    n: int
    p: _Params
    prng: np.random.Generator  # the recipe
    nrng: np.random.Generator  # the realisation
    body: _Body | None = None

    @property
    def t(self) -> np.ndarray:
        """(n,) sample times (s)."""
        return np.arange(self.n) / self.sr


def _draw_body(c: _Ctx) -> _Body:
    """Draw the hive body: 2-3 resonances in 250-1500 Hz and a ~2 kHz low-pass."""
    p, r = c.p, c.prng
    k = int(r.integers(2, 4))
    res = p("body_resonances_hz", list(np.exp(r.uniform(np.log(250), np.log(1500), k))),
            lo=20, hi=1e5)
    m = len(res)  # overriding the centres alone still gets gains and Qs drawn
    gains = p("body_gains_db", list(r.uniform(3, 9, max(3, m))[:m]), lo=-40, hi=40, length=m)
    qs = p("body_q", list(r.uniform(1.5, 5, max(3, m))[:m]), lo=0.1, hi=100, length=m)
    lp = p("body_lowpass_hz", float(r.uniform(1600, 2400)), lo=20, hi=1e5)
    keep = [i for i, f in enumerate(res) if f < 0.45 * c.sr]
    sections = [_peaking_biquad(res[i], gains[i], qs[i], c.sr) for i in keep]
    resonances = np.array(sections).reshape(-1, 6)
    lowpass = lp if lp < 0.45 * c.sr else None
    full = resonances
    if lowpass is not None:
        full = np.vstack([resonances, signal.butter(2, lowpass, fs=c.sr, output="sos")])
    return _Body(c.sr, resonances, full, [float(res[i]) for i in keep], lowpass)


def _unit_rms(x: np.ndarray) -> np.ndarray:
    rms = math.sqrt(float(np.mean(x * x)))
    return x / rms if rms > 0 else x


def _hive_noise(c: _Ctx) -> tuple[np.ndarray, dict]:
    """Draw and make the hive background noise, scaled relative to the bee sound."""
    level = c.p("noise_level", float(c.prng.uniform(0.02, 0.08)), lo=0, hi=10)
    exponent = c.p("noise_exponent", float(c.prng.uniform(0.8, 1.8)), lo=0, hi=3)
    x = level * _coloured_noise(c.nrng, c.n, c.sr, exponent)
    return x, {"noise_colour": exponent}


def _colony_background(c: _Ctx) -> tuple[np.ndarray, dict]:
    """Colony hum and hive noise behind a pulsed sound (before the body filter)."""
    f0 = c.p("bg_f0_hz", float(c.prng.uniform(200, 260)), lo=20, hi=c.sr / 2)
    level = c.p("bg_level", float(c.prng.uniform(0.04, 0.15)), lo=0, hi=10)
    amps = _tame_partials(_partials(1.2, f0, c.sr), [f0], c.body)
    hum = level * _unit_rms(_crowd(c.nrng, c.n, c.sr, f0, 6.0, amps))
    noise, info = _hive_noise(c)
    return hum + noise, info


def _layout(r: np.random.Generator, duration: float, onset: float,
            length: Callable[[int], float], gap: Callable[[int], float]) -> list[list[float]]:
    """Lay pulses out from ``onset``: pulse i lasts ``length(i)`` s, then ``gap(i)`` s.

    The clip is a window into a longer sequence: the pulse running into the
    clip end is cut there (its offset still fades smoothly) when at least
    half of it fits, dropped otherwise.  If not even one pulse fits, a
    single pulse is squeezed into the clip.
    """
    end = duration - FADE_S
    pulses: list[list[float]] = []
    t = onset
    while True:
        d = length(len(pulses))
        if t + d > end:
            if end - t >= 0.5 * d:
                pulses.append([t, end])
            break
        pulses.append([t, t + d])
        t += d + gap(len(pulses) - 1)
    if not pulses:
        s = min(onset, 0.2 * duration)
        pulses = [[s, min(s + d, end)]]
    return pulses


def _draw_pulses(c: _Ctx, onset: tuple[float, float], length: Callable[[int], float],
                 gap: Callable[[int], float], rise: tuple[float, float],
                 fall: tuple[float, float]) -> tuple[list[list[float]], float, float]:
    """Draw onset, pulse layout and edge lengths (s) of a pulsed kind."""
    p, r = c.p, c.prng
    t0 = p("onset_s", min(float(r.uniform(*onset)), 0.25 * c.duration), lo=0, hi=c.duration)
    pulses = p("pulses", _layout(r, c.duration, t0, length, gap))
    rise_s = p("rise_s", float(r.uniform(*rise)), lo=0.001, hi=10)
    fall_s = p("fall_s", float(r.uniform(*fall)), lo=0.001, hi=10)
    return pulses, rise_s, fall_s


def _pulse_tracks(c: _Ctx, pulses: list[list[float]], base: float,
                  shape: Callable[[int, np.ndarray], np.ndarray]) -> np.ndarray:
    """(n,) fundamental track (Hz): ``base`` between pulses, ``shape(i, u)`` in pulse i.

    ``u`` runs from 0 to 1 across the pulse; between pulses the envelope is
    silent, so the jumps there are never heard (the phase stays continuous).
    """
    track = np.full(c.n, base)
    for i, (s, e) in enumerate(pulses):
        i0, i1 = min(c.n, round(s * c.sr)), min(c.n, round(e * c.sr))
        if i1 > i0:
            track[i0:i1] = shape(i, np.linspace(0.0, 1.0, i1 - i0))
    return track


def _pulsed_bee(c: _Ctx, track: np.ndarray, amps: np.ndarray, env: np.ndarray) -> np.ndarray:
    """Tone x envelope over the colony background, through the hive body."""
    tone = _unit_rms(_harmonic_tone(track, amps, c.sr, c.nrng.uniform(0, 2 * np.pi)))
    bg, _ = _colony_background(c)
    return _resonate(tone * env + bg, c.body.full)


# --------------------------------------------------------------------------
# One function per kind: returns (signal before fade/normalisation, f0, details)
# --------------------------------------------------------------------------

Result = tuple[np.ndarray, float | None, dict]


def _hum(c: _Ctx) -> Result:
    """Colony hum: a crowd of bees plus a few individual bees flying past."""
    p, r = c.p, c.prng
    f0 = p("f0_hz", float(r.uniform(200, 260)), lo=20, hi=c.sr / 2)
    jitter = p("jitter_hz", float(r.uniform(3, 10)), lo=0, hi=0.5 * f0)
    rolloff = p("rolloff", float(r.uniform(0.8, 1.6)), lo=0, hi=10)
    am_depth = p("am_depth", float(r.uniform(0.05, 0.25)), lo=0, hi=1)
    am_rate = p("am_rate_hz", float(r.uniform(0.3, 3.0)), lo=0, hi=c.sr / 2)
    n_near = p("n_near_bees", int(r.integers(0, 5)), lo=0, hi=20)
    offsets = p("near_bee_offsets_hz", list(r.normal(0, jitter, n_near)),
                lo=-0.5 * f0, hi=0.5 * f0, length=n_near)
    levels = p("near_bee_levels", list(r.uniform(0.15, 0.35, n_near)), lo=0, hi=10,
               length=n_near)
    passes = p("near_bee_pass_s", list(r.uniform(0, c.duration, n_near)),
               lo=-1e3, hi=1e3, length=n_near)

    amps = _tame_partials(_partials(rolloff, f0 * 1.02, c.sr), [f0], c.body)
    crowd = _crowd(c.nrng, c.n, c.sr, f0, jitter, amps)
    t = c.t
    for off, lev, tc in zip(offsets, levels, passes):
        # Flying past at ~3 m/s: loudest at tc, pitch about 1 % up then down (Doppler).
        x = (t - tc) / 0.4
        track = (f0 + off) * (1.0 - 0.01 * np.tanh(x))
        tone = _harmonic_tone(track, amps, c.sr, c.nrng.uniform(0, 2 * np.pi))
        crowd += lev * tone * (0.3 + 0.7 * np.exp(-0.5 * x * x))
    am = 1.0 - am_depth * (0.5 - 0.5 * np.cos(2 * np.pi * am_rate * t + c.nrng.uniform(0, 2 * np.pi)))
    noise, info = _hive_noise(c)
    x = _resonate(_unit_rms(crowd) * am + noise, c.body.full)
    return x, f0, {"jitter_hz": jitter, "n_near_bees": n_near, "n_partials": len(amps),
                   "partial_amplitudes": [float(a) for a in amps], **info}


def _queen_toot(c: _Ctx) -> Result:
    """Queen tooting: long syllable(s) rising in pitch and level, then short ones."""
    p, r = c.p, c.prng
    f0 = p("f0_hz", float(r.uniform(390, 550)), lo=20, hi=c.sr / 2)
    ratio = p("sweep_start_ratio", float(r.uniform(0.82, 0.92)), lo=0.1, hi=2)
    rolloff = p("rolloff", float(r.uniform(0.8, 1.4)), lo=0, hi=10)
    n_long = int(r.integers(1, 3))
    n_long = p("n_long", n_long if c.duration >= 4 else 1, lo=0, hi=10)
    n_short = p("n_short", int(r.integers(7, 18)), lo=0, hi=100)
    level0 = p("long_level_start", float(r.uniform(0.3, 0.6)), lo=0, hi=1)
    per_bout = max(1, n_long + n_short)

    def length(i: int) -> float:
        return r.uniform(0.7, 1.0) if i % per_bout < n_long else r.uniform(0.2, 0.3)

    def gap(i: int) -> float:
        if i % per_bout == per_bout - 1:
            return r.uniform(1.0, 3.0)  # pause between bouts
        return r.uniform(0.08, 0.2) if i % per_bout < n_long else r.uniform(0.05, 0.12)

    pulses, rise_s, fall_s = _draw_pulses(c, (0.02, 0.2), length, gap, (0.03, 0.06), (0.02, 0.04))
    is_long = [i % per_bout < n_long for i in range(len(pulses))]

    def shape(i: int, u: np.ndarray) -> np.ndarray:
        # Long syllables sweep up from ratio * f0; short ones glide up 3 % at onset.
        return f0 * (_glide(u, ratio, 0.35) if is_long[i] else _glide(u, 0.97, 0.1))

    track = _pulse_tracks(c, pulses, f0, shape)
    amps = _tame_partials(_partials(rolloff, f0, c.sr), [ratio * f0, f0], c.body)
    env = _pulse_envelope(c.n, c.sr, pulses, None, rise_s, fall_s,
                          ramps=[level0 if lo else 1.0 for lo in is_long])
    x = _pulsed_bee(c, track, amps, env)
    return x, f0, {"pulses": pulses, "long_syllables": int(sum(is_long)),
                   "f0_start_hz": ratio * f0, "f0_end_hz": f0, "n_partials": len(amps)}


def _queen_quack(c: _Ctx) -> Result:
    """Queen quacking: short (< 0.2 s) harsh pulses near 350 Hz."""
    p, r = c.p, c.prng
    f0 = p("f0_hz", float(r.uniform(320, 380)), lo=20, hi=c.sr / 2)
    rolloff = p("rolloff", float(r.uniform(0.5, 1.0)), lo=0, hi=10)
    pulses, rise_s, fall_s = _draw_pulses(
        c, (0.02, 0.3), lambda i: r.uniform(0.07, 0.17), lambda i: r.uniform(0.06, 0.15),
        (0.005, 0.012), (0.01, 0.025))
    levels = p("pulse_levels", list(r.uniform(0.7, 1.0, len(pulses))), lo=0, hi=10,
               length=len(pulses))
    # A slight glide (2 %) at onset, faster than a toot's.
    track = _pulse_tracks(c, pulses, f0, lambda i, u: f0 * _glide(u, 0.98, 0.1))
    amps = _tame_partials(_partials(rolloff, f0, c.sr), [f0], c.body)
    env = _pulse_envelope(c.n, c.sr, pulses, levels, rise_s, fall_s)
    x = _pulsed_bee(c, track, amps, env)
    return x, f0, {"pulses": pulses, "n_partials": len(amps)}


def _worker_pipe(c: _Ctx) -> Result:
    """Worker piping: ~1 pulse per second, f0 rising 100-200 -> 200-250 Hz."""
    p, r = c.p, c.prng
    f_end = p("f0_hz", float(r.uniform(200, 250)), lo=20, hi=c.sr / 2)
    f_start = p("f0_start_hz", float(r.uniform(100, min(200.0, f_end - 30))), lo=10, hi=c.sr / 2)
    tau = p("sweep_tau", float(r.uniform(0.2, 0.4)), lo=0.01, hi=10)
    rolloff = p("rolloff", float(r.uniform(0.6, 1.2)), lo=0, hi=10)
    crescendo = p("crescendo", float(r.uniform(1.05, 1.3)), lo=0.1, hi=10)
    pulses, rise_s, fall_s = _draw_pulses(
        c, (0.02, 0.3), lambda i: r.uniform(0.4, 1.0), lambda i: r.uniform(0.12, 0.4),
        (0.02, 0.05), (0.03, 0.08))
    ratio = f_start / f_end
    track = _pulse_tracks(c, pulses, f_end, lambda i, u: f_end * _glide(u, ratio, tau))
    amps = _partials(rolloff, max(f_start, f_end), c.sr)
    amps = _tame_partials(amps, np.linspace(f_start, f_end, 4), c.body)
    # Louder pulse after pulse, over the last few (a long clip does not fade to nothing).
    levels = [max(0.3, crescendo ** (i - len(pulses) + 1)) for i in range(len(pulses))]
    env = _pulse_envelope(c.n, c.sr, pulses, levels, rise_s, fall_s)
    x = _pulsed_bee(c, track, amps, env)
    return x, f_end, {"pulses": pulses, "f0_start_hz": f_start, "f0_end_hz": f_end,
                      "pulse_levels": levels, "n_partials": len(amps)}


def _waggle(c: _Ctx) -> Result:
    """Waggle dance: a 200-300 Hz carrier pulsed at the waggle rate, in runs."""
    p, r = c.p, c.prng
    f0 = p("f0_hz", float(r.uniform(210, 295)), lo=20, hi=c.sr / 2)
    rate = p("waggle_rate_hz", float(r.uniform(12, 16)), lo=0, hi=c.sr / 2)
    depth = p("am_depth", float(r.uniform(0.6, 0.95)), lo=0, hi=1)
    rolloff = p("rolloff", float(r.uniform(1.0, 1.6)), lo=0, hi=10)
    pulses, rise_s, fall_s = _draw_pulses(
        c, (0.02, 0.4), lambda i: r.uniform(0.3, 1.0), lambda i: r.uniform(0.3, 0.9),
        (0.02, 0.05), (0.03, 0.08))
    env = _pulse_envelope(c.n, c.sr, pulses, None, rise_s, fall_s)
    env *= 1.0 - depth * (0.5 + 0.5 * np.cos(2 * np.pi * rate * c.t))  # one sound pulse per waggle
    amps = _tame_partials(_partials(rolloff, f0, c.sr), [f0], c.body)
    x = _pulsed_bee(c, np.full(c.n, f0), amps, env)
    return x, f0, {"pulses": pulses, "n_partials": len(amps)}


def _hiss(c: _Ctx) -> Result:
    """Defensive hissing: broadband bursts with energy around 3-6 kHz."""
    p, r = c.p, c.prng
    centre = p("centre_hz", float(r.uniform(3000, 6000)), lo=20, hi=1e5)
    width = p("width_oct", float(r.uniform(0.4, 0.8)), lo=0.05, hi=5)
    flutter = p("flutter_depth", float(r.uniform(0.2, 0.5)), lo=0, hi=1)
    pulses, rise_s, fall_s = _draw_pulses(
        c, (0.02, 0.3), lambda i: r.uniform(0.3, 0.9), lambda i: r.uniform(0.15, 0.6),
        (0.01, 0.05), (0.15, 0.4))
    centre_used = min(centre, 0.75 * c.sr / 2)  # keep the band inside Nyquist
    m, f = _fft_grid(c.n, c.sr)
    f[0] = 1.0
    psd = np.exp(-0.5 * (np.log2(f / centre_used) / width) ** 2) + 0.02
    psd *= (f > 100) / (1.0 + (f / (0.95 * c.sr / 2)) ** 16)
    band = _noise_from_psd(c.nrng, psd, m, c.n)
    wobble = _coloured_noise(c.nrng, c.n, c.sr, 0.0, lo_hz=10.0, hi_hz=40.0)
    env = _pulse_envelope(c.n, c.sr, pulses, None, rise_s, fall_s)
    env *= np.maximum(0.0, 1.0 + flutter * wobble)  # many wings: rough, fluttering
    bg, info = _colony_background(c)
    # Hissing bees sit at the entrance and on the comb surface: the box's
    # resonances colour the hiss, its low-pass does not hide it.
    x = _resonate(band * env, c.body.resonances) + _resonate(bg, c.body.full)
    return x, None, {"pulses": pulses, "centre_hz_used": centre_used, **info}


def _pre_swarm(c: _Ctx) -> Result:
    """Pre-swarm hum: level and fundamental rise within the clip, low band too."""
    p, r = c.p, c.prng
    f_start = p("f0_start_hz", float(r.uniform(200, 250)), lo=20, hi=c.sr / 2)
    f_end = p("f0_hz", float(r.uniform(275, 310)), lo=20, hi=c.sr / 2)
    jitter = p("jitter_hz", float(r.uniform(3, 8)), lo=0, hi=0.5 * f_start)
    rolloff = p("rolloff", float(r.uniform(0.8, 1.6)), lo=0, hi=10)
    rise = p("level_rise", float(r.uniform(1.5, 3.0)), lo=0.01, hi=100)
    low_hz = p("low_hz", float(r.uniform(100, 125)), lo=10, hi=c.sr / 2)
    low_level = p("low_level", float(r.uniform(0.1, 0.3)), lo=0, hi=10)

    u = np.linspace(0.0, 1.0, c.n)
    track = f_start + (f_end - f_start) * u * u * (3 - 2 * u)  # smooth step, flat at the end
    # The crowd drawn at f_start and read at a rate track / f_start: every
    # partial and its width follow the rising fundamental.
    speed = track / f_start
    where = np.cumsum(speed) - speed[0]
    n_src = int(math.ceil(where[-1])) + 2
    limit = _partial_limit(c.sr) / float(speed.max())
    amps = _partials(rolloff, f_start * 1.02, c.sr)
    amps = _tame_partials(amps, np.linspace(f_start, f_end, 4), c.body)
    src = _crowd(c.nrng, n_src, c.sr, f_start, jitter, amps, limit_hz=limit)
    hum = _unit_rms(np.interp(where, np.arange(n_src), src))
    low = _unit_rms(_crowd(c.nrng, c.n, c.sr, low_hz, 4.0, np.ones(1)))
    level = rise ** u  # linear in dB
    noise, info = _hive_noise(c)
    x = _resonate((hum + low_level * low) * level + noise, c.body.full)
    return x, f_end, {"f0_start_hz": f_start, "f0_end_hz": f_end, "jitter_hz": jitter,
                      "n_partials": int(np.sum(np.arange(1, len(amps) + 1) * f_start < limit)),
                      **info}


def _nobee(c: _Ctx) -> Result:
    """No bees: ambient noise with gusts, low rumble, cricket chirps at 4-5 kHz."""
    p, r = c.p, c.prng
    exponent = p("ambient_exponent", float(r.uniform(0.5, 1.5)), lo=0, hi=3)
    gusts = p("ambient_gust_db", float(r.uniform(1.0, 4.0)), lo=0, hi=40)
    rumble_hz = p("rumble_hz", float(r.uniform(60, 150)), lo=5, hi=1e5)
    rumble_level = p("rumble_level", float(r.uniform(0.3, 1.0)), lo=0, hi=10)
    cricket_hz = p("cricket_hz", float(r.uniform(4000, 5000)), lo=20, hi=1e5)
    cricket_level = p("cricket_level", float(r.uniform(1.0, 3.0)), lo=0, hi=100)
    syl_s = p("cricket_syllable_s", float(r.uniform(0.01, 0.025)), lo=0.002, hi=1)
    syl_rate = p("cricket_syllable_rate_hz", float(r.uniform(20, 35)), lo=0.1, hi=1000)
    per_chirp = p("cricket_syllables_per_chirp", int(r.integers(2, 7)), lo=1, hi=100)
    chirp_rate = p("cricket_chirp_rate_hz", float(r.uniform(1.5, 4.0)), lo=0.01, hi=100)
    t0 = p("onset_s", min(float(r.uniform(0.0, 0.3)), 0.25 * c.duration), lo=0, hi=c.duration)

    ambient = _coloured_noise(c.nrng, c.n, c.sr, exponent)
    slow = _coloured_noise(c.nrng, c.n, c.sr, 0.0, lo_hz=0.2, hi_hz=2.0)
    ambient *= 10 ** (gusts * slow / 20)  # level wanders in dB, never to silence
    rumble = _coloured_noise(c.nrng, c.n, c.sr, 2.0, lo_hz=15.0, hi_hz=rumble_hz)
    x = _resonate(ambient + rumble_level * rumble, c.body.full)

    syllables: list[list[float]] = []
    if cricket_hz < 0.95 * c.sr / 2:  # otherwise above Nyquist: dropped
        period = max(1.0 / chirp_rate, per_chirp / syl_rate)
        for start in np.arange(t0, c.duration, period):
            for j in range(per_chirp):
                s = start + j / syl_rate
                if s + syl_s <= c.duration - FADE_S:
                    syllables.append([float(s), float(s + syl_s)])
    if syllables:
        env = _pulse_envelope(c.n, c.sr, syllables, None, 0.3 * syl_s, 0.3 * syl_s)
        # The cricket stridulates outside the box: no body filter.
        tone = _harmonic_tone(np.full(c.n, cricket_hz), np.array([1.0, 0.1]), c.sr,
                              c.nrng.uniform(0, 2 * np.pi))
        x = x + (cricket_level * math.sqrt(2) * math.sqrt(float(np.mean(x * x)))) * tone * env
    return x, None, {"cricket_syllables": syllables, "cricket_dropped": not syllables,
                     "noise_colour": exponent}


_KIND_FUNCS: dict[str, Callable[[_Ctx], Result]] = {
    "hum": _hum, "queen_toot": _queen_toot, "queen_quack": _queen_quack,
    "worker_pipe": _worker_pipe, "waggle": _waggle, "hiss": _hiss,
    "pre_swarm": _pre_swarm, "nobee": _nobee,
}


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------

def _check_args(kind: str, sr: Any, duration: Any, seed: Any) -> tuple[int, float, int]:
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    if isinstance(sr, (bool, np.bool_)) or not isinstance(sr, (int, float, np.number)) \
            or not math.isfinite(sr) or sr != int(sr) or sr < MIN_SR:
        raise ValueError(f"sr must be an integer number of Hz >= {MIN_SR}, got {sr!r}")
    if isinstance(duration, (bool, np.bool_)) or not isinstance(duration, (int, float, np.number)) \
            or not math.isfinite(duration) or not MIN_DURATION <= duration <= MAX_DURATION:
        raise ValueError(
            f"duration must be a number of seconds in [{MIN_DURATION}, {MAX_DURATION}], got {duration!r}")
    if seed is None:
        seed = int(np.random.default_rng().integers(2**63))  # fresh, from OS entropy
    elif isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")
    return int(sr), float(duration), int(seed)


def _finish(x: np.ndarray, sr: int, peak: float) -> np.ndarray:
    """Fade both ends (no click at the clip edges) and scale to ``peak``; float32."""
    n = len(x)
    r = min(round(FADE_S * sr), n // 2)
    if r > 0:
        edge = 0.5 - 0.5 * np.cos(np.pi * (np.arange(r) + 0.5) / r)
        x[:r] *= edge
        x[n - r:] *= edge[::-1]
    m = float(np.max(np.abs(x))) if n else 0.0
    if not math.isfinite(m):
        raise FloatingPointError("synthesis produced non-finite samples")
    if m > 0:
        x = x * (peak / m)
    return x.astype(np.float32)


def synthesize(kind: str, sr: int = 16000, duration: float = 2.048, seed: int | None = None,
               **params: Any) -> tuple[np.ndarray, dict]:
    """Make one synthetic clip of a bee (or no-bee) sound.

    Args:
        kind: one of ``KINDS``.
        sr: sample rate (Hz), an integer >= 2000.  Partials above Nyquist are
            dropped; so is the cricket of ``nobee`` when 4-5 kHz does not fit.
        duration: clip length (s), 0.1 to 3600.
        seed: non-negative integer; ``None`` draws one from OS entropy (it is
            recorded in the metadata, so the clip can be made again).
        **params: override any drawn parameter by name (see ``PARAMS[kind]``),
            e.g. ``synthesize("hum", f0_hz=230, seed=1)``.

    Returns:
        ``(wave, meta)``: wave is (round(sr * duration),) float32 in [-1, 1],
        peak-normalised to ``meta["params"]["peak"]``; meta is a
        JSON-serialisable dict with ``kind``, ``sr``, ``duration``,
        ``n_samples``, ``seed``, ``f0_hz`` (main fundamental in Hz: the
        strongest partial of hum, the nominal fundamental of the others, the
        end of the rise for ``worker_pipe`` and ``pre_swarm``; None for
        ``hiss`` and ``nobee``), ``params`` (every drawn parameter, after
        overrides), ``resonances_hz`` and ``lowpass_hz`` of the hive body,
        and kind-specific details (``pulses`` as [start_s, end_s] ...).

    Raises:
        ValueError: unknown kind or parameter name (the message lists the
            accepted ones), bad sr, duration, seed or parameter value.
    """
    sr, duration, seed = _check_args(kind, sr, duration, seed)
    unknown = sorted(set(params) - set(PARAMS[kind]))
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(unknown)} for {kind!r}; "
                         f"accepted: {', '.join(sorted(PARAMS[kind]))}")
    n = int(round(sr * duration))
    # Two streams per kind: the same seed gives unrelated clips of different kinds.
    streams = np.random.default_rng(seed).spawn(2 * len(KINDS))
    prng, nrng = streams[2 * KINDS.index(kind): 2 * KINDS.index(kind) + 2]
    c = _Ctx(kind, sr, duration, n, _Params(kind, params, duration), prng, nrng)
    peak = c.p("peak", float(prng.uniform(0.3, 0.9)), lo=1e-6, hi=1.0)
    c.body = _draw_body(c)
    floor_db = c.p("floor_db", float(prng.uniform(-50, -35)), lo=-200, hi=0)
    x, f0, details = _KIND_FUNCS[kind](c)
    x = np.asarray(x, dtype=float)
    x += 10 ** (floor_db / 20) * math.sqrt(float(np.mean(x * x))) * nrng.standard_normal(n)
    wave = _finish(x, sr, peak)
    meta = {
        "kind": kind, "sr": sr, "duration": duration, "n_samples": n, "seed": seed,
        "f0_hz": None if f0 is None else float(f0),
        "resonances_hz": c.body.used_hz, "lowpass_hz": c.body.lowpass_hz,
        **_jsonable(details),
        "params": _jsonable(c.p.values),
    }
    return wave, meta


def resynthesize(meta: dict, seed: int | None = None) -> tuple[np.ndarray, dict]:
    """The clip ``meta`` describes, made again with another realisation.

    Every value of the recipe (``meta["params"]``: levels, f0 tracks,
    pulse times, the hive body) is kept; the noise samples and starting
    phases come from ``seed``.  With ``seed=meta["seed"]`` the very clip
    comes back.  What two realisations of one recipe differ by is what no
    model can learn from the recipe: a floor for how closely a generative
    model can reconstruct a noisy clip.

    Args:
        meta: the metadata ``synthesize`` returned with the clip.
        seed: seed of the new realisation (``None``: from OS entropy).

    Returns:
        ``(wave, meta)`` as ``synthesize`` returns them.
    """
    return synthesize(meta["kind"], sr=meta["sr"], duration=meta["duration"], seed=seed,
                      **meta["params"])


def _jsonable(obj: Any) -> Any:
    """Plain Python types (dict, list, float, int, bool, None) for JSON."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj)
    return obj


def synthesis_speed(kinds: Sequence[str] = KINDS, sr: int = 16000, duration: float = 2.048,
                    repeats: int = 5, clock: str = "cpu") -> dict[str, float]:
    """How many times faster than real time each kind is synthesised, on one core.

    Each kind is made once to warm up, then ``repeats`` times (seeds
    0..repeats-1); the median time per clip gives the figure.

    Args:
        clock: ``"cpu"`` counts the processor time of this process (synthesis
            runs on one core; other busy programs do not distort it),
            ``"wall"`` the elapsed time.

    Returns:
        kind -> clip duration / median synthesis time (x real time).
    """
    if clock not in ("cpu", "wall"):
        raise ValueError(f"clock must be 'cpu' or 'wall', got {clock!r}")
    timer = time.process_time if clock == "cpu" else time.perf_counter
    out = {}
    for kind in kinds:
        synthesize(kind, sr=sr, duration=duration, seed=0)
        times = []
        for seed in range(max(1, repeats)):
            t0 = timer()
            synthesize(kind, sr=sr, duration=duration, seed=seed)
            times.append(timer() - t0)
        out[kind] = duration / max(float(np.median(times)), 1e-9)
    return out
