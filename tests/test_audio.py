"""Audio I/O: every bad-file case names the file and the problem; integer and
float files, integer-scale floats, stereo, resampling, saving, segments, levels."""

import os

import numpy as np
import pytest
import soundfile as sf

from beeutils.data import audio
from beeutils.data.audio import AudioError

SR = 16000


def _tone(freq=440.0, sr=SR, seconds=1.0, amp=0.5):
    t = np.arange(int(round(sr * seconds))) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _problem(path, **kwargs):
    """The AudioError raised by load_audio(path), checked to name the file."""
    with pytest.raises(AudioError) as info:
        audio.load_audio(path, **kwargs)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.path.name == os.path.basename(str(path))
    assert str(path) in str(err) and err.problem in str(err)
    return err.problem


# ---------------------------------------------------------------- bad files


def test_missing_file(tmp_path):
    assert _problem(tmp_path / "nowhere.wav") == "file not found"


def test_directory_is_not_a_file(tmp_path):
    (tmp_path / "folder.wav").mkdir()
    assert "directory" in _problem(tmp_path / "folder.wav")


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    assert _problem(path) == "empty file (0 bytes)"


def test_wav_header_without_frames(tmp_path):
    path = tmp_path / "noframes.wav"
    sf.write(path, np.zeros(0, dtype=np.float32), SR)
    assert path.stat().st_size > 0
    assert "0 frames" in _problem(path)


def test_random_bytes_are_corrupt(tmp_path):
    path = tmp_path / "noise.wav"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    assert _problem(path).startswith("corrupt or unreadable")


def test_text_renamed_wav_is_corrupt(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("queen piping at 06:00, hive 3\n" * 50)
    assert _problem(path).startswith("corrupt or unreadable")


def test_unknown_extension_is_unsupported(tmp_path):
    path = tmp_path / "recording.xyz"
    path.write_bytes(b"\x00\x01" * 500)
    assert _problem(path).startswith("unsupported format '.xyz'")


def test_mp3_without_any_decoder_is_unsupported(tmp_path, monkeypatch):
    # an mp3 that libsndfile refuses, on a system with no mp3 decoder at all
    path = tmp_path / "hive.mp3"
    path.write_bytes(b"ID3" + bytes(600))

    def no_decoder(p):
        raise RuntimeError("no backend")

    monkeypatch.setattr(audio, "_soundfile_reads_mp3", lambda: False)
    monkeypatch.setattr(audio, "_read_with_audioread", no_decoder)
    assert _problem(path).startswith("unsupported format: mp3 needs")


def test_mp3_falls_back_to_audioread(tmp_path, monkeypatch):
    path = tmp_path / "hive.mp3"
    path.write_bytes(b"not really mp3")
    monkeypatch.setattr(audio, "_soundfile_reads_mp3", lambda: False)
    monkeypatch.setattr(audio, "_read_with_audioread",
                        lambda p: (np.full((800, 1), 0.25), 8000))
    wave = audio.load_audio(path, sr=8000)
    assert wave.shape == (800,) and np.allclose(wave, 0.25)


@pytest.mark.parametrize("bad, text", [(np.nan, "1 NaN, 0 inf"), (np.inf, "0 NaN, 1 inf")])
def test_non_finite_samples(tmp_path, bad, text):
    data = _tone()
    data[100] = bad
    path = tmp_path / "bad.wav"
    sf.write(path, data, SR, subtype="FLOAT")
    problem = _problem(path)
    assert problem.startswith("non-finite samples") and text in problem


def test_too_short(tmp_path):
    path = tmp_path / "short.wav"
    sf.write(path, _tone(seconds=0.25), SR)
    assert audio.load_audio(path, min_duration=0.2).shape == (4000,)
    problem = _problem(path, min_duration=1.0)
    assert problem.startswith("too short") and "0.250 s" in problem


def test_all_silent_only_when_sound_required(tmp_path):
    path = tmp_path / "silent.wav"
    sf.write(path, np.zeros(SR, dtype=np.float32), SR)
    assert np.all(audio.load_audio(path) == 0)  # silence itself is valid audio
    assert _problem(path, require_sound=True).startswith("all silent")


def test_float_far_beyond_integer_scale(tmp_path):
    path = tmp_path / "huge.wav"
    sf.write(path, _tone() * 1e10, SR, subtype="DOUBLE")
    assert "far outside" in _problem(path)


def test_problems_are_distinct(tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "text.wav").write_text("text " * 100)
    (tmp_path / "x.xyz").write_text("text " * 100)
    sf.write(tmp_path / "noframes.wav", np.zeros(0), SR)
    nan = _tone()
    nan[0] = np.nan
    sf.write(tmp_path / "nan.wav", nan, SR, subtype="FLOAT")
    sf.write(tmp_path / "zero.wav", np.zeros(100), SR)
    problems = [
        _problem(tmp_path / "missing.wav"),
        _problem(tmp_path / "empty.wav"),
        _problem(tmp_path / "text.wav"),
        _problem(tmp_path / "x.xyz"),
        _problem(tmp_path / "noframes.wav"),
        _problem(tmp_path / "nan.wav"),
        _problem(tmp_path / "zero.wav", min_duration=1.0),
        _problem(tmp_path / "zero.wav", require_sound=True),
    ]
    assert len({p.split()[0] + p.split()[1] for p in problems}) == len(problems)


def test_audio_error_pickles():
    import pickle

    err = pickle.loads(pickle.dumps(AudioError("a/b.wav", "file not found")))
    assert err.path.name == "b.wav" and err.problem == "file not found"


# ---------------------------------------------------------------- good files


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"])
def test_integer_and_float_files_load_in_unit_range(tmp_path, subtype):
    x = _tone(amp=0.8)
    x[10], x[20] = 1.0, -1.0  # full scale both ways
    path = tmp_path / f"{subtype}.wav"
    sf.write(path, x, SR, subtype=subtype)
    wave = audio.load_audio(path)
    assert wave.dtype == np.float32 and wave.shape == x.shape
    assert np.max(np.abs(wave)) <= 1.0
    tol = {"PCM_16": 1 / 2**15, "PCM_24": 1 / 2**23}.get(subtype, 1e-6)
    assert np.max(np.abs(wave - x)) <= tol


def test_flac_and_ogg(tmp_path):
    x = _tone()
    for name in ("a.flac", "a.ogg"):
        sf.write(tmp_path / name, x, SR)
        wave = audio.load_audio(tmp_path / name)
        assert wave.shape == x.shape and np.isfinite(wave).all()
        assert np.max(np.abs(wave)) == pytest.approx(0.5, abs=0.05)


def test_mp3_when_libsndfile_reads_it(tmp_path):
    if not audio._soundfile_reads_mp3():
        pytest.skip("this libsndfile has no mp3")
    path = tmp_path / "a.mp3"
    sf.write(path, _tone(), SR)
    wave = audio.load_audio(path)
    assert abs(wave.size - SR) < 1200  # mp3 frames may add a little padding
    assert np.max(np.abs(wave)) == pytest.approx(0.5, abs=0.05)


@pytest.mark.parametrize("full_scale", [2**15, 2**23, 2**31])
def test_float_stored_at_integer_scale_is_rescaled(tmp_path, full_scale):
    x = _tone(amp=0.6).astype(np.float64)
    path = tmp_path / "intscale.wav"
    sf.write(path, x * (full_scale - 1), SR, subtype="DOUBLE")
    wave = audio.load_audio(path)
    assert np.max(np.abs(wave)) <= 1.0
    assert np.allclose(wave, x, atol=1e-4)


def test_float_slightly_above_one_is_clipped(tmp_path):
    x = _tone(amp=1.2)  # below the 1.5 integer-scale threshold: overshoot, not scale
    path = tmp_path / "hot.wav"
    sf.write(path, x, SR, subtype="FLOAT")
    wave = audio.load_audio(path)
    assert wave.max() == 1.0 and wave.min() == -1.0
    assert np.allclose(wave[np.abs(x) < 1], x[np.abs(x) < 1], atol=1e-6)


def test_stereo_to_mono_is_the_mean(tmp_path):
    left, right = _tone(440, amp=0.4), _tone(220, amp=0.2)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, right], axis=1), SR, subtype="FLOAT")
    wave = audio.load_audio(path)
    assert wave.shape == (SR,)
    assert np.allclose(wave, (left + right) / 2, atol=1e-6)
    both = audio.load_audio(path, mono=False)
    assert both.shape == (2, SR) and np.allclose(both[1], right, atol=1e-6)


def test_resampling_keeps_pitch_and_duration(tmp_path):
    path = tmp_path / "cd.wav"
    sf.write(path, _tone(440, sr=44100, seconds=1.0), 44100, subtype="PCM_16")
    wave = audio.load_audio(path, sr=SR)
    assert wave.shape == (SR,)
    spectrum = np.abs(np.fft.rfft(wave * np.hanning(wave.size)))
    peak_hz = np.argmax(spectrum) * SR / wave.size
    assert peak_hz == pytest.approx(440, abs=2)
    assert np.max(np.abs(wave)) == pytest.approx(0.5, abs=0.02)
    native = audio.load_audio(path, sr=None)
    assert native.shape == (44100,)


def test_save_load_round_trip(tmp_path):
    x = _tone(300, amp=0.7)
    path = audio.save_audio(tmp_path / "deep" / "er" / "out.wav", x, SR)
    assert path.exists() and sf.info(path).subtype == "PCM_16"
    assert np.max(np.abs(audio.load_audio(path) - x)) <= 1 / 2**15
    exact = audio.save_audio(tmp_path / "f.wav", x, SR, subtype="FLOAT")
    assert np.array_equal(audio.load_audio(exact), x)


def test_save_clips_and_refuses_non_finite(tmp_path):
    path = audio.save_audio(tmp_path / "loud.wav", np.array([2.0, -3.0, 0.5]), SR, subtype="FLOAT")
    assert np.allclose(audio.load_audio(path), [1.0, -1.0, 0.5])
    with pytest.raises(AudioError, match="non-finite"):
        audio.save_audio(tmp_path / "nan.wav", np.array([0.0, np.nan]), SR)
    assert not (tmp_path / "nan.wav").exists()


# ---------------------------------------------------------------- segments


def test_segment_shapes_and_hop():
    x = np.arange(10, dtype=np.float32)
    seg = audio.segment(x, 4)
    assert seg.shape == (2, 4) and np.array_equal(seg[1], [4, 5, 6, 7])
    seg = audio.segment(x, 4, hop=2)
    assert seg.shape == (4, 4) and np.array_equal(seg[-1], [6, 7, 8, 9])
    assert audio.segment(x, 5).shape == (2, 5)
    assert seg.dtype == np.float32


def test_segment_pad_keeps_the_tail():
    x = np.arange(1, 11, dtype=np.float32)
    seg = audio.segment(x, 4, pad=True)
    assert seg.shape == (3, 4) and np.array_equal(seg[-1], [9, 10, 0, 0])
    assert audio.segment(x, 5, pad=True).shape == (2, 5)  # nothing left over: no extra
    assert audio.segment(x, 4, hop=3, pad=True).shape == (3, 4)  # 0,3,6 -> covers all 10


def test_segment_short_input():
    x = np.ones(3, dtype=np.float32)
    assert audio.segment(x, 8).shape == (0, 8)
    padded = audio.segment(x, 8, pad=True)
    assert padded.shape == (1, 8) and padded.sum() == 3
    assert audio.segment(np.zeros(0), 8, pad=True).shape == (0, 8)


@pytest.mark.parametrize("kwargs", [{"length": 0}, {"length": 4, "hop": 0}, {"length": 2.5}])
def test_segment_validates_arguments(kwargs):
    with pytest.raises(ValueError):
        audio.segment(np.zeros(10), **kwargs)
    with pytest.raises(ValueError, match="1-D"):
        audio.segment(np.zeros((2, 10)), 4)


# ---------------------------------------------------------------- levels


def test_peak_normalize():
    x = _tone(amp=0.1)
    assert np.max(np.abs(audio.peak_normalize(x))) == pytest.approx(0.9, rel=1e-6)
    batch = np.stack([x, 3 * x, np.zeros_like(x)])
    out = audio.peak_normalize(batch, peak=0.5)
    assert np.allclose(np.max(np.abs(out), axis=-1), [0.5, 0.5, 0.0])
    assert np.isfinite(out).all()


def test_rms_db_and_normalize():
    assert audio.rms_db(_tone(amp=1.0)) == pytest.approx(-3.01, abs=0.01)
    assert audio.rms_db(np.zeros(100)) == -240.0  # silence: a floor, no log(0)
    out = audio.rms_normalize(_tone(amp=0.01), rms_db=-20)
    assert audio.rms_db(out) == pytest.approx(-20, abs=0.01)
    silent = audio.rms_normalize(np.zeros(100), rms_db=-20)
    assert np.array_equal(silent, np.zeros(100)) and silent.dtype == np.float32


def test_rms_normalize_does_not_clip_clicks():
    x = np.zeros(SR, dtype=np.float32)
    x[::1000] = 0.5  # sparse clicks: huge crest factor
    out = audio.rms_normalize(x, rms_db=-10)
    assert np.max(np.abs(out)) == pytest.approx(1.0)
    assert audio.rms_db(out) < -10
    assert np.array_equal(audio.normalize_level(x, peak=0.9), audio.peak_normalize(x, 0.9))


# ---------------------------------------------------------------- real recordings


def _level_db(wave: np.ndarray, hz: float, sr: int) -> float:
    """Level of the FFT bin at ``hz`` (a whole number of cycles per clip)."""
    spectrum = np.abs(np.fft.rfft(wave)) / (len(wave) / 2)
    return 20 * np.log10(spectrum[int(round(hz * len(wave) / sr))])


def test_high_pass_removes_rumble_and_keeps_the_hum_where_it_was():
    sr = 16000
    t = np.arange(2 * sr) / sr  # 2 s: 30 Hz and 250 Hz fall on FFT bins
    rumble, hum = np.sin(2 * np.pi * 30 * t), 0.5 * np.sin(2 * np.pi * 250 * t)
    batch = np.stack([rumble + hum, hum]).astype(np.float32)
    out = audio.high_pass(batch, 60.0, sr)
    assert out.shape == batch.shape and out.dtype == np.float32
    assert _level_db(out[0], 30, sr) < _level_db(batch[0], 30, sr) - 60  # 1.0 -> under 1e-3
    assert abs(_level_db(out[0], 250, sr) - _level_db(hum, 250, sr)) < 0.01
    # zero phase: the hum comes out sample for sample (away from the edges)
    assert np.max(np.abs(out[1, sr // 4:-sr // 4] - hum[sr // 4:-sr // 4])) < 1e-3


@pytest.mark.parametrize("cutoff", [0.0, -5.0, 8000.0, 9000.0])
def test_high_pass_refuses_an_edge_outside_the_band(cutoff):
    with pytest.raises(ValueError, match="cutoff_hz"):
        audio.high_pass(np.zeros(1000, np.float32), cutoff, 16000)


def test_real_recordings_load(real_bees_dir):
    files = sorted(real_bees_dir.glob("*.wav"))
    assert files
    for path in files:
        wave = audio.load_audio(path, sr=SR, require_sound=True)
        info = sf.info(path)
        assert wave.size == int(np.ceil(info.frames * SR / info.samplerate))
        assert np.isfinite(wave).all() and np.max(np.abs(wave)) <= 1.0
