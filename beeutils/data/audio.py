"""Reading, writing, resampling, segmenting, levelling and high-passing audio.

Every waveform the series handles is float32 mono in [-1, 1], 16 kHz by
default.  ``load_audio`` turns whatever a file holds into that, and refuses a
bad file with an ``AudioError`` that names the file and the problem, so that a
corpus reader can skip the file and report it instead of crashing.

Reading goes through ``soundfile`` (libsndfile: wav, flac, ogg/vorbis and,
with libsndfile >= 1.1, mp3).  When libsndfile cannot decode mp3, librosa's
audioread fallback is tried (it needs ffmpeg or a similar system decoder).
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path
from typing import Union

import numpy as np

PathLike = Union[str, Path]

#: Peak of a float file above which the samples are taken to be stored at an
#: integer scale (e.g. +-32767 in a float wav) rather than merely clipping.
FLOAT_SCALE_THRESHOLD = 1.5

#: Integer full scales tried, in order, for float files stored at integer scale.
INTEGER_FULL_SCALES = (2.0**15, 2.0**23, 2.0**31)

#: Peak below which ``require_sound=True`` calls a file silent (-120 dBFS).
SILENCE_PEAK = 1e-6


class AudioError(ValueError):
    """A file (or folder) that cannot serve as audio, and why.

    Attributes:
        path: the offending file.
        problem: short description of what is wrong with it.
    """

    def __init__(self, path: PathLike, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")

    def __reduce__(self):  # keep path and problem when pickled (multiprocessing)
        return (type(self), (self.path, self.problem))


# --------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _soundfile_extensions() -> frozenset[str]:
    """File extensions libsndfile knows (lower case, with the dot)."""
    import soundfile as sf

    exts = {"." + name.lower() for name in sf.available_formats()}
    if ".aiff" in exts:
        exts.add(".aif")
    if ".ogg" in exts:
        exts.update({".oga", ".opus"})
    return frozenset(exts)


def _soundfile_reads_mp3() -> bool:
    """True when the installed libsndfile decodes mp3 (version >= 1.1)."""
    return ".mp3" in _soundfile_extensions()


def _read_with_soundfile(path: Path) -> tuple[np.ndarray, int]:
    """(samples, channels) float64 and the file's rate; integers scaled to [-1, 1)."""
    import soundfile as sf

    # Integer subtypes come back divided by their full scale; float subtypes
    # come back as stored (the integer-scale check happens in load_audio).
    data, rate = sf.read(str(path), dtype="float64", always_2d=True)
    return data, int(rate)


def _read_with_audioread(path: Path) -> tuple[np.ndarray, int]:
    """Fallback decoder (librosa -> audioread -> ffmpeg/gstreamer/...)."""
    import librosa

    with warnings.catch_warnings():
        # librosa announces the fallback and its deprecation; we report failures ourselves
        warnings.simplefilter("ignore")
        data, rate = librosa.load(str(path), sr=None, mono=False, dtype=np.float64)
    data = np.atleast_2d(data).T  # librosa: (channels, samples) -> (samples, channels)
    return data, int(rate)


def _decode(path: Path) -> tuple[np.ndarray, int]:
    """Decode a file to (samples, channels) float64, or raise AudioError."""
    ext = path.suffix.lower()
    try:
        return _read_with_soundfile(path)
    except MemoryError:
        raise
    except Exception as err:  # libsndfile reports corrupt and unknown files alike
        sf_error = str(err).split(": ", 1)[-1].strip() or type(err).__name__
    if ext == ".mp3" and not _soundfile_reads_mp3():
        try:
            return _read_with_audioread(path)
        except MemoryError:
            raise
        except Exception:
            raise AudioError(
                path,
                "unsupported format: mp3 needs libsndfile >= 1.1 (soundfile >= 0.12) "
                "or an audioread backend such as ffmpeg",
            ) from None
    if ext not in _soundfile_extensions() and ext != ".mp3":
        raise AudioError(
            path,
            f"unsupported format {ext or '(no extension)'!r}: convert it to wav or flac",
        )
    raise AudioError(path, f"corrupt or unreadable audio file ({sf_error})")


def _to_unit_range(data: np.ndarray, path: Path) -> np.ndarray:
    """Bring float samples into [-1, 1].

    The rule: integer files are already in [-1, 1) after decoding.  A float
    file whose peak exceeds ``FLOAT_SCALE_THRESHOLD`` (1.5) was written at an
    integer scale (some tools store e.g. +-32767 in a float wav), so it is
    divided by the smallest of 2**15, 2**23, 2**31 that its peak does not
    exceed.  A peak between 1 and 1.5 is ordinary overshoot (lossy codecs,
    float mixes) and is clipped.
    """
    peak = float(np.max(np.abs(data))) if data.size else 0.0
    if peak > FLOAT_SCALE_THRESHOLD:
        for full_scale in INTEGER_FULL_SCALES:
            if peak <= full_scale * (1 + 1e-9):
                data = data / full_scale
                break
        else:
            raise AudioError(
                path,
                f"float samples far outside [-1, 1] (peak {peak:.3g}), "
                "beyond any integer full scale",
            )
    return np.clip(data, -1.0, 1.0)


def load_audio(
    path: PathLike,
    sr: int | None = 16000,
    *,
    min_duration: float | None = None,
    require_sound: bool = False,
    mono: bool = True,
) -> np.ndarray:
    """Read an audio file as float32 in [-1, 1] at the requested rate.

    Args:
        path: wav, flac, ogg or mp3 file (anything libsndfile reads).
        sr: sample rate to return, in Hz; the file is resampled (soxr, high
            quality) when its rate differs.  ``None`` keeps the file's rate.
        min_duration: refuse files shorter than this many seconds.
        require_sound: refuse files whose peak is below ``SILENCE_PEAK``
            (-120 dBFS), i.e. digital silence.
        mono: average the channels (the series' convention).  With
            ``mono=False`` the result is ``(channels, samples)``.

    Returns:
        ``(samples,)`` float32 array in [-1, 1] (``(channels, samples)`` when
        ``mono=False``).  Integer files are scaled by their full scale; float
        files stored at integer scale are detected and rescaled (see
        ``_to_unit_range`` for the rule); slight overshoot is clipped.

    Raises:
        AudioError: the file is missing, empty, corrupt, in an unsupported
            format, holds non-finite samples, is shorter than ``min_duration``
            or (with ``require_sound``) silent.  ``err.problem`` says which.
    """
    path = Path(path)
    if sr is not None and (int(sr) != sr or sr <= 0):
        raise ValueError(f"sr must be a positive integer or None, got {sr!r}")
    if not path.exists():
        raise AudioError(path, "file not found")
    if path.is_dir():
        raise AudioError(path, "is a directory, not an audio file")
    if path.stat().st_size == 0:
        raise AudioError(path, "empty file (0 bytes)")

    data, file_sr = _decode(path)
    if data.shape[0] == 0:
        raise AudioError(path, "empty audio: the file holds no samples (0 frames)")
    finite = np.isfinite(data)
    if not finite.all():
        n_nan = int(np.isnan(data).sum())
        n_inf = int(data.size - finite.sum() - n_nan)
        raise AudioError(path, f"non-finite samples ({n_nan} NaN, {n_inf} inf)")
    duration = data.shape[0] / file_sr
    if min_duration is not None and duration < min_duration:
        raise AudioError(
            path, f"too short: {duration:.3f} s, need at least {min_duration:.3f} s"
        )

    data = _to_unit_range(data, path)
    if require_sound and np.max(np.abs(data)) < SILENCE_PEAK:
        raise AudioError(path, "all silent: peak below -120 dBFS (digital silence)")

    wave = data.mean(axis=1) if mono else data.T  # (samples,) or (channels, samples)
    if sr is not None and file_sr != sr:
        import librosa

        wave = librosa.resample(wave, orig_sr=file_sr, target_sr=int(sr), res_type="soxr_hq")
        wave = np.clip(wave, -1.0, 1.0)  # the anti-alias filter can overshoot slightly
    return np.ascontiguousarray(wave, dtype=np.float32)


# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------


def save_audio(
    path: PathLike, wave: np.ndarray, sr: int = 16000, subtype: str = "PCM_16"
) -> Path:
    """Write a waveform to a file, creating parent folders.

    Args:
        path: destination; the format follows the extension (wav, flac, ogg...).
        wave: ``(samples,)`` mono or ``(channels, samples)``, floats in [-1, 1];
            values outside are clipped.
        sr: sample rate in Hz.
        subtype: libsndfile subtype, e.g. ``"PCM_16"``, ``"PCM_24"``,
            ``"FLOAT"`` (lossless float32).

    Returns:
        The path written.

    Raises:
        AudioError: the wave holds NaN or inf (writing them would only move
            the problem to whoever reads the file).
    """
    import soundfile as sf

    path = Path(path)
    wave = np.asarray(wave, dtype=np.float64)
    if wave.ndim not in (1, 2):
        raise ValueError(
            f"wave must be (samples,) or (channels, samples), got shape {wave.shape}"
        )
    if int(sr) != sr or sr <= 0:
        raise ValueError(f"sr must be a positive integer, got {sr!r}")
    if not np.isfinite(wave).all():
        n_bad = int(wave.size - np.isfinite(wave).sum())
        raise AudioError(path, f"refusing to write non-finite samples ({n_bad} NaN/inf)")
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.clip(wave, -1.0, 1.0)
    sf.write(str(path), data.T if data.ndim == 2 else data, int(sr), subtype=subtype)
    return path


# --------------------------------------------------------------------------
# segmenting
# --------------------------------------------------------------------------


def segment_starts(
    n_samples: int, length: int, hop: int | None = None, pad: bool = False
) -> np.ndarray:
    """Start sample of each segment ``segment`` would cut (see there)."""
    hop = length if hop is None else hop
    for name, value in (("length", length), ("hop", hop)):
        if int(value) != value or value <= 0:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if n_samples <= 0:
        return np.zeros(0, dtype=np.int64)
    if n_samples < length:
        n = 1 if pad else 0
    else:
        n = 1 + (n_samples - length) // hop
        if pad and (n - 1) * hop + length < n_samples:
            n += 1  # one more, zero-padded segment holds the tail
    return np.arange(n, dtype=np.int64) * int(hop)


def segment(wave: np.ndarray, length: int, hop: int | None = None, pad: bool = False) -> np.ndarray:
    """Cut a waveform into equal segments.

    Args:
        wave: ``(samples,)`` waveform.
        length: segment length in samples.
        hop: step between segment starts in samples (default ``length``: no
            overlap; smaller overlaps, larger leaves gaps).
        pad: zero-pad the tail (samples after the last full segment) into one
            more segment; without it the tail is dropped.

    Returns:
        ``(n_segments, length)`` array of the input's dtype (a copy).  Input
        shorter than ``length`` gives ``(0, length)`` unless ``pad``.
    """
    wave = np.asarray(wave)
    if wave.ndim != 1:
        raise ValueError(f"segment expects a 1-D waveform, got shape {wave.shape}")
    starts = segment_starts(wave.shape[0], length, hop, pad)
    if starts.size == 0:
        return np.zeros((0, int(length)), dtype=wave.dtype)
    needed = int(starts[-1]) + int(length)
    if needed > wave.shape[0]:
        wave = np.pad(wave, (0, needed - wave.shape[0]))
    index = starts[:, None] + np.arange(int(length))[None, :]
    return wave[index]


# --------------------------------------------------------------------------
# levels (all work on the last axis, so a batch (n, samples) is done row by row)
# --------------------------------------------------------------------------

_TINY = 1e-12  # below this a signal counts as silent: no gain is applied


def rms_db(wave: np.ndarray, floor_db: float = -240.0) -> np.ndarray | float:
    """RMS level in dB relative to full scale (a full-scale sine is -3 dB).

    Args:
        wave: ``(..., samples)``.
        floor_db: returned for silence instead of -inf.

    Returns:
        A float for 1-D input, else an array of shape ``(...)``.
    """
    wave = np.asarray(wave, dtype=np.float64)
    rms = np.sqrt(np.mean(np.square(wave), axis=-1))
    level = 20.0 * np.log10(np.maximum(rms, 10.0 ** (floor_db / 20.0)))
    return float(level) if np.ndim(level) == 0 else level


def peak_normalize(wave: np.ndarray, peak: float = 0.9) -> np.ndarray:
    """Scale so that the largest absolute sample equals ``peak``.

    Works row by row on ``(..., samples)``; silent rows are returned unchanged.
    Returns float32.
    """
    if not peak > 0:
        raise ValueError(f"peak must be positive, got {peak!r}")
    wave = np.asarray(wave, dtype=np.float32)
    if wave.size == 0:
        return wave.copy()
    current = np.max(np.abs(wave), axis=-1, keepdims=True)
    gain = np.where(current > _TINY, peak / np.maximum(current, _TINY), 1.0)
    return (wave * gain).astype(np.float32)


def rms_normalize(wave: np.ndarray, rms_db: float = -20.0, max_peak: float = 1.0) -> np.ndarray:
    """Scale to an RMS level in dBFS, without pushing the peak past ``max_peak``.

    Recordings with loud clicks (bees touching the microphone) have a large
    peak-to-RMS ratio: reaching the target RMS would clip them, so the gain is
    capped and such a row ends quieter than ``rms_db``.  Works row by row on
    ``(..., samples)``; silent rows are returned unchanged.  Returns float32.
    """
    wave = np.asarray(wave, dtype=np.float32)
    if wave.size == 0:
        return wave.copy()
    rms = np.sqrt(np.mean(np.square(wave, dtype=np.float64), axis=-1, keepdims=True))
    peak = np.max(np.abs(wave), axis=-1, keepdims=True).astype(np.float64)
    target = 10.0 ** (rms_db / 20.0)
    gain = np.minimum(target / np.maximum(rms, _TINY), max_peak / np.maximum(peak, _TINY))
    gain = np.where(rms > _TINY, gain, 1.0)
    return (wave * gain).astype(np.float32)


def normalize_level(wave: np.ndarray, peak: float = 0.9, rms_db: float | None = None) -> np.ndarray:
    """Peak-normalise to ``peak`` or, given ``rms_db``, RMS-normalise with ``peak`` as ceiling."""
    if rms_db is None:
        return peak_normalize(wave, peak)
    return rms_normalize(wave, rms_db=rms_db, max_peak=peak)


# filtering
# --------------------------------------------------------------------------


def high_pass(wave: np.ndarray, cutoff_hz: float, sr: int, order: int = 6) -> np.ndarray:
    """Remove what lies below ``cutoff_hz``, without shifting anything in time.

    A Butterworth high-pass of ``order`` run forward and backward
    (``scipy.signal.sosfiltfilt``): zero phase, so onsets stay where they
    were, and twice the order's attenuation (-6 dB at ``cutoff_hz``).  Works
    row by row on ``(..., samples)``.

    Args:
        wave: ``(..., samples)``.
        cutoff_hz: edge of the pass band, Hz; between 0 and Nyquist.
        sr: sample rate, Hz.
        order: filter order (each pass).

    Returns:
        float32, the shape of ``wave``.
    """
    from scipy import signal

    if not 0 < cutoff_hz < sr / 2:
        raise ValueError(f"cutoff_hz must lie between 0 and Nyquist ({sr / 2:g} Hz), "
                         f"got {cutoff_hz!r}")
    sos = signal.butter(order, cutoff_hz, "highpass", fs=sr, output="sos")
    return signal.sosfiltfilt(sos, np.asarray(wave, dtype=np.float64), axis=-1).astype(np.float32)


__all__ = [
    "AudioError",
    "load_audio",
    "save_audio",
    "segment",
    "segment_starts",
    "peak_normalize",
    "rms_normalize",
    "rms_db",
    "normalize_level",
    "high_pass",
    "FLOAT_SCALE_THRESHOLD",
    "INTEGER_FULL_SCALES",
    "SILENCE_PEAK",
]
