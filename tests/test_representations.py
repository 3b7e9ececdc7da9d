"""Representations: exact round trips (real/imaginary, log magnitude + IF) on
random signals at several STFT settings, instantaneous frequency of a tone,
Griffin-Lim for magnitudes, persistence and bad input."""

import json

import numpy as np
import pytest

from beeutils.evaluation import metrics
from beeutils.dsp import representations
from beeutils.dsp import spectral
from beeutils.dsp.representations import (
    REPRESENTATIONS,
    LogMagIFRepresentation,
    MagnitudeRepresentation,
    RealImagRepresentation,
    make_representation,
)
from beeutils.dsp.spectral import STFTConfig

SR = 16000
N = 8192  # 0.512 s


def random_signals(seed: int) -> np.ndarray:
    """(6, N): white noise, brown-ish noise, a chirp, a sum of random sines,
    a damped pulse train and a quiet sine with a loud click, each at a random
    level."""
    rng = np.random.default_rng(seed)
    t = np.arange(N) / SR
    noise = rng.standard_normal(N)
    brown = np.cumsum(rng.standard_normal(N))
    brown -= brown.mean()
    f0, f1 = rng.uniform(50, 500), rng.uniform(1000, 7000)
    chirp = np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * t[-1])))
    sines = sum(rng.uniform(0.1, 1) * np.sin(2 * np.pi * rng.uniform(30, 7900) * t
                                             + rng.uniform(0, 2 * np.pi)) for _ in range(5))
    pulses = np.sin(2 * np.pi * rng.uniform(200, 600) * t) * np.exp(-((t * 8) % 1) * 12)
    click = 0.01 * np.sin(2 * np.pi * 300 * t)
    click[rng.integers(N)] += 1.0
    waves = np.stack([noise, brown, chirp, sines, pulses, click])
    waves /= np.abs(waves).max(axis=1, keepdims=True)
    return (waves * rng.uniform(0.01, 0.9, (len(waves), 1))).astype(np.float32)


SETTINGS = [  # (n_fft, hop, n_freq_keep): full band and cropped
    (1024, 256, None), (1024, 256, 128), (1024, 128, None), (512, 128, None),
    (512, 128, 64), (512, 256, 100),
]


@pytest.mark.parametrize("name", ["real_imag", "logmag_if"])
@pytest.mark.parametrize("n_fft, hop, keep", SETTINGS)
@pytest.mark.parametrize("seed", [0, 1])
def test_complex_representations_round_trip_to_60_db(name, n_fft, hop, keep, seed):
    cfg = STFTConfig(n_fft=n_fft, hop=hop, window="hann", n_freq_keep=keep, n_frames=None)
    waves = random_signals(seed)
    # Fitted on other signals: the statistics need not match for exactness.
    rep = make_representation(name, cfg).fit(random_signals(seed + 100))
    arrays = rep.encode_batch(waves)
    assert arrays.shape == (len(waves), keep or n_fft // 2 + 1, 1 + N // hop, 2)
    assert arrays.dtype == np.float32
    back = rep.decode_batch(arrays)
    assert back.shape == waves.shape
    reference = spectral.lowpass_reference(waves, cfg)
    if keep is None:  # all bins kept: the reference is the signal itself
        np.testing.assert_allclose(reference, waves, atol=1e-5)
    assert np.min(metrics.snr_db(reference, back)) >= 60.0


@pytest.mark.parametrize("name", ["real_imag", "logmag_if"])
def test_cropped_frames_decode_like_the_lowpass_reference(name):
    # The model's default crop: 128 bins and 128 frames of a 2.048 s clip
    # (whose STFT has 129 frames): the reference drops the same last frame.
    cfg = STFTConfig()
    rng = np.random.default_rng(5)
    waves = (0.2 * rng.standard_normal((2, 32768))).astype(np.float32)
    rep = make_representation(name, cfg).fit(waves)
    arrays = rep.encode_batch(waves)
    assert arrays.shape == (2, 128, 128, 2) and rep.shape() == (128, 128, 2)
    back = rep.decode_batch(arrays)
    assert back.shape == (2, 32768)
    assert np.min(metrics.snr_db(spectral.lowpass_reference(waves, cfg), back)) >= 60.0


def test_single_clip_methods_match_the_batched_ones():
    cfg = STFTConfig(n_fft=512, hop=128, n_freq_keep=64, n_frames=None)
    waves = random_signals(3)
    rep = LogMagIFRepresentation(cfg).fit(waves)
    one = rep.encode(waves[2])
    np.testing.assert_array_equal(one, rep.encode_batch(waves)[2])
    np.testing.assert_allclose(rep.decode(one), rep.decode_batch(one[None])[0])


@pytest.mark.parametrize("freq", [250.0, 437.3, 1003.1])
@pytest.mark.parametrize("n_fft, hop", [(1024, 256), (512, 128)])
def test_instantaneous_frequency_of_a_pure_tone_is_its_frequency(freq, n_fft, hop):
    cfg = STFTConfig(n_fft=n_fft, hop=hop, n_freq_keep=None, n_frames=None)
    t = np.arange(SR) / SR  # 1 s
    tone = (0.5 * np.sin(2 * np.pi * freq * t + 0.7)).astype(np.float32)
    spec = spectral.stft(tone, cfg)
    inst = representations.instantaneous_frequency(spec, cfg)
    assert inst.min() >= -1.0 and inst.max() <= 1.0
    hz = representations.if_to_hz(inst, cfg)
    inner = slice(8, -8)  # away from the clip ends
    peak = int(np.argmax(np.abs(spec[:, spec.shape[1] // 2])))
    assert abs(peak * cfg.bin_hz - freq) <= cfg.bin_hz
    # Every frame, not just on average: the bin centre is up to half a bin off.
    np.testing.assert_allclose(hz[peak, inner], freq, atol=1.0)
    # The neighbouring bins, dominated by the same tone, agree too.
    np.testing.assert_allclose(hz[peak + 1, inner], freq, atol=1.0)


def test_integrating_if_gives_the_phase_back():
    cfg = STFTConfig(n_fft=512, hop=128, n_freq_keep=None, n_frames=None)
    spec = spectral.stft(random_signals(7), cfg)
    inst = representations.instantaneous_frequency(spec, cfg)
    phase = representations.integrate_instantaneous_frequency(inst, cfg)
    error = np.angle(np.exp(1j * (phase - np.angle(spec))))  # wrapped difference
    assert np.max(np.abs(error)) < 1e-4


def test_compression_is_phase_preserving_and_invertible():
    rng = np.random.default_rng(0)
    spec = rng.standard_normal(1000) * 10 ** rng.uniform(-6, 3, 1000) * np.exp(
        1j * rng.uniform(-np.pi, np.pi, 1000))
    spec[0] = 0.0
    y = representations.compress(spec, 0.3)
    np.testing.assert_allclose(np.abs(y), np.abs(spec) ** 0.3)
    np.testing.assert_allclose(np.angle(y[1:]), np.angle(spec[1:]), atol=1e-12)
    np.testing.assert_allclose(representations.decompress(y, 0.3), spec, rtol=1e-9)
    assert y[0] == 0


def test_real_imag_scale_is_per_frequency_and_puts_values_near_one():
    cfg = STFTConfig(n_fft=512, hop=128, n_freq_keep=None, n_frames=None)
    waves = random_signals(0)
    rep = RealImagRepresentation(cfg).fit(waves)
    assert rep.scale.shape == (cfg.n_bins,)
    x = rep.encode_batch(waves)
    rms = np.sqrt(np.mean(x**2, axis=(0, 2, 3)))  # per bin, over clips, frames, channels
    np.testing.assert_allclose(rms, 1 / 3, rtol=1e-3)  # n_std = 3 standard deviations -> 1


def test_magnitude_representation_is_notebook_04s_pipeline():
    cfg = STFTConfig(n_fft=1024, hop=256, n_freq_keep=32, n_frames=32)
    waves = random_signals(0)
    rep = MagnitudeRepresentation(cfg, n_iter=16).fit(waves)
    mags = spectral.magnitudes(waves, cfg)
    np.testing.assert_array_equal(rep.encode_batch(waves),
                                  rep.normalizer.transform(mags)[..., np.newaxis])
    assert rep.channels == 1 and rep.output_activation == "tanh" and not rep.exact


def test_magnitude_decode_is_griffin_lim_with_a_good_spectral_convergence():
    cfg = STFTConfig(n_fft=512, hop=128, n_freq_keep=None, n_frames=None)
    t = np.arange(N) / SR
    harmonic = sum(np.sin(2 * np.pi * 230 * h * t) / h for h in range(1, 6))
    waves = (0.2 * np.stack([harmonic, harmonic * (1 + np.sin(2 * np.pi * 3 * t))])
             ).astype(np.float32)
    rep = MagnitudeRepresentation(cfg, n_iter=64, seed=1).fit(waves)
    back = rep.decode_batch(rep.encode_batch(waves))
    assert back.shape == waves.shape and np.all(np.isfinite(back))
    sc = metrics.spectral_convergence_db(np.abs(spectral.stft(waves, cfg)),
                                         np.abs(spectral.stft(back, cfg)))
    assert np.max(sc) < -15.0
    # No phase: the waveform itself is not recovered.
    assert np.max(metrics.snr_db(waves, back)) < 20.0


def test_magnitudes_are_what_the_arrays_stand_for():
    cfg = STFTConfig(n_fft=512, hop=128, n_freq_keep=64, n_frames=None)
    waves = random_signals(2)
    true = np.abs(spectral.crop(spectral.stft(waves, cfg), cfg))
    for name in ("real_imag", "logmag_if"):
        rep = make_representation(name, cfg).fit(waves)
        np.testing.assert_allclose(rep.magnitudes(rep.encode_batch(waves)), true,
                                   rtol=1e-3, atol=1e-5 * true.max())


@pytest.mark.parametrize("name", list(REPRESENTATIONS))
def test_config_round_trip_decodes_identically(name, tmp_path):
    cfg = STFTConfig(n_fft=512, hop=128, n_freq_keep=64, n_frames=48)
    waves = random_signals(4)
    rep = make_representation(name, cfg).fit(waves)
    assert rep.n_samples == N and rep.is_fitted
    path = rep.save(tmp_path / "rep.json")
    assert json.loads(path.read_text())["name"] == name
    again = representations.load_representation(path)
    assert type(again) is type(rep) and again.config == cfg and again.n_samples == N
    arrays = rep.encode_batch(waves)
    np.testing.assert_array_equal(again.encode_batch(waves), arrays)
    np.testing.assert_array_equal(again.decode_batch(arrays), rep.decode_batch(arrays))
    assert again.decode_batch(arrays).shape == waves.shape  # fitted length by default


def test_registry_lists_every_representation():
    assert {"magnitude", "real_imag", "logmag_if"} <= set(REPRESENTATIONS)
    for name, cls in REPRESENTATIONS.items():
        rep = cls(STFTConfig())
        assert rep.name == name and rep.channels == (1 if name == "magnitude" else 2)


# ----------------------------------------------------------------- bad input


@pytest.fixture
def fitted():
    cfg = STFTConfig(n_fft=512, hop=128, n_freq_keep=64, n_frames=None)
    return LogMagIFRepresentation(cfg).fit(random_signals(0))


@pytest.mark.parametrize("name", list(REPRESENTATIONS))
def test_unfitted_representation_says_so(name):
    rep = make_representation(name, STFTConfig())
    assert not rep.is_fitted
    with pytest.raises(ValueError, match="not fitted"):
        rep.encode_batch(np.zeros((1, 4096), np.float32))
    with pytest.raises(ValueError, match="not fitted"):
        rep.decode_batch(np.zeros((1, 128, 128, rep.channels), np.float32))


def test_wrong_waveform_shapes_and_values_are_rejected(fitted):
    with pytest.raises(ValueError, match=r"\(n, samples\)"):
        fitted.encode_batch(np.zeros(4096, np.float32))
    with pytest.raises(ValueError, match=r"\(samples,\)"):
        fitted.encode(np.zeros((2, 4096), np.float32))
    bad = random_signals(0)
    bad[1, 10] = np.nan
    with pytest.raises(ValueError, match="inf or NaN"):
        fitted.encode_batch(bad)
    with pytest.raises(ValueError, match="inf or NaN"):
        LogMagIFRepresentation(fitted.config).fit(bad)


def test_wrong_array_shapes_and_channels_are_rejected(fitted):
    x = fitted.encode_batch(random_signals(0))
    with pytest.raises(ValueError, match="2 channel"):
        fitted.decode_batch(x[..., :1])
    with pytest.raises(ValueError, match="64 frequency bins"):
        fitted.decode_batch(x[:, :32])
    with pytest.raises(ValueError, match=r"\(n, freq, time, channels\)"):
        fitted.decode_batch(x[0])
    with pytest.raises(ValueError, match=r"\(freq, time, channels\)"):
        fitted.decode(x)
    x[0, 0, 0, 0] = np.inf
    with pytest.raises(ValueError, match="inf or NaN"):
        fitted.decode_batch(x)


def test_statistics_fitted_on_another_crop_are_rejected(fitted):
    other = LogMagIFRepresentation(fitted.config.replace(n_freq_keep=32),
                                   normalizer=fitted.normalizer)
    with pytest.raises(ValueError, match="64 bins"):
        other.encode_batch(random_signals(0))


def test_unknown_names_and_bad_files(tmp_path):
    with pytest.raises(ValueError, match="unknown representation 'phase_only'"):
        make_representation("phase_only")
    with pytest.raises(ValueError, match="alpha"):
        RealImagRepresentation(alpha=0.0)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ValueError, match="broken.json"):
        representations.load_representation(broken)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"name": "mystery", "stft": {}}))
    with pytest.raises(ValueError, match="mystery"):
        representations.load_representation(wrong)
    with pytest.raises(ValueError, match="not 'real_imag'"):
        RealImagRepresentation.from_config({"name": "logmag_if", "stft": {}})


def test_if_dither_breaks_the_click_train_of_a_zero_if_output():
    # A decoder that predicts IF = 0 everywhere realigns every bin each
    # n_fft / hop frames: a click train.  Dithering the quiet bins' IF removes it.
    cfg = STFTConfig(n_fft=1024, hop=256, n_freq_keep=None, n_frames=None)
    rng = np.random.default_rng(0)
    t = np.arange(N) / SR
    wave = (0.5 * np.sin(2 * np.pi * 250.0 * t) + 0.005 * rng.standard_normal(N))
    wave = wave.astype(np.float32)[None]  # a partial on bin 16's centre, noise 40 dB down
    rep = LogMagIFRepresentation(cfg).fit(wave)
    x = rep.encode_batch(wave)
    x[..., 1] = 0.0  # the "mean" IF everywhere
    clicks = rep.decode_batch(x)[0]
    dithered = LogMagIFRepresentation.from_config(
        {**rep.get_config(), "dither_below_db": -20.0}).decode_batch(x)[0]

    def without_partial(w):
        spec = spectral.stft(w, cfg)
        spec[10:23] = 0.0
        return spectral.istft(spec, cfg, length=N)[1024:-1024]

    def crest_db(w):
        return 20 * np.log10(np.abs(w).max() / np.sqrt(np.mean(w**2)))

    assert crest_db(without_partial(clicks)) > 20.0  # pulses
    assert crest_db(without_partial(dithered)) < 15.0  # noise-like (Gaussian: about 12 dB)
    # The partial keeps its IF: the same level in its bin.
    level = [np.abs(spectral.stft(w, cfg))[16, 4:-4].mean() for w in (clicks, dithered)]
    assert level[1] == pytest.approx(level[0], rel=0.05)
    with pytest.raises(ValueError, match="negative"):
        LogMagIFRepresentation(cfg, dither_below_db=3.0)


def _scramble_phase(rep, drawn):
    """The same magnitudes with a random phase, in the representation's channels."""
    noise = np.random.default_rng(0).uniform(-1.0, 1.0, drawn[..., 1].shape)
    if isinstance(rep, LogMagIFRepresentation):
        drawn[..., 1] = noise  # a random instantaneous frequency
        return drawn
    magnitude = np.hypot(drawn[..., 0], drawn[..., 1])
    return np.stack([magnitude * np.cos(np.pi * noise), magnitude * np.sin(np.pi * noise)], -1)


@pytest.mark.parametrize("cls", [LogMagIFRepresentation, RealImagRepresentation])
def test_refining_the_decoded_phase_makes_an_inconsistent_output_consistent(cls):
    # Magnitudes of real sounds with a scrambled phase: no signal has that
    # STFT, so the plain inverse drifts from the magnitudes drawn.
    # Griffin-Lim started from the decoded phase brings the sound back to them.
    cfg = STFTConfig(n_fft=512, hop=128, n_freq_keep=None, n_frames=None)
    waves = random_signals(3)
    rep = cls(cfg).fit(waves)
    assert rep.refine_iter == 0   # the exact inverse by default
    drawn = _scramble_phase(rep, rep.encode_batch(waves))
    refined_rep = cls.from_config({**rep.get_config(), "refine_iter": 32})
    assert refined_rep.refine_iter == 32 and refined_rep.momentum == 0.99

    def consistency_db(r):
        produced = np.abs(spectral.stft(r.decode_batch(drawn), cfg))
        return float(np.mean(metrics.spectral_convergence_db(rep.magnitudes(drawn), produced)))

    plain, refined = consistency_db(rep), consistency_db(refined_rep)
    assert refined < plain - 6.0 and refined < -15.0, (plain, refined)
    # The decoded phase is the start: the same arrays, the same sound.
    np.testing.assert_array_equal(refined_rep.decode_batch(drawn), refined_rep.decode_batch(drawn))
    with pytest.raises(ValueError, match="refine_iter"):
        cls(cfg, refine_iter=-1)


def test_noise_texture_keeps_the_mean_log_level_and_scatters_like_noise():
    from beeutils.dsp.representations import noise_texture

    config = STFTConfig(n_frames=32)
    texture = noise_texture((6, 128, 32), config, seed=3)
    assert texture.shape == (6, 128, 32) and texture.dtype == np.float32
    log = np.log(texture)
    assert abs(float(log.mean())) < 1e-5
    # STFT magnitudes of white noise are Rayleigh: their log has sd pi / sqrt(24).
    assert float(log[:, 2:].std()) == pytest.approx(np.pi / np.sqrt(24), rel=0.05)
    np.testing.assert_array_equal(texture, noise_texture((6, 128, 32), config, seed=3))
    assert not np.allclose(texture, noise_texture((6, 128, 32), config, seed=4))
