"""STFT configuration and transforms: layout, NumPy/TensorFlow agreement,
round trips, dB floors, mel, crops."""

import numpy as np
import pytest

from beeutils.dsp import spectral
from beeutils.dsp.spectral import STFTConfig

RNG = np.random.default_rng(0)


def _noise(n=8000, seed=0):
    return (0.1 * np.random.default_rng(seed).standard_normal(n)).astype(np.float32)


def test_default_config_matches_design():
    cfg = STFTConfig()
    assert (cfg.sr, cfg.n_fft, cfg.hop, cfg.window) == (16000, 1024, 256, "hann")
    assert cfg.model_shape == (128, 128)
    assert cfg.bin_hz == pytest.approx(15.625)
    assert cfg.frequencies(cropped=True)[-1] == pytest.approx(127 * 15.625)  # ~2 kHz


@pytest.mark.parametrize("changes, text", [
    ({"hop": 2048}, "larger than the window"),
    ({"window": "triangle-ish"}, "unknown window"),
    ({"n_freq_keep": 600}, "n_freq_keep"),
    ({"hop": 0}, "hop"),
])
def test_config_rejects_impossible_settings(changes, text):
    with pytest.raises(ValueError, match=text):
        STFTConfig(**changes)


def test_validate_names_a_window_longer_than_the_clip():
    problems = spectral.validate_stft_settings(4096, 512, "hann", n_samples=1000)
    assert any("longer than the clip" in p for p in problems)
    assert spectral.validate_stft_settings(1024, 256, "hann", n_samples=32768) == []


def test_stft_is_frequency_by_time_and_puts_a_tone_in_its_bin():
    cfg = STFTConfig(n_freq_keep=None, n_frames=None)
    t = np.arange(32768) / cfg.sr
    tone = np.sin(2 * np.pi * 250.0 * t).astype(np.float32)
    spec = spectral.stft(tone, cfg)
    assert spec.shape == (cfg.n_bins, cfg.n_frames_for(32768)) == (513, 129)
    assert spec.dtype == np.complex64
    peak_bin = np.argmax(np.abs(spec[:, 64]))
    assert abs(cfg.frequencies()[peak_bin] - 250.0) <= cfg.bin_hz


@pytest.mark.parametrize("n_fft, hop, window", [(1024, 256, "hann"), (512, 128, "hamming"),
                                                (256, 64, "blackman"), (400, 160, "hann")])
def test_numpy_and_tensorflow_stft_agree(n_fft, hop, window):
    cfg = STFTConfig(n_fft=n_fft, hop=hop, window=window, n_freq_keep=None, n_frames=None)
    waves = np.stack([_noise(6000, s) for s in range(3)])
    ref = spectral.stft(waves, cfg)
    ours = spectral.tf_stft(waves, cfg).numpy()
    assert ours.shape == ref.shape == (3, n_fft // 2 + 1, 1 + 6000 // hop)
    assert np.linalg.norm(ours - ref) / np.linalg.norm(ref) < 1e-4


@pytest.mark.parametrize("n_fft, hop", [(1024, 256), (512, 128), (256, 64)])
def test_istft_round_trips_in_numpy_and_tensorflow(n_fft, hop):
    cfg = STFTConfig(n_fft=n_fft, hop=hop, n_freq_keep=None, n_frames=None)
    wave = _noise(5000, 1)
    back_np = spectral.istft(spectral.stft(wave, cfg), cfg, length=wave.size)
    back_tf = spectral.tf_istft(spectral.tf_stft(wave[None], cfg), cfg, length=wave.size)
    back_tf = back_tf.numpy()[0]
    for back in (back_np, back_tf):
        snr = 10 * np.log10(np.sum(wave**2) / np.sum((wave - back) ** 2))
        assert snr > 100, snr


def test_tf_stft_gradient_is_finite_on_silence():
    import tensorflow as tf

    cfg = STFTConfig(n_fft=256, hop=64)
    wave = tf.Variable(tf.zeros((1, 2048)))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(spectral.magnitude(spectral.tf_stft(wave, cfg), eps=1e-7))
    grad = tape.gradient(loss, wave)
    assert np.all(np.isfinite(grad.numpy()))


def test_magnitude_eps_and_power():
    spec = np.array([3 + 4j, 0j], dtype=np.complex64)
    np.testing.assert_allclose(spectral.magnitude(spec), [5.0, 0.0])
    np.testing.assert_allclose(spectral.power(spec), [25.0, 0.0])
    assert spectral.magnitude(spec, eps=1e-6)[1] == pytest.approx(1e-3)


def test_db_floor_replaces_log_of_zero():
    mag = np.array([0.0, 1e-6, 0.1, 1.0])
    db = spectral.amplitude_to_db(mag, floor_db=-80.0)
    np.testing.assert_allclose(db, [-80.0, -80.0, -20.0, 0.0], atol=1e-5)
    assert np.all(np.isfinite(db))
    np.testing.assert_allclose(spectral.amplitude_to_db(mag, floor_db=-40.0, ref="max").min(), -40)
    np.testing.assert_allclose(spectral.db_to_amplitude(db[2:]), mag[2:], rtol=1e-5)
    assert np.all(spectral.amplitude_to_db(np.zeros(3), ref="max") == -80.0)
    with pytest.raises(ValueError, match="negative"):
        spectral.amplitude_to_db(mag, floor_db=10.0)


def test_mel_spectrogram_matches_librosa():
    import librosa

    cfg = STFTConfig(n_freq_keep=None, n_frames=None)
    wave = _noise(16000, 2)
    ours = spectral.mel_spectrogram(spectral.stft(wave, cfg), cfg, n_mels=40)
    ref = librosa.feature.melspectrogram(y=wave, sr=cfg.sr, n_fft=cfg.n_fft, hop_length=cfg.hop,
                                         n_mels=40, center=True, pad_mode="constant")
    assert ours.shape == ref.shape == (40, 63)
    np.testing.assert_allclose(ours, ref, rtol=1e-3, atol=1e-6)
    assert np.all(np.diff(spectral.mel_frequencies(cfg, n_mels=40)) > 0)


def test_crop_keeps_lowest_bins_and_pads_frames_then_uncrop_restores_size():
    cfg = STFTConfig()  # 128 bins x 128 frames
    spec = spectral.stft(_noise(32768), cfg.replace(n_freq_keep=None, n_frames=None))
    cropped = spectral.crop(spec, cfg)
    assert cropped.shape == (128, 128)
    np.testing.assert_array_equal(cropped, spec[:128, :128])
    short = spectral.crop(spec[:, :100], cfg)
    assert short.shape == (128, 128) and np.all(short[:, 100:] == 0)
    full = spectral.uncrop(cropped, cfg)
    assert full.shape == (513, 128) and np.all(full[128:] == 0)


def test_continue_frames_extends_a_steady_tone_as_the_stft_would():
    """A sinusoid at a bin's centre frequency: the frame continued from the
    one before is the STFT's own last frame (which a model's crop drops)."""
    cfg = STFTConfig(n_fft=512, hop=256, n_freq_keep=None, n_frames=None)
    n = 8192
    k = 20
    t = np.arange(n + 4096) / cfg.sr  # longer: the compared frame sees no padding
    tone = np.sin(2 * np.pi * k * cfg.bin_hz * t).astype(np.float32)
    full = spectral.stft(tone, cfg)
    n_frames = cfg.n_frames_for(n)
    cont = spectral.continue_frames(full[:, : n_frames - 1], cfg, n)
    assert cont.shape == (cfg.n_bins, n_frames)
    np.testing.assert_allclose(cont[k, -1], full[k, n_frames - 1], rtol=1e-3)
    mags = spectral.continue_frames(np.abs(full[:, :10]), cfg, 12 * cfg.hop)
    assert mags.shape[-1] == 13 and np.array_equal(mags[:, -1], mags[:, 9])
    assert spectral.continue_frames(full, cfg, None) is not None
    assert spectral.continue_frames(full[:, :5], cfg, 2 * cfg.hop).shape[-1] == 5


@pytest.mark.parametrize("time_axis", [-1, -2])
@pytest.mark.parametrize("complex_input", [True, False])
def test_continue_frames_in_tensorflow_matches_numpy(time_axis, complex_input):
    """The inverse STFT and Griffin-Lim continue frames inside their graphs:
    the tensor path gives what the NumPy one does, in either layout."""
    import tensorflow as tf

    cfg = STFTConfig(n_fft=512, hop=128, n_freq_keep=None, n_frames=None)
    rng = np.random.default_rng(0)
    spec = rng.standard_normal((2, cfg.n_bins, 6)) + 1j * rng.standard_normal((2, cfg.n_bins, 6))
    spec = (spec if complex_input else np.abs(spec)).astype(
        np.complex64 if complex_input else np.float32)
    expected = spectral.continue_frames(spec, cfg, 8 * cfg.hop)  # 9 frames
    assert expected.shape == (2, cfg.n_bins, 9)
    given = spec if time_axis == -1 else np.swapaxes(spec, -1, -2)
    got = spectral.continue_frames(tf.constant(given), cfg, 8 * cfg.hop, time_axis=time_axis)
    got = got.numpy() if time_axis == -1 else np.swapaxes(got.numpy(), -1, -2)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="time_axis"):
        spectral.continue_frames(spec, cfg, None, time_axis=0)


@pytest.mark.parametrize("name", ["magnitude", "real_imag"])
def test_a_cropped_grid_decodes_without_a_burst_at_the_end(name):
    """The model grid lacks the frame centred on the clip's last sample;
    decoding must not divide the last half-window by almost nothing (it
    once gave a Griffin-Lim peak of about 1000 on clips that peak at 0.3)."""
    from beeutils.data import synth
    from beeutils.dsp.representations import make_representation

    waves = np.stack([synth.synthesize(kind, duration=2.048, seed=1)[0]
                      for kind in ("hum", "queen_toot")]).astype(np.float32)
    cfg = spectral.WIDEBAND.replace(n_frames=spectral.WIDEBAND.n_frames_for(32768) - 1)
    rep = make_representation(name, cfg).fit(waves)
    back = rep.round_trip(waves)
    tail, body = np.abs(back[:, -cfg.hop:]).max(axis=1), np.abs(waves).max(axis=1)
    assert np.all(tail < body), (tail, body)
