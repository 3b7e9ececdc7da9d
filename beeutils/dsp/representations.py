"""Spectrogram representations a model can learn, each with its inverse.

A representation turns a waveform into the image a Keras model sees,
``(freq, time, channels)``, and turns a model's output back into sound.
Three are compared in notebook 06:

=============  ========  ===============================================  ==================
name           channels  what the channels hold                           back to sound
=============  ========  ===============================================  ==================
``magnitude``  1         per-frequency standardised log magnitude         Griffin-Lim
                         (SpecGAN, notebook 05)                           (phase estimated)
``real_imag``  2         real and imaginary parts of the power-law        inverse STFT
                         compressed STFT, scaled per frequency            (exact)
``logmag_if``  2         the magnitude channel above (not clipped) and    integrate IF, then
                         the instantaneous frequency (GANSynth)           inverse STFT (exact)
=============  ========  ===============================================  ==================

"Exact" means that ``decode(encode(wave))`` gives back the wave low-passed
at the crop (``n_freq_keep`` bins; the bins above come back as zeros), to
float32 precision (over 60 dB SNR; a test checks it on noise, chirps and
sums of sines at several STFT settings).  With ``n_freq_keep=None`` that is
the wave itself.  The magnitude representation cannot be exact: it keeps no
phase, and Griffin-Lim only finds *a* phase consistent with the magnitudes.

Every statistic comes from ``fit(train_waves)`` and is stored by
``get_config()``, so that a saved model's outputs can be decoded later
(``representation_from_config`` / ``load_representation``).

All the arithmetic here is NumPy (librosa's STFT, float64 phase sums); only
Griffin-Lim runs in TensorFlow (``beeutils.dsp.phase``, batched), imported when
it is needed, so that importing this module stays free of TensorFlow.

Shapes: waveforms ``(n, samples)`` (``(samples,)`` for the single-clip
methods); model arrays ``(n, freq, time, channels)`` float32 where ``freq``
is ``config.n_freq_keep`` (or all ``n_fft // 2 + 1`` bins) and ``time`` is
``config.n_frames`` (or all frames).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from beeutils.dsp import spectral
from beeutils.dsp.normalize import PerFrequencyNormalizer
from beeutils.dsp.spectral import STFTConfig, bin_phase_advance

__all__ = [
    "Representation", "MagnitudeRepresentation", "ComplexRepresentation",
    "RealImagRepresentation", "LogMagIFRepresentation", "REPRESENTATIONS", "make_representation",
    "representation_from_config", "load_representation", "compress", "decompress",
    "instantaneous_frequency", "integrate_instantaneous_frequency", "if_to_hz",
    "griffin_lim_batches", "sound_from_polar", "noise_texture",
]


# ------------------------------------------------------------ building blocks


def _principal(angle: np.ndarray) -> np.ndarray:
    """Wrap angles into ``[-pi, pi)``."""
    return (angle + np.pi) % (2.0 * np.pi) - np.pi


def instantaneous_frequency(spec: np.ndarray, config: STFTConfig) -> np.ndarray:
    """Instantaneous frequency of a complex STFT, as a deviation in [-1, 1].

    ``IF[k, t] = princarg(phi[k, t] - phi[k, t-1] - w_k) / pi`` with
    ``w_k = 2 pi k hop / n_fft`` the advance of bin ``k``'s centre frequency
    per hop, and ``phi[k, -1] = -w_k`` (a virtual frame before the first, so
    that frame 0 stores its own phase: ``IF[k, 0] = princarg(phi[k, 0]) / pi``).

    Subtracting ``w_k`` (a phase vocoder's heterodyne) is what GANSynth's
    plain unwrapped difference does up to a constant per bin; it makes a
    steady partial a *constant* near 0 in its bins instead of a pattern that
    cycles with ``k``, and it turns IF into Hz directly (``if_to_hz``).

    Args:
        spec: complex ``(..., freq, time)``; ``freq`` holds the lowest bins
            (cropped or all).
        config: its STFT settings.

    Returns:
        float32 ``(..., freq, time)`` in ``[-1, 1]``.
    """
    spec = np.asarray(spec)
    phase = np.angle(spec).astype(np.float64)
    advance = bin_phase_advance(config, spec.shape[-2])[:, None]
    previous = np.concatenate([np.broadcast_to(-advance, phase.shape[:-1] + (1,)),
                               phase[..., :-1]], axis=-1)
    return (_principal(phase - previous - advance) / np.pi).astype(np.float32)


def integrate_instantaneous_frequency(inst_freq: np.ndarray, config: STFTConfig) -> np.ndarray:
    """Phase from instantaneous frequency, the inverse of ``instantaneous_frequency``.

    ``phi[k, t] = sum_{s <= t} (pi IF[k, s] + w_k) - w_k`` (a cumulative sum
    in float64, so that 128 frames of accumulated phase lose nothing).

    Args:
        inst_freq: ``(..., freq, time)`` values (nominally in [-1, 1]).
        config: STFT settings.

    Returns:
        float64 ``(..., freq, time)`` phase in radians (not wrapped).
    """
    inst_freq = np.asarray(inst_freq, dtype=np.float64)
    # Wrapping each step's advance keeps the running sum small (precision).
    advance = _principal(bin_phase_advance(config, inst_freq.shape[-2]))[:, None]
    return np.cumsum(np.pi * inst_freq + advance, axis=-1) - advance


def if_to_hz(inst_freq: np.ndarray, config: STFTConfig) -> np.ndarray:
    """Instantaneous frequency in Hz: ``(k + IF * n_fft / (2 hop)) * sr / n_fft``.

    Args:
        inst_freq: ``(..., freq, time)`` from ``instantaneous_frequency``.
        config: STFT settings.

    Returns:
        float64 ``(..., freq, time)`` Hz (bin ``k``'s estimate of the frequency
        of the partial that dominates it; IF = +-1 is +-``sr / (2 hop)``
        away from the bin centre, 31.25 Hz at 16 kHz and hop 256).
    """
    inst_freq = np.asarray(inst_freq, dtype=np.float64)
    k = np.arange(inst_freq.shape[-2], dtype=np.float64)[:, None]
    return (k + inst_freq * config.n_fft / (2.0 * config.hop)) * config.bin_hz


def compress(spec: np.ndarray, alpha: float) -> np.ndarray:
    """Phase-preserving power law ``|X|^alpha * X / |X|`` (0 stays 0)."""
    spec = np.asarray(spec, dtype=np.complex128)
    mag = np.abs(spec)
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.where(mag > 0, mag ** (alpha - 1.0), 0.0)
    return spec * gain


def decompress(spec: np.ndarray, alpha: float) -> np.ndarray:
    """Inverse of ``compress``: ``|Y|^(1 / alpha) * Y / |Y|``."""
    return compress(spec, 1.0 / alpha)


def griffin_lim_batches(mags: np.ndarray, config: STFTConfig, n_samples: int,
                        n_iter: int = 32, momentum: float = 0.99, seed: int = 0,
                        batch_size: int = 64, init: np.ndarray | None = None) -> np.ndarray:
    """Fast Griffin-Lim (``beeutils.dsp.phase``, TensorFlow) on magnitudes, in batches.

    Args:
        mags: ``(n, freq, time)`` magnitudes (cropped bins count as zeros above
            the crop, so the result is low-passed).
        config: STFT settings.
        n_samples: samples per output clip.
        n_iter: iterations.
        momentum: fast Griffin-Lim momentum.
        seed: seed of the random initial phases (batch ``i`` uses ``seed + i``).
        batch_size: clips per call (bounds the memory).
        init: initial phases in radians shaped like ``mags`` (``None``:
            random).

    Returns:
        float32 ``(n, n_samples)``.
    """
    from beeutils.dsp import phase

    mags = np.asarray(mags, dtype=np.float32)
    out = [phase.griffin_lim(mags[i : i + batch_size], config, n_iter=n_iter,
                             momentum=momentum, seed=seed + i // batch_size, length=n_samples,
                             init="random" if init is None else init[i : i + batch_size])
           for i in range(0, len(mags), batch_size)]
    return np.concatenate(out, axis=0) if out else np.zeros((0, n_samples), np.float32)


def noise_texture(shape: tuple[int, int, int], config: STFTConfig, seed: int = 0) -> np.ndarray:
    """The scatter of a noise's STFT magnitudes around their level.

    A decoder trained on log magnitudes draws each bin's *mean* log level: a
    smooth envelope.  The STFT magnitudes of a noise scatter around that
    level (Rayleigh, and correlated across neighbouring bins and frames by
    the window), so two realisations of one sound differ by several dB per
    bin.  Multiplying a drawn envelope by this texture keeps its mean log
    level and adds that scatter: a sample of the sound rather than its
    average.

    Args:
        shape: ``(n, freq, time)`` of the cropped magnitudes to texture.
        config: STFT settings (window, hop and FFT size of the texture).
        seed: seeds the white noise.

    Returns:
        float32 ``(n, freq, time)``, positive, with ``mean(log(.)) == 0``.
    """
    n, n_freq, n_time = (int(k) for k in shape)
    noise = np.random.default_rng(seed).standard_normal((n, config.hop * n_time))
    full = config.replace(n_freq_keep=None, n_frames=None)
    mags = np.abs(spectral.stft(noise.astype(np.float32), full))[:, :n_freq, :n_time]
    log = np.log(np.maximum(mags, np.finfo(np.float32).tiny))
    return np.exp(log - log.mean()).astype(np.float32)


def sound_from_polar(mags: np.ndarray, phase: np.ndarray, config: STFTConfig, n_samples: int,
                     refine_iter: int = 0, momentum: float = 0.99) -> np.ndarray:
    """The sound of cropped magnitudes and phases a complex model drew.

    ``refine_iter`` 0: the inverse STFT of ``mags * exp(i phase)``, exact
    when they are the STFT of a signal.  A decoder's output need not be, and
    the inverse STFT then averages frames that disagree, so the sound drifts
    from the magnitudes drawn; ``refine_iter`` > 0 runs that many fast
    Griffin-Lim iterations started from ``phase`` instead.

    Args:
        mags, phase: ``(n, freq, time)`` cropped magnitudes and phases (radians).
        config: STFT settings.
        n_samples: samples per output clip.
        refine_iter, momentum: Griffin-Lim iterations (0: none) and momentum.

    Returns:
        float32 ``(n, n_samples)``.
    """
    if refine_iter:
        return griffin_lim_batches(mags, config, n_samples, refine_iter, momentum, init=phase)
    spec = (mags * np.exp(1j * phase)).astype(np.complex64)
    return spectral.istft(spectral.uncrop(spec, config), config, length=n_samples)


# --------------------------------------------------------------- base class


def _stft_config_dict(config: STFTConfig) -> dict[str, Any]:
    return dataclasses.asdict(config)


class Representation:
    """What every representation offers (subclasses fill in the maths).

    Attributes:
        name: key in ``REPRESENTATIONS``.
        channels: channels of the model array.
        output_activation: the decoder output that suits the value range
            (``"tanh"`` for values in [-1, 1], ``None`` for linear).
        exact: ``decode`` inverts ``encode`` (up to the crop).
        config: the STFT settings and crop.
        n_samples: clip length in samples, learnt by ``fit`` (default length
            of decoded waves).
        seed: seeds what decoding draws at random (Griffin-Lim's start,
            ``logmag_if``'s dither, the noise texture); 0 where a
            representation draws nothing else.
    """

    name: ClassVar[str] = ""
    channels: ClassVar[int] = 1
    output_activation: ClassVar[str | None] = "tanh"
    exact: ClassVar[bool] = False
    seed: int = 0

    def __init__(self, config: STFTConfig | None = None, n_samples: int | None = None) -> None:
        self.config = STFTConfig() if config is None else config
        if not isinstance(self.config, STFTConfig):
            raise ValueError(f"config must be an STFTConfig, got {type(self.config).__name__}")
        self.n_samples = None if n_samples is None else int(n_samples)

    # -- to implement ----------------------------------------------------

    def _fit(self, spec: np.ndarray) -> None:
        """Learn statistics from cropped complex training spectrograms."""

    def _encode(self, spec: np.ndarray) -> np.ndarray:
        """Cropped complex ``(n, freq, time)`` -> ``(n, freq, time, channels)``."""
        raise NotImplementedError

    def _decode(self, arrays: np.ndarray, length: int) -> np.ndarray:
        """``(n, freq, time, channels)`` -> waveforms ``(n, length)``."""
        return self._sound_of(self._magnitudes(arrays), arrays, length)

    def _sound_of(self, mags: np.ndarray, arrays: np.ndarray, length: int) -> np.ndarray:
        """Waveforms ``(n, length)`` of magnitudes ``(n, freq, time)``, with
        whatever else ``arrays`` hold (a complex model's phase)."""
        raise NotImplementedError

    def _magnitudes(self, arrays: np.ndarray) -> np.ndarray:
        """``(n, freq, time, channels)`` -> linear magnitudes ``(n, freq, time)``."""
        raise NotImplementedError

    def _fitted_state(self) -> dict[str, Any]:
        return {}

    @property
    def is_fitted(self) -> bool:
        """True once ``fit`` has learnt what ``encode``/``decode`` need."""
        return True

    # -- shared machinery --------------------------------------------------

    @property
    def n_freq(self) -> int:
        """Frequency bins of the model array."""
        return self.config.n_freq_keep or self.config.n_bins

    def shape(self, n_samples: int | None = None) -> tuple[int, int, int]:
        """``(freq, time, channels)`` of the model array for clips of
        ``n_samples`` samples (default: the fitted length)."""
        n_frames = self.config.n_frames
        if n_frames is None:
            n_samples = self.n_samples if n_samples is None else n_samples
            if n_samples is None:
                raise ValueError("n_frames is None: give n_samples or fit first")
            n_frames = self.config.n_frames_for(n_samples)
        return (self.n_freq, int(n_frames), self.channels)

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise ValueError(f"the {self.name} representation is not fitted: call "
                             f"fit(train_waves) first")

    @staticmethod
    def _check_waves(waves: Any, ndim: int) -> np.ndarray:
        waves = np.asarray(waves)
        what = "(samples,)" if ndim == 1 else "(n, samples)"
        if waves.ndim != ndim:
            raise ValueError(f"expected waveforms {what}, got an array of shape {waves.shape}")
        if waves.shape[-1] < 2 or (ndim == 2 and waves.shape[0] == 0):
            raise ValueError(f"expected non-empty waveforms {what}, got shape {waves.shape}")
        if not np.issubdtype(waves.dtype, np.number) or np.iscomplexobj(waves):
            raise ValueError(f"waveforms must be real numbers, got dtype {waves.dtype}")
        if not np.all(np.isfinite(waves)):
            raise ValueError("waveforms contain inf or NaN samples")
        return waves.astype(np.float32)

    def _check_arrays(self, arrays: Any, ndim: int) -> np.ndarray:
        arrays = np.asarray(arrays)
        what = "(freq, time, channels)" if ndim == 3 else "(n, freq, time, channels)"
        if arrays.ndim != ndim:
            raise ValueError(f"{self.name} expects model arrays {what}, got shape {arrays.shape}")
        if arrays.shape[-1] != self.channels:
            raise ValueError(f"{self.name} has {self.channels} channel(s), the array has "
                             f"{arrays.shape[-1]} (shape {arrays.shape})")
        if arrays.shape[-3] != self.n_freq:
            raise ValueError(f"{self.name} expects {self.n_freq} frequency bins, the array "
                             f"has {arrays.shape[-3]} (shape {arrays.shape})")
        if not np.all(np.isfinite(arrays)):
            raise ValueError(f"{self.name}: the array contains inf or NaN values")
        return arrays.astype(np.float32)

    def spectrogram(self, waves: np.ndarray) -> np.ndarray:
        """Cropped complex STFT ``(n, freq, time)`` of waveforms ``(n, samples)``."""
        waves = self._check_waves(waves, 2)
        return spectral.crop(spectral.stft(waves, self.config), self.config)

    def fit(self, waves: np.ndarray) -> "Representation":
        """Learn the scaling from *training* waveforms ``(n, samples)``; returns ``self``."""
        waves = self._check_waves(waves, 2)
        self.n_samples = int(waves.shape[-1])
        self._fit(self.spectrogram(waves))
        return self

    def encode_batch(self, waves: np.ndarray) -> np.ndarray:
        """Waveforms ``(n, samples)`` -> model arrays ``(n, freq, time, channels)`` float32."""
        self._check_fitted()
        return self._encode(self.spectrogram(waves)).astype(np.float32)

    def encode(self, wave: np.ndarray) -> np.ndarray:
        """One waveform ``(samples,)`` -> ``(freq, time, channels)``."""
        return self.encode_batch(self._check_waves(wave, 1)[None])[0]

    def _length(self, arrays: np.ndarray, length: int | None) -> int:
        if length is not None:
            return int(length)
        if self.n_samples is not None:
            return self.n_samples
        return (arrays.shape[-2] - 1) * self.config.hop

    def decode_batch(self, arrays: np.ndarray, length: int | None = None) -> np.ndarray:
        """Model arrays ``(n, freq, time, channels)`` -> waveforms ``(n, length)``.

        Args:
            arrays: encoded clips or a model's outputs.
            length: samples per clip (default: the fitted clip length).

        Returns:
            float32 ``(n, length)``, low-passed at the crop.
        """
        self._check_fitted()
        arrays = self._check_arrays(arrays, 4)
        return self._decode(arrays, self._length(arrays, length)).astype(np.float32)

    def decode(self, array: np.ndarray, length: int | None = None) -> np.ndarray:
        """One model array ``(freq, time, channels)`` -> waveform ``(samples,)``."""
        return self.decode_batch(self._check_arrays(array, 3)[None], length)[0]

    def magnitudes(self, arrays: np.ndarray) -> np.ndarray:
        """The cropped linear STFT magnitudes ``(n, freq, time)`` the arrays
        ``(n, freq, time, channels)`` stand for (what a model *meant* to
        produce, before any inverse STFT)."""
        self._check_fitted()
        return self._magnitudes(self._check_arrays(arrays, 4)).astype(np.float32)

    def textured_magnitudes(self, arrays: np.ndarray) -> np.ndarray:
        """``magnitudes(arrays)`` times ``noise_texture`` (seeded by
        ``seed``): the magnitudes of a sample, for a decoder's smooth
        output."""
        mags = self.magnitudes(arrays)
        return mags * noise_texture(mags.shape, self.config, self.seed)

    def decode_textured(self, arrays: np.ndarray, length: int | None = None) -> np.ndarray:
        """``decode_batch`` with ``textured_magnitudes(arrays)`` in place of
        the magnitudes (a complex model keeps its phase): float32
        ``(n, length)``."""
        arrays = self._check_arrays(arrays, 4)
        return self._sound_of(self.textured_magnitudes(arrays), arrays,
                              self._length(arrays, length)).astype(np.float32)

    def round_trip(self, waves: np.ndarray) -> np.ndarray:
        """``decode_batch(encode_batch(waves))``, same length: the best a
        perfect model of this representation can do."""
        return self.decode_batch(self.encode_batch(waves), np.asarray(waves).shape[-1])

    # -- persistence -------------------------------------------------------

    def _params(self) -> dict[str, Any]:
        return {}

    def get_config(self) -> dict[str, Any]:
        """JSON-able settings and fitted statistics; ``from_config`` rebuilds."""
        return {"name": self.name, "stft": _stft_config_dict(self.config),
                "n_samples": self.n_samples, **self._params(), **self._fitted_state()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Representation":
        """Rebuild from ``get_config()`` output."""
        config = dict(config)
        name = config.pop("name", cls.name)
        if name != cls.name:
            raise ValueError(f"config is for the {name!r} representation, not {cls.name!r}")
        stft = STFTConfig(**config.pop("stft"))
        return cls(stft, **config)

    def save(self, path: str | Path) -> Path:
        """Write ``get_config()`` as JSON; returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.get_config(), indent=1))
        return path

    def __repr__(self) -> str:
        state = "fitted" if self.is_fitted else "not fitted"
        return (f"{type(self).__name__}({self.config.n_fft}/{self.config.hop}, "
                f"shape (freq {self.n_freq}, time {self.config.n_frames}, "
                f"channels {self.channels}), {state})")


# --------------------------------------------------------------- magnitude


class MagnitudeRepresentation(Representation):
    """Normalised log magnitude, 1 channel; back to sound with Griffin-Lim.

    Notebook 05's pipeline: ``PerFrequencyNormalizer`` (SpecGAN) on the
    cropped magnitudes, clipped to [-1, 1]; decoding undoes the scaling and
    runs fast Griffin-Lim (TensorFlow, batched) for ``n_iter`` iterations
    from random phases seeded by ``seed``.

    Args:
        config: STFT settings and crop.
        normalizer: a ``PerFrequencyNormalizer`` (a fitted one is used as is)
            or its ``get_config()`` dict; default a new one.
        n_iter, momentum, seed: Griffin-Lim settings.
        n_samples: clip length (set by ``fit``).
    """

    name = "magnitude"
    channels = 1
    output_activation = "tanh"
    exact = False

    def __init__(self, config: STFTConfig | None = None,
                 normalizer: PerFrequencyNormalizer | dict | None = None, n_iter: int = 32,
                 momentum: float = 0.99, seed: int = 0, n_samples: int | None = None) -> None:
        super().__init__(config, n_samples)
        if isinstance(normalizer, dict):
            normalizer = PerFrequencyNormalizer.from_config(normalizer)
        self.normalizer = PerFrequencyNormalizer() if normalizer is None else normalizer
        self.n_iter, self.momentum, self.seed = int(n_iter), float(momentum), int(seed)

    @property
    def is_fitted(self) -> bool:
        return self.normalizer.is_fitted

    def _fit(self, spec: np.ndarray) -> None:
        self.normalizer.fit(np.abs(spec))

    def _encode(self, spec: np.ndarray) -> np.ndarray:
        return self.normalizer.transform(np.abs(spec))[..., np.newaxis]

    def _magnitudes(self, arrays: np.ndarray) -> np.ndarray:
        return self.normalizer.inverse(arrays[..., 0])

    def _sound_of(self, mags: np.ndarray, arrays: np.ndarray, length: int) -> np.ndarray:
        return griffin_lim_batches(mags, self.config, length, self.n_iter, self.momentum,
                                   self.seed)

    def _params(self) -> dict[str, Any]:
        return {"n_iter": self.n_iter, "momentum": self.momentum, "seed": self.seed}

    def _fitted_state(self) -> dict[str, Any]:
        return {"normalizer": self.normalizer.get_config()}


class ComplexRepresentation(Representation):
    """What the two representations that keep the phase share: 2 channels,
    an encoding that clips nothing (so the inverse stays exact), a linear
    decoder output unless a subclass says otherwise, and one way back to
    sound.

    A subclass reads a magnitude and a phase off the model's arrays
    (``_polar``); ``sound_from_polar`` turns them into a waveform, by the
    inverse STFT or, with ``refine_iter`` above 0, by that many fast
    Griffin-Lim iterations started from the decoded phase (a decoder's
    magnitudes and phase need not be the STFT of any signal; the
    iterations pull them towards one and keep the phase as the start).

    Args:
        config: STFT settings and crop.
        n_samples: clip length (set by ``fit``).
        refine_iter: Griffin-Lim iterations from the decoded phase (0: none).
        momentum: their fast Griffin-Lim momentum.
    """

    channels = 2
    output_activation = None
    exact = True

    def __init__(self, config: STFTConfig | None = None, n_samples: int | None = None,
                 refine_iter: int = 0, momentum: float = 0.99) -> None:
        super().__init__(config, n_samples)
        if int(refine_iter) < 0:
            raise ValueError(f"refine_iter must be 0 or more, got {refine_iter}")
        self.refine_iter, self.momentum = int(refine_iter), float(momentum)

    def _polar(self, arrays: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(magnitude, phase)`` float64 ``(batch, freq, time)`` of model arrays."""
        raise NotImplementedError

    def _sound_of(self, mags: np.ndarray, arrays: np.ndarray, length: int) -> np.ndarray:
        return sound_from_polar(mags, self._polar(arrays)[1], self.config, length,
                                self.refine_iter, self.momentum)

    def _params(self) -> dict[str, Any]:
        return {"refine_iter": self.refine_iter, "momentum": self.momentum}


# --------------------------------------------------------- real + imaginary


class RealImagRepresentation(ComplexRepresentation):
    """Real and imaginary parts of the compressed STFT, 2 channels; exact inverse.

    Raw STFT values span many orders of magnitude (a loud hum partial near
    200, the quiet bins around it 1e-4 and less), far too wide for a network
    to regress with a squared error.  Two invertible steps bring them into
    range:

    1. a phase-preserving power law ``Y = |X|^alpha * X / |X|`` with
       ``alpha = 0.3`` (the "compressed complex spectrum" of speech
       enhancement): 80 dB of magnitude range become 24 dB, and the phase,
       which the real/imaginary split carries, is untouched.  A
       ``sign(x) log1p(|x| / c)`` on each part separately would also be
       invertible, but it bends the phase of every bin by an amount that
       depends on the level;
    2. a per-frequency scale ``s_f``: the root mean square of the compressed
       real (= imaginary) part of bin ``f`` over the training set, times
       ``n_std`` (3), so that each bin's values are mostly within [-1, 1] and
       every bin weighs about the same in the squared error, as with the
       magnitude representation's per-frequency standardisation.

    Nothing is clipped (clipping would break the exact inverse), so the
    decoder's output is linear.  ``refine_iter`` and ``momentum`` are those
    of ``ComplexRepresentation``; the default 0 keeps the exact inverse.

    Args:
        config: STFT settings and crop.
        alpha: power-law exponent in (0, 1].
        n_std: how many RMS map to 1.
        scale: fitted ``(freq,)`` scales (set by ``fit``).
        n_samples: clip length (set by ``fit``).
    """

    name = "real_imag"

    def __init__(self, config: STFTConfig | None = None, alpha: float = 0.3,
                 n_std: float = 3.0, scale: Any = None, n_samples: int | None = None,
                 refine_iter: int = 0, momentum: float = 0.99) -> None:
        super().__init__(config, n_samples, refine_iter, momentum)
        if not 0.0 < alpha <= 1.0:
            raise ValueError(f"alpha must be in (0, 1], got {alpha}")
        if n_std <= 0:
            raise ValueError(f"n_std must be positive, got {n_std}")
        self.alpha, self.n_std = float(alpha), float(n_std)
        self.scale = None if scale is None else np.asarray(scale, dtype=np.float64)

    @property
    def is_fitted(self) -> bool:
        return self.scale is not None

    def _fit(self, spec: np.ndarray) -> None:
        power = np.abs(compress(spec, self.alpha)) ** 2
        rms = np.sqrt(np.mean(power, axis=(0, 2)) / 2.0)  # per part: half the power
        # A bin silent in every training clip would divide by zero: floor it.
        floor = 1e-3 * max(float(rms.max()), 1e-12)
        self.scale = self.n_std * np.maximum(rms, floor)

    def _check_scale(self) -> np.ndarray:
        if len(self.scale) != self.n_freq:
            raise ValueError(f"fitted on {len(self.scale)} bins, the config has {self.n_freq}")
        return self.scale[:, None]

    def _encode(self, spec: np.ndarray) -> np.ndarray:
        y = compress(spec, self.alpha) / self._check_scale()
        return np.stack([y.real, y.imag], axis=-1)

    def _complex(self, arrays: np.ndarray) -> np.ndarray:
        y = (arrays[..., 0].astype(np.float64) + 1j * arrays[..., 1]) * self._check_scale()
        return decompress(y, self.alpha)

    def _magnitudes(self, arrays: np.ndarray) -> np.ndarray:
        return np.abs(self._complex(arrays))

    def _polar(self, arrays: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        spec = self._complex(arrays)
        return np.abs(spec), np.angle(spec)

    def _params(self) -> dict[str, Any]:
        return {"alpha": self.alpha, "n_std": self.n_std, **super()._params()}

    def _fitted_state(self) -> dict[str, Any]:
        return {"scale": None if self.scale is None else self.scale.tolist()}


# ------------------------------------------ log magnitude + inst. frequency


class LogMagIFRepresentation(ComplexRepresentation):
    """Log magnitude and instantaneous frequency, 2 channels (GANSynth); exact inverse.

    Channel 0 is the magnitude representation's per-frequency standardised
    log magnitude, ``(ln(|X| + 1e-6) - mean_f) / (3 std_f)``, with the same
    statistics, but *not clipped* to [-1, 1]: clipping caps the loudest bins
    of pulsed sounds (a queen's toot, worker piping) at 3 standard deviations
    and raises the quietest, and on the synthetic corpus that alone limits a
    round trip to about 35 dB SNR on toots and piping (below 10 dB on the
    worst clip) instead of over 130 dB.  About 0.2 % of the values fall
    outside [-1, 1].  The decoder's output is nevertheless ``tanh``: it
    costs a model only those few loudest values, and with a linear output
    the decoder drew a smooth blur and no partial at all, where with
    ``tanh`` it draws the harmonics (results/README.md, "A decoder that draws
    lines").

    Channel 1 is the instantaneous frequency (``instantaneous_frequency``):
    the phase advance of each bin from one frame to the next, minus the
    advance of the bin's centre frequency, over pi; in [-1, 1] by
    construction.  A steady partial is a constant in its bins, where raw
    phase would be a fast-wrapping ramp.  Decoding sums it back up
    (``integrate_instantaneous_frequency``) and takes the inverse STFT.

    A decoder trained with a squared error predicts the *mean* IF, 0, in
    bins where the IF is unpredictable (noise between the partials).  IF 0
    in every bin makes all bins realign every ``n_fft / hop`` frames, a click
    train (15.6 Hz at the defaults).  ``dither_below_db`` is the remedy for
    decoding model outputs: in bins quieter than that many dB below the
    clip's loudest bin, the IF is replaced by uniform noise in [-1, 1]
    (seeded by ``seed``), which is what noise's IF looks like.  The default
    ``None`` keeps the exact inverse.

    A decoder's magnitudes and IF need not form the STFT of any signal:
    the inverse STFT then averages frames that disagree, and the sound's
    magnitudes drift from the ones drawn.  ``refine_iter`` is the remedy
    that keeps the decoded phase (``ComplexRepresentation``): that many fast
    Griffin-Lim iterations (``beeutils.dsp.phase.griffin_lim``) started from
    it instead of from random phase.  The default 0 keeps the exact inverse
    (an STFT of a signal is a fixed point of Griffin-Lim only up to the
    crop).

    Args:
        config: STFT settings and crop.
        normalizer: ``PerFrequencyNormalizer`` (fitted or not) or its config.
        n_samples: clip length (set by ``fit``).
        dither_below_db: ``None`` (exact) or a negative level in dB.
        seed: seed of the dither.
    """

    name = "logmag_if"
    output_activation = "tanh"

    def __init__(self, config: STFTConfig | None = None,
                 normalizer: PerFrequencyNormalizer | dict | None = None,
                 n_samples: int | None = None, dither_below_db: float | None = None,
                 seed: int = 0, refine_iter: int = 0, momentum: float = 0.99) -> None:
        super().__init__(config, n_samples, refine_iter, momentum)
        if isinstance(normalizer, dict):
            normalizer = PerFrequencyNormalizer.from_config(normalizer)
        self.normalizer = PerFrequencyNormalizer() if normalizer is None else normalizer
        if dither_below_db is not None and not dither_below_db < 0:
            raise ValueError(f"dither_below_db must be negative (dB below the loudest bin) "
                             f"or None, got {dither_below_db}")
        self.dither_below_db = None if dither_below_db is None else float(dither_below_db)
        self.seed = int(seed)

    @property
    def is_fitted(self) -> bool:
        return self.normalizer.is_fitted

    def _fit(self, spec: np.ndarray) -> None:
        self.normalizer.fit(np.abs(spec))

    def _stats(self) -> tuple[np.ndarray, np.ndarray]:
        norm = self.normalizer
        if norm.n_freq != self.n_freq:
            raise ValueError(f"normaliser fitted on {norm.n_freq} bins, the config has "
                             f"{self.n_freq}")
        return norm.mean[:, None], (norm.std * norm.n_std)[:, None]

    def _encode(self, spec: np.ndarray) -> np.ndarray:
        mean, scale = self._stats()
        log_mag = (np.log(np.abs(spec).astype(np.float64) + self.normalizer.eps) - mean) / scale
        return np.stack([log_mag, instantaneous_frequency(spec, self.config)], axis=-1)

    def _magnitudes(self, arrays: np.ndarray) -> np.ndarray:
        mean, scale = self._stats()
        mags = np.exp(arrays[..., 0].astype(np.float64) * scale + mean) - self.normalizer.eps
        return np.maximum(mags, 0.0)

    def _polar(self, arrays: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mags = self._magnitudes(arrays)
        inst_freq = arrays[..., 1]
        if self.dither_below_db is not None:
            loudest = mags.max(axis=(-2, -1), keepdims=True)
            quiet = mags < loudest * 10.0 ** (self.dither_below_db / 20.0)
            noise = np.random.default_rng(self.seed).uniform(-1.0, 1.0, inst_freq.shape)
            inst_freq = np.where(quiet, noise, inst_freq)
        return mags, integrate_instantaneous_frequency(inst_freq, self.config)

    def _params(self) -> dict[str, Any]:
        return {"dither_below_db": self.dither_below_db, "seed": self.seed,
                **super()._params()}

    def _fitted_state(self) -> dict[str, Any]:
        return {"normalizer": self.normalizer.get_config()}


# ------------------------------------------------------------------ registry

#: name -> representation class; build one with ``cls(STFTConfig(...))``.
REPRESENTATIONS: dict[str, type[Representation]] = {
    cls.name: cls
    for cls in (MagnitudeRepresentation, RealImagRepresentation, LogMagIFRepresentation)
}


def make_representation(name: str, config: STFTConfig | None = None,
                        **kwargs: Any) -> Representation:
    """``REPRESENTATIONS[name](config, **kwargs)`` with a clear error for unknown names."""
    if name not in REPRESENTATIONS:
        raise ValueError(f"unknown representation {name!r}; choose one of "
                         f"{', '.join(REPRESENTATIONS)}")
    return REPRESENTATIONS[name](config, **kwargs)


def representation_from_config(config: dict[str, Any]) -> Representation:
    """Rebuild any representation from its ``get_config()`` dict."""
    name = config.get("name")
    if name not in REPRESENTATIONS:
        raise ValueError(f"unknown representation {name!r} in config; known: "
                         f"{', '.join(REPRESENTATIONS)}")
    return REPRESENTATIONS[name].from_config(config)


def load_representation(path: str | Path) -> Representation:
    """Read a representation saved with ``Representation.save``."""
    path = Path(path)
    try:
        config = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"{path}: cannot read a representation config ({err})") from err
    return representation_from_config(config)
