"""Random windows streamed from long files: right places, little memory, seeded."""

import os
import subprocess
import sys
import tracemalloc
import warnings

import numpy as np
import pytest
import soundfile as sf

from beeutils.data import audio
from beeutils.data import streaming
from beeutils.data.audio import AudioError

#: A ramp file stores sample i as i / 2**24: exact in float32 up to 2**24
#: samples (17 min at 16 kHz), so each read sample tells where it came from.
RAMP_SCALE = 2.0**24


def write_ramp(path, n, sr=16000):
    sf.write(str(path), np.arange(n, dtype=np.float64) / RAMP_SCALE, sr, subtype="FLOAT")
    return path


def write_chirp(path, seconds, sr, seed=0):
    t = np.arange(int(seconds * sr)) / sr
    noise = np.random.default_rng(seed).standard_normal(t.size)
    sf.write(str(path), 0.3 * np.sin(2 * np.pi * (150 * t + 40 * t**2)) + 0.05 * noise, sr,
             subtype="FLOAT")
    return path


def take(ds):
    """All batches of a finite dataset as NumPy tuples."""
    return [tuple(np.asarray(x) for x in (b if isinstance(b, tuple) else (b,))) for b in ds]


@pytest.fixture
def ramps(tmp_path):
    return [write_ramp(tmp_path / "a.wav", 40000), write_ramp(tmp_path / "b.wav", 9000)]


def test_windows_are_contiguous_slices_where_the_plan_says(ramps):
    files, skipped = streaming.scan_files(ramps, length=1000)
    assert skipped == [] and [f.frames for f in files] == [40000, 9000]
    ds = streaming.random_windows(files, length=1000, batch_size=16, seed=3, n_windows=200,
                                  with_positions=True)
    batches = take(ds)
    assert [b[0].shape for b in batches] == [(16, 1000)] * 12 + [(8, 1000)]
    windows = np.concatenate([b[0] for b in batches])
    index = np.concatenate([b[1] for b in batches])
    start = np.concatenate([b[2] for b in batches])
    assert windows.dtype == np.float32
    samples = np.rint(windows * RAMP_SCALE).astype(np.int64)
    # each window is one contiguous stretch of its file, starting at the plan's start
    np.testing.assert_array_equal(samples, start[:, None] + np.arange(1000)[None, :])
    limits = np.array([40000 - 1000, 9000 - 1000])
    assert (start >= 0).all() and (start <= limits[index]).all()
    # windows are uniform over time: the 4x longer file is drawn about 4x as often
    share_a = np.mean(index == 0)
    assert 0.72 < share_a < 0.92  # expected 39001 / 47002 = 0.83


def test_same_seed_same_windows_other_seed_other_windows(ramps):
    def starts(seed):
        ds = streaming.random_windows(ramps, length=500, batch_size=10, seed=seed,
                                      n_windows=30, with_positions=True)
        return np.concatenate([b[2] for b in take(ds)])

    first = starts(7)
    np.testing.assert_array_equal(first, starts(7))
    assert not np.array_equal(first, starts(8))
    # iterating the same dataset twice replays the same windows
    ds = streaming.random_windows(ramps, length=500, batch_size=10, seed=7, n_windows=30)
    np.testing.assert_array_equal(np.concatenate([b[0] for b in take(ds)]),
                                  np.concatenate([b[0] for b in take(ds)]))


def test_endless_stream_and_map_fn(ramps):
    ds = streaming.random_windows(ramps, length=512, batch_size=4, seed=0,
                                  map_fn=lambda w: w * 2.0)
    batches = [np.asarray(b) for b in ds.take(5)]
    assert [b.shape for b in batches] == [(4, 512)] * 5
    steps = np.diff(np.rint(batches[0] * RAMP_SCALE / 2.0), axis=1)
    assert (steps == 1).all()


def test_mixed_rates_match_the_whole_file_resampled(tmp_path):
    paths = [write_chirp(tmp_path / "r8k.wav", 3.0, 8000, seed=1),
             write_chirp(tmp_path / "r22k.wav", 3.0, 22050, seed=2),
             write_chirp(tmp_path / "r16k.wav", 3.0, 16000, seed=3)]
    files, _ = streaming.scan_files(tmp_path, length=4000)
    assert [f.path.name for f in files] == ["r16k.wav", "r22k.wav", "r8k.wav"]
    assert [f.sr for f in files] == [16000, 22050, 8000]
    assert [f.frames_at(16000) for f in files] == [48000] * 3
    ds = streaming.random_windows(tmp_path, length=4000, batch_size=8, seed=0, n_windows=24,
                                  with_positions=True)
    whole = {i: audio.load_audio(f.path, sr=16000) for i, f in enumerate(files)}
    seen = set()
    for windows, index, start in take(ds):
        for w, i, s in zip(windows, index, start):
            np.testing.assert_allclose(w, whole[i][s: s + 4000], atol=1e-5)
            seen.add(int(i))
    assert seen == {0, 1, 2} and len(paths) == 3


def test_a_long_file_is_never_loaded_whole(tmp_path):
    n = 10 * 60 * 16000  # 10 minutes at 16 kHz
    path = write_ramp(tmp_path / "long.wav", n)
    file_bytes = path.stat().st_size
    assert file_bytes > 38e6
    ds = streaming.random_windows(path, length=32768, batch_size=4, seed=0, n_windows=24,
                                  with_positions=True)
    tracemalloc.start()
    try:
        batches = take(ds)
        _, peak_stream = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        whole = sf.read(str(path), dtype="float32")[0]  # what loading it would cost
        _, peak_whole = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert whole.size == n
    assert peak_whole > 0.9 * file_bytes  # tracemalloc does see NumPy buffers
    assert peak_stream < file_bytes / 20, (peak_stream, file_bytes)
    windows = np.concatenate([b[0] for b in batches])
    starts = np.concatenate([b[2] for b in batches])
    samples = np.rint(windows * RAMP_SCALE).astype(np.int64)
    np.testing.assert_array_equal(samples, starts[:, None] + np.arange(32768)[None, :])
    assert starts.max() > n / 4  # windows come from all over the file, not its head


def test_stft_magnitudes_map_gives_model_inputs(tmp_path):
    from beeutils.dsp import spectral

    write_chirp(tmp_path / "c.wav", 3.0, 16000)
    config = spectral.STFTConfig(n_fft=256, hop=64, n_freq_keep=32, n_frames=32)
    ds = streaming.random_windows(tmp_path, length=32 * 64, batch_size=3, seed=0,
                                  n_windows=3, with_positions=True)
    windows = take(ds)[0][0]
    ds = streaming.random_windows(tmp_path, length=32 * 64, batch_size=3, seed=0,
                                  n_windows=3, map_fn=streaming.stft_magnitudes(config))
    mags = take(ds)[0][0]
    assert mags.shape == (3, 32, 32, 1) and mags.dtype == np.float32
    np.testing.assert_allclose(mags[..., 0], spectral.magnitudes(windows, config),
                               rtol=1e-4, atol=1e-3)


def test_bad_files_are_skipped_and_reported(tmp_path):
    write_ramp(tmp_path / "good.wav", 5000)
    write_ramp(tmp_path / "short.wav", 100)
    (tmp_path / "corrupt.wav").write_bytes(np.random.default_rng(0).bytes(3000))
    (tmp_path / "empty.wav").write_bytes(b"")
    sf.write(str(tmp_path / "frameless.wav"), np.zeros(0), 16000)
    with pytest.warns(UserWarning, match="skipped 4 of 5 files"):
        files, skipped = streaming.scan_files(tmp_path, length=1000)
    assert [f.path.name for f in files] == ["good.wav"]
    problems = {p.name: problem for p, problem in skipped}
    assert problems["short.wav"].startswith("too short for one window")
    assert problems["corrupt.wav"].startswith("corrupt or unreadable")
    assert problems["empty.wav"].startswith("empty file")
    assert problems["frameless.wav"].startswith("empty audio")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = streaming.random_windows(tmp_path, length=1000, batch_size=2, n_windows=2)
    assert np.asarray(next(iter(ds))).shape == (2, 1000)
    with pytest.raises(AudioError, match="no readable audio"):
        streaming.scan_files([tmp_path / "short.wav"], length=1000)


def test_interpreter_exits_while_endless_streams_are_being_read(tmp_path):
    """TensorFlow reads windows on its own threads; at exit the streams must
    stop before Python shuts down, or the process hangs (without
    ``_stop_streams`` this script hung in 3 of 6 runs)."""
    path = write_chirp(tmp_path / "c.wav", 3.0, 22050)
    code = (
        "import sys\n"
        "from beeutils.data import streaming\nfrom beeutils.dsp import spectral\n"
        "fn = streaming.stft_magnitudes(spectral.STFTConfig(n_fft=256, hop=64))\n"
        "a = iter(streaming.random_windows(sys.argv[1], 4096, batch_size=8, map_fn=fn))\n"
        "b = iter(streaming.random_windows(sys.argv[1], 4096, batch_size=8, seed=1))\n"
        "next(a); next(b); next(a)\n"
        "print('read', flush=True)\n"
    )
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, timeout=120, env=env)
    assert proc.returncode == 0 and proc.stdout.strip() == "read", proc.stderr[-2000:]
