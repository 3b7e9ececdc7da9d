"""Random windows from long recordings, streamed by ``tf.data``.

Hours of 10-minute hive recordings do not fit in memory as float32 arrays
(576 NU-Hive files at 16 kHz: about 22 GB).  ``random_windows`` never loads a
file: it reads each file's header once (frame count and sample rate), draws
window positions from a seeded generator, and for every window seeks to its
first sample and reads only that span.  A file stored at another rate is
resampled window by window, with the same resampler as ``audio.load_audio``
(soxr, high quality) and a margin of context on either side, so a window
matches the same stretch of the whole file resampled at once (8, 22.05 and
44.1 kHz files: equal to within 3e-7, float32 rounding).

Pipeline::

    (file, start) plan     Dataset.random(seed) -> position among all
          |                possible windows of all files -> (file, start)
    read_window            tf.numpy_function in a parallel map, order kept
          |
    batch -> map_fn -> prefetch

Window positions are uniform over time: a file twice as long is drawn twice
as often.  The same seed gives the same windows in the same order, on every
iteration of the dataset.
"""

from __future__ import annotations

import atexit
import dataclasses
import math
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Union

import numpy as np

from beeutils.data.audio import AudioError
from beeutils.data.datasets import AUDIO_EXTENSIONS, find_audio_files, report_skipped

__all__ = ["StreamFile", "scan_files", "read_window", "random_windows",
           "stft_magnitudes", "CONTEXT_SAMPLES"]

PathLike = Union[str, Path]

#: Samples of context (at the file's rate) read on each side of a window that
#: must be resampled, so that the resampling filter sees real signal at the
#: window's edges instead of the zeros beyond a cut.
CONTEXT_SAMPLES = 1024


@dataclasses.dataclass(frozen=True)
class StreamFile:
    """What the header of one recording says.

    Attributes:
        path: the file.
        frames: samples per channel, at the file's rate.
        sr: the file's sample rate in Hz.
        channels: channel count (windows are averaged to mono).
    """

    path: Path
    frames: int
    sr: int
    channels: int

    def frames_at(self, sr: int) -> int:
        """Length in samples once resampled to ``sr`` (as ``load_audio`` returns it)."""
        return self.frames if sr == self.sr else math.ceil(self.frames * sr / self.sr)

    def duration(self) -> float:
        """Seconds."""
        return self.frames / self.sr


def _header(path: Path) -> StreamFile:
    """Read a file's header, or raise AudioError saying what is wrong."""
    import soundfile as sf

    if not path.exists():
        raise AudioError(path, "file not found")
    if path.stat().st_size == 0:
        raise AudioError(path, "empty file (0 bytes)")
    try:
        info = sf.info(str(path))
    except Exception as err:  # libsndfile reports corrupt and unknown files alike
        detail = str(err).split(": ", 1)[-1].strip() or type(err).__name__
        raise AudioError(path, f"corrupt or unreadable audio file ({detail})") from None
    if info.frames <= 0:
        raise AudioError(path, "empty audio: the file holds no samples (0 frames)")
    return StreamFile(path=path, frames=int(info.frames), sr=int(info.samplerate),
                      channels=int(info.channels))


def scan_files(
    paths: PathLike | Sequence[PathLike],
    length: int,
    sr: int = 16000,
    extensions: Sequence[str] = AUDIO_EXTENSIONS,
) -> tuple[list[StreamFile], list[tuple[Path, str]]]:
    """Headers of the files windows can be drawn from.

    Args:
        paths: a folder (searched recursively, sorted) or a list of files.
        length: window length in samples at ``sr``.
        sr: output sample rate in Hz.
        extensions: file extensions when ``paths`` is a folder.

    Returns:
        ``(files, skipped)``: the usable files, in order (``random_windows``'
        file indices point into this list), and ``(path, problem)`` for each
        file that cannot be opened, holds no samples or is shorter than one
        window (announced by one warning, as the folder readers do).

    Raises:
        AudioError: no usable file.
    """
    if int(length) != length or length <= 0:
        raise ValueError(f"length must be a positive integer, got {length!r}")
    if isinstance(paths, (str, Path)) and Path(paths).is_dir():
        root = Path(paths)
        candidates = find_audio_files(root, extensions)
    else:
        candidates = [Path(p) for p in ([paths] if isinstance(paths, (str, Path)) else paths)]
        root = candidates[0].parent if candidates else Path(".")
    files, skipped = [], []
    for path in candidates:
        try:
            info = _header(path)
        except AudioError as err:
            skipped.append((path, err.problem))
            continue
        if info.frames_at(sr) < length:
            skipped.append((path, f"too short for one window: {info.duration():.3f} s "
                                  f"< {length / sr:.3f} s"))
            continue
        files.append(info)
    report_skipped(skipped, len(candidates), root, "scan_files", nothing_read=not files)
    return files, skipped


def read_window(file: StreamFile, start: int, length: int, sr: int = 16000) -> np.ndarray:
    """Samples ``[start, start + length)`` of a file at rate ``sr``, reading only them.

    Args:
        file: the file's header (``scan_files``).
        start: first sample, counted at ``sr``.
        length: samples to return.
        sr: output sample rate in Hz.

    Returns:
        float32 ``(length,)`` mono in [-1, 1]; zero-padded where the window
        runs past the end of the file.  When the file's rate differs, the
        span is read at the file's rate with ``CONTEXT_SAMPLES`` of context on
        each side, resampled (soxr high quality, as ``load_audio``) and cut,
        aligned on a sample the two rates share, so that it matches the whole
        file resampled at once.

    Raises:
        AudioError: the span holds NaN or inf.
    """
    import soundfile as sf

    start, length = int(start), int(length)
    if file.sr == sr:
        first, stop, offset = start, start + length, 0
    else:
        # Output sample k sits at input position k * down / up.  Starting the
        # read on a multiple of `down` input samples (= a multiple of `up`
        # output samples) keeps the cut on the whole-file resampling grid.
        g = math.gcd(file.sr, sr)
        up, down = sr // g, file.sr // g
        context_blocks = max(1, math.ceil(CONTEXT_SAMPLES / down))
        block = max(start // up - context_blocks, 0)
        first = block * down
        stop = math.ceil((start + length) * down / up) + context_blocks * down
        offset = start - block * up
    stop = min(stop, file.frames)
    with sf.SoundFile(str(file.path)) as handle:
        handle.seek(first)
        data = handle.read(max(stop - first, 0), dtype="float32", always_2d=True)
    wave = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    if not np.isfinite(wave).all():
        raise AudioError(file.path, f"non-finite samples near sample {first} "
                                    f"(at {file.sr} Hz)")
    if file.sr != sr and wave.size:
        import librosa

        wave = librosa.resample(wave, orig_sr=file.sr, target_sr=sr, res_type="soxr_hq")
    wave = wave[offset: offset + length]
    if wave.size < length:
        wave = np.pad(wave, (0, length - wave.size))
    return np.clip(wave, -1.0, 1.0).astype(np.float32, copy=False)


def random_windows(
    paths: PathLike | Sequence[PathLike] | Sequence[StreamFile],
    length: int,
    sr: int = 16000,
    batch_size: int = 32,
    seed: int = 0,
    n_windows: int | None = None,
    map_fn: Callable[[Any], Any] | None = None,
    with_positions: bool = False,
    drop_remainder: bool = False,
    extensions: Sequence[str] = AUDIO_EXTENSIONS,
):
    """A ``tf.data.Dataset`` of random windows from long recordings.

    Args:
        paths: a folder, a list of files, or ``scan_files``' list.
        length: window length in samples at ``sr``.
        sr: output sample rate in Hz (files at other rates are resampled
            window by window).
        batch_size: windows per batch.
        seed: the same seed gives the same windows, in the same order.
        n_windows: total windows (the last batch may be smaller unless
            ``drop_remainder``); None streams forever (give ``fit`` a
            ``steps_per_epoch``).
        map_fn: applied to each batch of windows ``(batch, length)`` float32,
            e.g. ``stft_magnitudes(config)``; its output replaces the windows.
        with_positions: also yield where each window came from:
            ``(windows, file_index, start)``, file indices into
            ``scan_files(paths, length, sr)[0]``, starts in samples at ``sr``.
        drop_remainder: drop a last, smaller batch.
        extensions: file extensions when ``paths`` is a folder.

    Returns:
        ``tf.data.Dataset`` of float32 ``(batch, length)`` (or ``map_fn``'s
        output), prefetched.  Memory: one batch of windows plus a small
        read-ahead, whatever the files' lengths.

    Raises:
        AudioError: no file holds a full window (unusable files are skipped
            with one warning; see ``scan_files``).

    The first call creates a small TensorFlow variable (the flag that ends
    every stream when the interpreter exits, see ``_running_flag``), which
    initialises TensorFlow's devices: configure devices first (e.g.
    ``distributed.logical_cpus``).
    """
    from beeutils.config import quiet_tensorflow

    quiet_tensorflow()
    import tensorflow as tf

    if isinstance(paths, (list, tuple)) and paths and all(isinstance(p, StreamFile)
                                                          for p in paths):
        files = list(paths)
        too_short = [f.path for f in files if f.frames_at(sr) < length]
        if too_short:
            raise AudioError(too_short[0], f"too short for one window of {length} samples")
    else:
        files, _ = scan_files(paths, length, sr, extensions)
    if int(batch_size) != batch_size or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if n_windows is not None and (int(n_windows) != n_windows or n_windows <= 0):
        raise ValueError(f"n_windows must be a positive integer or None, got {n_windows!r}")
    length, sr, batch_size = int(length), int(sr), int(batch_size)

    # The plan, in TensorFlow: a seeded stream of random integers, each taken
    # modulo the number of possible windows and mapped to (file, start), so
    # every window of every file is equally likely.
    counts = np.array([f.frames_at(sr) - length + 1 for f in files], dtype=np.int64)
    ends = tf.constant(np.cumsum(counts), tf.int64)
    firsts = tf.constant(np.cumsum(counts) - counts, tf.int64)
    total = int(counts.sum())

    def locate(r: Any) -> tuple[Any, Any]:
        position = tf.math.floormod(r, total)
        index = tf.searchsorted(ends, position[tf.newaxis], side="right")[0]
        return index, position - tf.gather(firsts, index)

    def read(index: np.ndarray, start: np.ndarray) -> np.ndarray:
        with _STATE.lock:
            _STATE.busy += 1
        try:
            if _STATE.stopping:  # the interpreter is exiting: do no more work
                return np.zeros(length, np.float32)
            return read_window(files[int(index)], int(start), length, sr)
        finally:
            with _STATE.lock:
                _STATE.busy -= 1

    def read_op(index: Any, start: Any) -> tuple[Any, Any, Any]:
        window = tf.numpy_function(read, [index, start], tf.float32, stateful=False)
        window.set_shape((length,))
        return window, index, start

    running = _running_flag()
    ds = tf.data.Dataset.random(seed=int(seed))
    ds = ds.take_while(lambda r: running.read_value())  # ends every stream at exit
    if n_windows is not None:
        ds = ds.take(int(n_windows))
    ds = ds.map(locate)
    # deterministic=True keeps the plan's order although reads run in parallel.
    ds = ds.map(read_op, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    # Dropping an empty remainder gives batches a static size (Keras likes it).
    full = drop_remainder or n_windows is None or n_windows % batch_size == 0
    ds = ds.batch(batch_size, drop_remainder=full)
    if map_fn is not None:
        ds = ds.map(lambda w, i, s: (map_fn(w), i, s), num_parallel_calls=tf.data.AUTOTUNE,
                    deterministic=True)
    if not with_positions:
        ds = ds.map(lambda w, i, s: w)
    return ds.prefetch(tf.data.AUTOTUNE)


class _StreamState:
    """Shared by every pipeline: the exit flag and the count of reads running."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.busy = 0
        self.stopping = False
        self.flag: Any = None


_STATE = _StreamState()


def _running_flag() -> Any:
    """A boolean ``tf.Variable`` every pipeline checks before drawing a window.

    TensorFlow runs the Python reads on its own threads.  If one is running
    (or about to start) when the interpreter shuts down, it waits for the
    Python lock forever and the process hangs at exit.  So at exit the flag
    goes False, every stream ends, and the exit waits until the last read
    has returned (``_stop_streams``, registered with ``atexit``).
    """
    if _STATE.flag is None:
        import tensorflow as tf

        _STATE.flag = tf.Variable(True, trainable=False, name="beeutils_streams_running")
        atexit.register(_stop_streams)
    return _STATE.flag


def _stop_streams(timeout: float = 2.0, quiet: float = 0.1) -> None:
    """End every stream and wait (at most ``timeout`` s) until no read has run
    for ``quiet`` s."""
    _STATE.stopping = True
    try:
        _STATE.flag.assign(False)
    except Exception:  # TensorFlow already torn down: nothing left to stop
        return
    deadline = time.monotonic() + timeout
    idle_since = None
    while time.monotonic() < deadline:
        with _STATE.lock:
            busy = _STATE.busy
        now = time.monotonic()
        if busy:
            idle_since = None
        elif idle_since is None:
            idle_since = now
        elif now - idle_since >= quiet:
            return
        time.sleep(0.01)


def stft_magnitudes(config: Any, channel_axis: bool = True) -> Callable[[Any], Any]:
    """A ``map_fn`` for ``random_windows``: batches of windows -> model-sized
    STFT magnitudes, computed in TensorFlow inside the pipeline.

    Args:
        config: ``spectral.STFTConfig``; its ``n_freq_keep`` and ``n_frames``
            set the crop, as ``training.magnitudes`` does in NumPy.
        channel_axis: append a channel axis (Keras image layout).

    Returns:
        ``fn(windows (batch, samples)) -> (batch, freq, time[, 1])`` float32
        linear magnitudes.  (Normalise them as the model expects, e.g. with
        the model's fitted normaliser, before training.)
    """
    import tensorflow as tf

    from beeutils.dsp import spectral

    def fn(windows: Any) -> Any:
        mag = tf.abs(spectral.tf_stft(windows, config))
        if config.n_freq_keep is not None:
            mag = mag[..., : config.n_freq_keep, :]
        if config.n_frames is not None:
            mag = mag[..., : config.n_frames]
            missing = config.n_frames - tf.shape(mag)[-1]
            mag = tf.pad(mag, [[0, 0]] * (len(mag.shape) - 1) + [[0, tf.maximum(missing, 0)]])
        return mag[..., tf.newaxis] if channel_axis else mag

    return fn

