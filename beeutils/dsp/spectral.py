"""STFT configuration and transforms, laid out frequency-by-time.

Every spectrogram in the series is ``(..., freq, time)``: frequency on the
second-to-last axis (row 0 is 0 Hz), time on the last, as librosa lays them
out.  ``tf.signal.stft`` returns time-by-frequency; this module transposes at
that boundary, once, so that nothing else has to.

Two implementations agree to within 1e-4 relative error:
- NumPy (through librosa): ``stft``, ``istft``;
- TensorFlow (through ``tf.signal``): ``tf_stft``, ``tf_istft``, batched and
  differentiable, running unchanged on a GPU.

Both centre the frames (``n_fft // 2`` zeros padded on each side), so frame
``t`` is centred on sample ``t * hop``.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Literal

import numpy as np

#: Windows both implementations accept (names as ``scipy.signal.get_window``).
WINDOWS = ("hann", "hamming", "blackman", "boxcar")


@dataclasses.dataclass(frozen=True)
class STFTConfig:
    """How a waveform becomes a spectrogram, and which part the model sees.

    Attributes:
        sr: sample rate in Hz.
        n_fft: FFT size and window length in samples.
        hop: hop between frames in samples.
        window: window name, one of ``WINDOWS``.
        n_freq_keep: number of lowest frequency bins the model sees (``None``:
            all ``n_fft // 2 + 1``).  128 bins of 15.6 Hz reach 2 kHz.
        n_frames: number of frames the model sees (``None``: all).
    """

    sr: int = 16000
    n_fft: int = 1024
    hop: int = 256
    window: str = "hann"
    n_freq_keep: int | None = 128
    n_frames: int | None = 128

    def __post_init__(self) -> None:
        problems = validate_stft_settings(self.n_fft, self.hop, self.window)
        if self.sr <= 0:
            problems.append(f"sample rate must be positive, got {self.sr}")
        if self.n_freq_keep is not None and not 0 < self.n_freq_keep <= self.n_bins:
            problems.append(f"n_freq_keep must be in 1..{self.n_bins}, got {self.n_freq_keep}")
        if self.n_frames is not None and self.n_frames <= 0:
            problems.append(f"n_frames must be positive, got {self.n_frames}")
        if problems:
            raise ValueError("invalid STFTConfig: " + "; ".join(problems))

    @property
    def n_bins(self) -> int:
        """Number of frequency bins of the full one-sided STFT."""
        return self.n_fft // 2 + 1

    @property
    def bin_hz(self) -> float:
        """Spacing of frequency bins in Hz (frequency resolution)."""
        return self.sr / self.n_fft

    @property
    def frame_seconds(self) -> float:
        """Spacing of frames in seconds (time resolution of the grid)."""
        return self.hop / self.sr

    @property
    def window_seconds(self) -> float:
        """Length of the analysis window in seconds."""
        return self.n_fft / self.sr

    @property
    def model_shape(self) -> tuple[int | None, int | None]:
        """``(freq, time)`` the model sees (``None`` where uncropped)."""
        return (self.n_freq_keep, self.n_frames)

    def n_frames_for(self, n_samples: int) -> int:
        """Number of centred frames the STFT of ``n_samples`` samples has."""
        return 1 + n_samples // self.hop

    def frequencies(self, cropped: bool = False) -> np.ndarray:
        """Centre frequency of each bin in Hz, shape ``(freq,)``."""
        freqs = np.arange(self.n_bins) * self.bin_hz
        return freqs[: self.n_freq_keep] if cropped and self.n_freq_keep else freqs

    @property
    def band_top_hz(self) -> float:
        """Centre of the highest bin the model sees, in Hz: the top of its band."""
        return float(self.frequencies(cropped=True)[-1])

    def times(self, n_frames: int) -> np.ndarray:
        """Centre time of each frame in seconds, shape ``(n_frames,)``."""
        return np.arange(n_frames) * self.frame_seconds

    def replace(self, **changes: Any) -> "STFTConfig":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)


def validate_stft_settings(
    n_fft: int, hop: int, window: str, n_samples: int | None = None
) -> list[str]:
    """Reasons these STFT settings cannot work, as sentences (empty if fine).

    Args:
        n_fft: FFT/window length in samples.
        hop: hop in samples.
        window: window name.
        n_samples: length of the signal to analyse, if known.
    """
    problems = []
    if n_fft < 2:
        problems.append(f"n_fft must be at least 2, got {n_fft}")
    if hop < 1:
        problems.append(f"hop must be at least 1 sample, got {hop}")
    elif hop > n_fft:
        problems.append(
            f"hop ({hop}) is larger than the window ({n_fft}): samples between "
            "windows would never be analysed"
        )
    if window not in WINDOWS:
        problems.append(f"unknown window {window!r}; choose one of {', '.join(WINDOWS)}")
    if n_samples is not None and n_fft > n_samples:
        problems.append(
            f"the window ({n_fft} samples) is longer than the clip ({n_samples} samples)"
        )
    return problems


#: The grid the models of the benchmark and the command lines see: a 512-point
#: FFT (31.25 Hz bins, 32 ms window) with hop 256, the lowest 256 of its 257
#: bins, 0-7.97 kHz by 128 frames for a 2.048 s clip: the whole band at 16 kHz.
#: Every kind of the corpus lies inside it (hiss at 2-6 kHz and above, the
#: crickets of no-bee at 4-5 kHz), where the default crop (0-2 kHz, 15.6 Hz
#: bins) keeps about 0.13 of hiss.  Its cost: 256 x 128 values per clip
#: instead of 128 x 128, twice the pixels.
WIDEBAND = STFTConfig(n_fft=512, hop=256, n_freq_keep=256, n_frames=128)


@functools.lru_cache(maxsize=32)
def window_array(window: str, n_fft: int) -> np.ndarray:
    """Periodic analysis window, float32, shape ``(n_fft,)``."""
    from scipy.signal import get_window

    return get_window(window, n_fft, fftbins=True).astype(np.float32)


# --------------------------------------------------------------------- NumPy


def stft(wave: np.ndarray, config: STFTConfig) -> np.ndarray:
    """Complex STFT of a waveform (NumPy, through librosa).

    Args:
        wave: float waveform, shape ``(..., samples)``.
        config: STFT settings; no cropping is applied here (see ``crop``).

    Returns:
        complex64 array ``(..., freq, time)`` with ``freq = n_fft // 2 + 1``
        and ``time = 1 + samples // hop``.
    """
    import librosa

    wave = np.asarray(wave, dtype=np.float32)
    return librosa.stft(
        wave,
        n_fft=config.n_fft,
        hop_length=config.hop,
        window=window_array(config.window, config.n_fft),
        center=True,
        pad_mode="constant",
    ).astype(np.complex64)


def bin_phase_advance(config: STFTConfig, n_freq: int | None = None) -> np.ndarray:
    """Phase (radians) by which a sinusoid at each bin's centre frequency
    advances from one frame to the next: ``2 pi k hop / n_fft``, ``(freq,)``
    float64 (the first ``n_freq`` bins, default all)."""
    k = np.arange(config.n_bins if n_freq is None else n_freq, dtype=np.float64)
    return 2.0 * np.pi * k * config.hop / config.n_fft


def continue_frames(spec: Any, config: STFTConfig, length: int | None,
                    time_axis: int = -1) -> Any:
    """``spec`` with the frames a clip of ``length`` samples needs appended.

    A model sees ``n_frames`` frames, often one fewer than its clips have
    (128 of the 129 centred frames of 2.048 s at hop 256), so that its grid
    halves evenly.  Without that last frame, the final half-window of the
    clip is covered by one fading window only, and the inverse STFT divides
    by almost nothing there: Griffin-Lim's estimate became a burst near 60 dB
    above the clip in its last milliseconds, and an exact inverse doubled the
    level.  Each missing frame continues its bin as a steady sinusoid: the
    last magnitude, and (complex input) the last phase advanced by the bin's
    centre frequency (``bin_phase_advance``) per hop.

    Args:
        spec: complex STFT or magnitudes, a NumPy array or a TensorFlow
            tensor, ``(..., freq, time)`` (or ``(..., time, freq)`` with
            ``time_axis=-2``, ``tf.signal``'s layout); ``freq`` holds the
            lowest bins (cropped or all).
        config: its STFT settings.
        length: samples of the clip it stands for (``None``: as it is).
        time_axis: ``-1`` (the series' layout) or ``-2``.

    Returns:
        ``spec``'s kind and dtype, with ``max(time, config.n_frames_for(length))``
        frames.
    """
    if time_axis not in (-1, -2):
        raise ValueError(f"time_axis must be -1 or -2, got {time_axis}")
    numpy = isinstance(spec, np.ndarray) or not hasattr(spec, "shape")
    if numpy:
        spec = np.asarray(spec)
    n_time = int(spec.shape[time_axis])
    missing = 0 if length is None else config.n_frames_for(int(length)) - n_time
    if missing <= 0:
        return spec
    n_freq = int(spec.shape[-2 if time_axis == -1 else -1])
    steps = np.arange(1, missing + 1)
    advance = bin_phase_advance(config, n_freq)[:, None] * steps  # (freq, missing)
    if time_axis == -2:
        advance = advance.T
    if numpy:
        last = np.take(spec, [n_time - 1], axis=time_axis)
        new = (last * np.exp(1j * advance) if np.iscomplexobj(spec)
               else np.repeat(last, missing, axis=time_axis))
        return np.concatenate([spec, new.astype(spec.dtype)], axis=time_axis)
    import tensorflow as tf

    last = tf.gather(spec, [n_time - 1], axis=time_axis)
    if spec.dtype.is_complex:
        new = last * tf.constant(np.exp(1j * advance), dtype=spec.dtype)
    else:
        new = tf.repeat(last, missing, axis=time_axis)
    return tf.concat([spec, new], axis=time_axis)


def istft(spec: np.ndarray, config: STFTConfig, length: int | None = None) -> np.ndarray:
    """Inverse of ``stft`` (NumPy, through librosa).

    Args:
        spec: complex array ``(..., freq, time)`` with all ``n_fft // 2 + 1``
            bins (pad cropped bins with zeros first, see ``uncrop``).
        config: the settings used by the forward transform.
        length: number of samples to return (default: ``(time - 1) * hop``);
            frames it needs beyond ``spec``'s are continued
            (``continue_frames``).

    Returns:
        float32 waveform ``(..., samples)``.
    """
    import librosa

    return librosa.istft(
        continue_frames(spec, config, length),
        hop_length=config.hop,
        n_fft=config.n_fft,
        window=window_array(config.window, config.n_fft),
        center=True,
        length=length,
    ).astype(np.float32)


# ---------------------------------------------------------------- TensorFlow


def tf_stft(wave: Any, config: STFTConfig) -> Any:
    """Complex STFT in TensorFlow, frequency-by-time, matching ``stft``.

    Args:
        wave: float tensor ``(..., samples)``.
        config: STFT settings (no cropping here).

    Returns:
        complex64 tensor ``(..., freq, time)``.
    """
    import tensorflow as tf

    # tf.signal lays out (..., time, freq); the series uses (..., freq, time).
    return tf.linalg.matrix_transpose(tf_stft_time_major(wave, config))


def tf_stft_time_major(wave: Any, config: STFTConfig) -> Any:
    """``tf_stft`` in ``tf.signal``'s own layout, ``(..., time, freq)``.

    For code that stays in this layout and transposes once, outside (the
    multi-resolution STFT loss; Griffin-Lim's loop, ``phase._projection``,
    frames the same way).
    """
    import tensorflow as tf

    wave = tf.convert_to_tensor(wave, dtype=tf.float32)
    half = config.n_fft // 2
    paddings = [[0, 0]] * (len(wave.shape) - 1) + [[half, half]]
    padded = tf.pad(wave, paddings)
    window = tf.constant(window_array(config.window, config.n_fft))
    return tf.signal.stft(
        padded,
        frame_length=config.n_fft,
        frame_step=config.hop,
        fft_length=config.n_fft,
        window_fn=lambda length, dtype: window,
        pad_end=False,
    )


@functools.lru_cache(maxsize=32)
def inverse_window_sum(config: STFTConfig, n_frames: int) -> np.ndarray:
    """The iSTFT's normaliser: one over the overlap-added squared window,
    float32 ``(padded_samples,)``, for ``n_frames`` frames before trimming.

    Where the window sum is ~0 (never at the kept samples for sane hops) it
    is 1: the signal stays unscaled rather than divided by zero.
    """
    window = window_array(config.window, config.n_fft).astype(np.float64) ** 2
    total = np.zeros(config.n_fft + config.hop * (n_frames - 1))
    for t in range(n_frames):
        total[t * config.hop : t * config.hop + config.n_fft] += window
    tiny = np.finfo(np.float32).tiny
    return np.where(total > tiny, 1.0 / np.maximum(total, tiny), 1.0).astype(np.float32)


def tf_istft(spec: Any, config: STFTConfig, length: int | None = None) -> Any:
    """Inverse of ``tf_stft`` (least-squares overlap-add, like librosa).

    Args:
        spec: complex tensor ``(..., freq, time)`` with all bins.
        config: the settings used by the forward transform.
        length: samples to return (default ``(time - 1) * hop``); frames it
            needs beyond ``spec``'s are continued as ``continue_frames`` does.

    Returns:
        float32 tensor ``(..., samples)``.
    """
    import tensorflow as tf

    spec = tf.convert_to_tensor(spec)
    return tf_istft_time_major(tf.linalg.matrix_transpose(spec), config, length)


def tf_istft_time_major(spec: Any, config: STFTConfig, length: int | None = None) -> Any:
    """``tf_istft`` of a spectrogram in ``tf.signal``'s layout, ``(..., time, freq)``."""
    import tensorflow as tf

    spec = continue_frames(tf.convert_to_tensor(spec), config, length, time_axis=-2)
    n_frames = int(spec.shape[-2])
    frames = tf.signal.irfft(spec, fft_length=[config.n_fft])
    frames = frames * window_array(config.window, config.n_fft)
    signal = tf.signal.overlap_and_add(frames, config.hop)
    signal = signal * inverse_window_sum(config, n_frames)
    half = config.n_fft // 2
    length = (n_frames - 1) * config.hop if length is None else length
    signal = signal[..., half : half + length]
    short = length - int(signal.shape[-1])
    if short > 0:
        paddings = [[0, 0]] * (len(signal.shape) - 1) + [[0, short]]
        signal = tf.pad(signal, paddings)
    return signal


# ----------------------------------------------------- magnitudes and scales


def magnitude(spec: Any, eps: float = 0.0) -> Any:
    """``|spec|``; with ``eps > 0``, ``sqrt(re^2 + im^2 + eps)``.

    The ``eps`` form keeps the gradient finite at zero in TensorFlow
    (the gradient of ``sqrt`` at 0 is infinite).  Works on NumPy arrays and
    TensorFlow tensors, any shape.
    """
    if isinstance(spec, np.ndarray) or np.isscalar(spec):
        spec = np.asarray(spec)
        if eps == 0.0:
            return np.abs(spec)
        return np.sqrt(spec.real**2 + spec.imag**2 + eps)
    import tensorflow as tf

    if eps == 0.0:
        return tf.abs(spec)
    return tf.sqrt(tf.math.real(spec) ** 2 + tf.math.imag(spec) ** 2 + eps)


def power(spec: np.ndarray) -> np.ndarray:
    """``|spec|^2``, same shape as ``spec``."""
    spec = np.asarray(spec)
    return spec.real**2 + spec.imag**2


def amplitude_to_db(
    mag: np.ndarray, floor_db: float = -80.0, ref: float | Literal["max"] = 1.0
) -> np.ndarray:
    """Magnitude in decibels relative to ``ref``, floored at ``floor_db``.

    ``20 * log10(max(mag, ref * 10**(floor_db / 20)) / ref)``: the floor keeps
    silent bins at ``floor_db`` instead of ``-inf`` (the ``log(0)`` that a
    naive port hits).

    Args:
        mag: non-negative magnitudes, any shape.
        floor_db: lowest value returned, in dB relative to ``ref`` (negative).
        ref: reference amplitude, or ``"max"`` for the largest value in ``mag``.

    Returns:
        float32 array, same shape, values in ``[floor_db, ...]``.
    """
    mag = np.asarray(mag, dtype=np.float64)
    if floor_db >= 0:
        raise ValueError(f"floor_db must be negative, got {floor_db}")
    ref_value = float(mag.max()) if ref == "max" else float(ref)
    if not ref_value > 0:
        # all-zero input with ref="max": everything sits on the floor
        return np.full(mag.shape, floor_db, dtype=np.float32)
    floor = ref_value * 10.0 ** (floor_db / 20.0)
    return (20.0 * np.log10(np.maximum(mag, floor) / ref_value)).astype(np.float32)


def db_to_amplitude(db: np.ndarray, ref: float = 1.0) -> np.ndarray:
    """Inverse of ``amplitude_to_db`` above the floor: ``ref * 10**(db / 20)``."""
    return (ref * 10.0 ** (np.asarray(db, dtype=np.float64) / 20.0)).astype(np.float32)


def mel_filterbank(config: STFTConfig, n_mels: int = 64, fmin: float = 0.0,
                   fmax: float | None = None) -> np.ndarray:
    """Mel filter bank ``(n_mels, freq)`` over the full one-sided STFT."""
    import librosa

    return librosa.filters.mel(
        sr=config.sr, n_fft=config.n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax
    ).astype(np.float32)


def mel_spectrogram(
    spec: np.ndarray, config: STFTConfig, n_mels: int = 64, fmin: float = 0.0,
    fmax: float | None = None,
) -> np.ndarray:
    """Mel power spectrogram from a complex STFT.

    Args:
        spec: complex ``(..., freq, time)`` with all bins.
        config: its STFT settings.
        n_mels: number of mel bands.
        fmin, fmax: band edges in Hz (``fmax`` default ``sr / 2``).

    Returns:
        float32 ``(..., n_mels, time)`` power in mel bands.
    """
    bank = mel_filterbank(config, n_mels, fmin, fmax)
    return np.einsum("mf,...ft->...mt", bank, power(spec)).astype(np.float32)


def mel_frequencies(config: STFTConfig, n_mels: int = 64, fmin: float = 0.0,
                    fmax: float | None = None) -> np.ndarray:
    """Centre frequency in Hz of each mel band, shape ``(n_mels,)``."""
    import librosa

    return librosa.mel_frequencies(n_mels + 2, fmin=fmin, fmax=fmax or config.sr / 2)[1:-1]


# ------------------------------------------------------- model-shaped crops


def crop(spec: np.ndarray, config: STFTConfig) -> np.ndarray:
    """Keep the bins and frames the model sees: ``(..., n_freq_keep, n_frames)``.

    Frames missing at the end are zero-padded, extra ones dropped.
    """
    spec = np.asarray(spec)
    if config.n_freq_keep is not None:
        spec = spec[..., : config.n_freq_keep, :]
    if config.n_frames is not None:
        spec = spec[..., : config.n_frames]
        missing = config.n_frames - spec.shape[-1]
        if missing > 0:
            pad = [(0, 0)] * (spec.ndim - 1) + [(0, missing)]
            spec = np.pad(spec, pad)
    return spec


def uncrop(spec: np.ndarray, config: STFTConfig) -> np.ndarray:
    """Zero-pad cropped bins back to the full ``n_fft // 2 + 1`` (inverse of the
    frequency part of ``crop``; dropped bins come back as zeros, a low-pass)."""
    spec = np.asarray(spec)
    missing = config.n_bins - spec.shape[-2]
    if missing < 0:
        raise ValueError(f"spectrogram has {spec.shape[-2]} bins, more than {config.n_bins}")
    if missing:
        pad = [(0, 0)] * (spec.ndim - 2) + [(0, missing), (0, 0)]
        spec = np.pad(spec, pad)
    return spec


# ------------------------------------------------------ the model's band


def magnitudes(waves: np.ndarray, config: STFTConfig) -> np.ndarray:
    """STFT magnitudes cropped to what the model sees.

    Args:
        waves: float waveforms ``(n, samples)`` or ``(samples,)``.
        config: STFT settings; ``n_freq_keep`` and ``n_frames`` set the crop.

    Returns:
        float32 ``(n, n_freq_keep, n_frames)`` (or ``(freq, time)``), linear
        magnitude (a full-scale sine gives about ``n_fft / 4``).
    """
    spec = stft(np.asarray(waves, dtype=np.float32), config)
    return np.abs(crop(spec, config)).astype(np.float32)


def lowpass_reference(waves: np.ndarray, config: STFTConfig) -> np.ndarray:
    """The waveform a perfect model of the cropped *complex* STFT would give.

    STFT, keep the model's bins and frames (crop), put the missing bins back
    as zeros and invert with the true phase: the clip low-passed at the top of
    the crop (2 kHz by default).  It is the reference for the waveform
    metrics, so that they measure the missing phase, not the crop.

    Args:
        waves: ``(n, samples)`` float waveforms.
        config: STFT settings with the model's crop.

    Returns:
        float32 ``(n, samples)``.
    """
    waves = np.asarray(waves, dtype=np.float32)
    spec = uncrop(crop(stft(waves, config), config), config)
    return istft(spec, config, length=waves.shape[-1])
