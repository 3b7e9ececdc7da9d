"""The oscillator-bank VAE on tiny clips: f0 tracking, training, save/load, stages."""

import dataclasses

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from beeutils.models import vaegan  # noqa: E402
from beeutils.dsp import ddsp  # noqa: E402
from beeutils.models import oscillator_model as om  # noqa: E402
from beeutils.models.configs import OscillatorConfig  # noqa: E402
from beeutils.data import synth  # noqa: E402
from beeutils.training import fit  # noqa: E402
from beeutils.dsp.representations import MagnitudeRepresentation  # noqa: E402
from beeutils.dsp.spectral import STFTConfig  # noqa: E402

SR = 16000
N = 8192                      # 0.512 s
STFT = STFTConfig(n_fft=1024, hop=256, n_freq_keep=32, n_frames=32)
SHAPE = (32, 32, 1)
TINY = OscillatorConfig(latent_dim=4, encoder_widths=(4, 8), dense_units=16, decoder_width=8,
                        f0_width=4, n_harmonics=8, n_noise_bands=17, fft_sizes=(512, 128),
                        max_hz=2000.0)


def build(seed, n_classes=0, config=TINY):
    """The tiny model with reproducible weights (the builder does not seed Keras)."""
    keras.utils.set_random_seed(seed)
    return om.build_oscillator_vae(SHAPE, config, N, SR, n_classes=n_classes, seed=seed)


def tone(f0, seconds=N / SR, amp=0.5):
    t = np.arange(int(seconds * SR)) / SR
    return (amp * np.sin(2 * np.pi * f0 * t)).astype(np.float32)


@pytest.fixture(scope="module")
def clips():
    waves, labels = [], []
    for kind in ("hum", "queen_toot"):
        for seed in range(3):
            wave, _ = synth.synthesize(kind, sr=SR, duration=N / SR, seed=seed)
            waves.append(wave)
            labels.append(kind)
    waves = np.stack(waves)
    representation = MagnitudeRepresentation(STFT).fit(waves)
    x = representation.encode_batch(waves)   # normalised log magnitudes, (6, 32, 32, 1)
    return waves, x, np.array([0, 0, 0, 1, 1, 1]), representation


@pytest.fixture(scope="module")
def trained(clips):
    waves, x, _, _ = clips
    model = build(0)
    result = fit.train(model, om.training_inputs(x, waves), epochs=3, batch_size=3,
                            seed=0, verbose=0)
    return model, result


# ------------------------------------------------------------------- f0


def test_yin_finds_a_tone_and_calls_noise_aperiodic():
    f0, aper = om.yin(tone(233.0))
    assert f0.shape == (1 + N // om.HOP,)
    assert np.all(np.abs(f0[4:-4] - 233.0) < 0.5) and np.all(aper[4:-4] < 0.05)
    _, aper_noise = om.yin(np.random.default_rng(0).standard_normal(N).astype(np.float32))
    assert np.median(aper_noise) > 0.5


def test_f0_contour_bridges_silence_and_falls_back_on_noise():
    wave = np.concatenate([tone(300.0, 0.2), np.zeros(int(0.1 * SR), np.float32),
                           tone(330.0, 0.212)])
    noise = 0.3 * np.random.default_rng(1).standard_normal(len(wave)).astype(np.float32)
    f0, voiced = om.f0_contour(np.stack([wave, noise]), unvoiced_hz=180.0)
    assert f0.shape == voiced.shape == (2, len(wave) // om.HOP)
    gap = slice(int(0.22 * SR) // om.HOP, int(0.28 * SR) // om.HOP)
    assert not voiced[0, gap].any() and voiced[0, 2:20].all()
    assert np.all((f0[0, gap] >= 299) & (f0[0, gap] <= 331))   # interpolated, no jump
    assert abs(np.median(f0[0, :20]) - 300) < 1 and abs(np.median(f0[0, -20:]) - 330) < 1
    assert not voiced[1].any() and np.all(f0[1] == 180.0)


def test_f0_contour_holds_a_toot_across_the_quiet_hum_of_its_pauses():
    """Between a toot's syllables the colony hum is voiced too, at another
    pitch but more than 12 dB quieter: the default gate holds the toot's
    pitch there, where a gate at -40 dB followed the hum down and up."""
    for seed in (0, 1):
        wave, meta = synth.synthesize("queen_toot", sr=SR, duration=2.048, seed=seed)
        band = np.asarray(ddsp.lowpass(wave[None], SR, 2000.0))
        t = np.arange(band.shape[-1] // om.HOP) * om.HOP / SR
        pulses = meta["pulses"]
        inside = np.zeros(t.shape, bool)
        for start, end in pulses:
            inside |= (t >= start) & (t < end)
        pause = ~inside & (t > pulses[0][0]) & (t < pulses[-1][1])
        held = om.f0_contour(band)[0][0, pause]
        followed = om.f0_contour(band, quiet_db=-40.0)[0][0, pause]
        assert abs(np.log2(np.median(held) / meta["f0_hz"])) < 0.03, seed
        assert np.log2(meta["f0_hz"] / np.median(followed)) > 0.5, seed


def test_lowpass_and_training_inputs(clips):
    waves, x, _, _ = clips
    low = np.asarray(ddsp.lowpass(waves, SR, 2000.0))
    spec = np.abs(np.fft.rfft(low, axis=-1))
    assert spec[:, np.fft.rfftfreq(N, 1 / SR) > 2000].max() < 1e-3
    inputs = om.training_inputs(x, waves)
    assert set(inputs) == {"x", "f0", "wave"}
    assert inputs["f0"].shape == (6, N // om.HOP) and inputs["wave"].shape == waves.shape
    np.testing.assert_allclose(inputs["wave"], low, atol=1e-6)
    with pytest.raises(ValueError, match="encoder inputs"):
        om.training_inputs(x[:2], waves)


# ---------------------------------------------------------------- model


def test_a_few_training_steps_stay_finite(trained):
    model, result = trained
    assert result.finite and result.steps == 6
    history = result.history.history
    for key in ("mrstft", "kl", "f0", "total"):
        assert np.all(np.isfinite(history[key]))


def test_controls_are_what_the_bank_plays(trained, clips):
    model, _ = trained
    z = np.random.default_rng(0).standard_normal((2, model.latent_dim)).astype(np.float32)
    controls = model.controls(z)
    assert controls["harmonics"].shape == (2, N // om.HOP, 8)
    assert controls["noise"].shape == (2, N // om.HOP, 17)
    np.testing.assert_allclose(controls["harmonics"].sum(-1), 1.0, rtol=1e-5)
    assert np.all(controls["f0_hz"] >= om.F0_RANGE_HZ[0])
    assert np.all(controls["f0_hz"] <= om.F0_RANGE_HZ[1])
    audio = model.synthesize(controls, seed=5)
    np.testing.assert_allclose(model.decode(z, seed=5), audio, atol=1e-6)
    # Harmonics and noise bands above the model's top frequency (2 kHz) are
    # silenced; what is left up there is the noise filters' gentle roll-off.
    power = np.abs(np.fft.rfft(audio, axis=-1)) ** 2
    freqs = np.fft.rfftfreq(N, 1 / SR)
    assert power[:, freqs > 3000].mean() < 1e-3 * power[:, freqs < 2000].mean()


def test_editing_f0_moves_the_pitch(trained):
    model, _ = trained
    z = np.zeros((1, model.latent_dim), np.float32)
    controls = model.controls(z, f0=np.full((1, N // om.HOP), 200.0, np.float32))
    controls["noise"] = controls["noise"] * 0          # harmonic part alone
    controls["harmonics"] = np.zeros_like(controls["harmonics"])
    controls["harmonics"][..., 0] = 1.0               # the fundamental alone
    shifted = dict(controls, f0_hz=controls["f0_hz"] * 2 ** (3 / 12))
    f_low = om.yin(model.synthesize(controls)[0])[0]
    f_high = om.yin(model.synthesize(shifted)[0])[0]
    mid = slice(8, -8)
    assert abs(np.median(f_low[mid]) - 200) < 1
    assert abs(np.median(f_high[mid]) - 200 * 2 ** (3 / 12)) < 1


def test_reconstruct_and_sample_shapes_and_seeds(trained, clips):
    model, _ = trained
    waves, x, _, _ = clips
    f0 = om.training_inputs(x, waves)["f0"]
    recon = model.reconstruct_waves(x, f0=f0)
    assert recon.shape == waves.shape and np.all(np.isfinite(recon))
    assert model.reconstruct_waves(x).shape == waves.shape   # f0 predicted
    a, b = model.sample_waves(2, seed=3), model.sample_waves(2, seed=3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, model.sample_waves(2, seed=4))
    with pytest.raises(ValueError, match="unconditional"):
        model.sample_waves(2, seed=3, labels=[0, 1])


def test_compile_builds_the_optimiser_on_every_generator_variable():
    model = build(3)
    assert model.optimizer.built and int(model.optimizer.iterations) == 0
    generator = (model.encoder.trainable_variables + model.f0_decoder.trainable_variables
                 + model.control_decoder.trainable_variables)
    # Adam: a first and a second moment per generator variable, shaped like it
    moments = [v for v in model.optimizer.variables
               if v.path.endswith(("_momentum", "_velocity"))]
    assert sorted(tuple(v.shape) for v in moments) == sorted(
        tuple(v.shape) for v in generator for _ in range(2))


def test_keras_file_round_trip_gives_identical_audio(trained, clips, tmp_path):
    model, _ = trained
    waves, x, _, _ = clips
    path = tmp_path / "osc.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, om.OscillatorVAE)
    np.testing.assert_array_equal(loaded.reconstruct_waves(x), model.reconstruct_waves(x))
    np.testing.assert_array_equal(loaded.sample_waves(2, seed=1), model.sample_waves(2, seed=1))
    # The optimiser state came back too (its variables exist from compile()):
    # the step count and Adam's moments, not a fresh optimiser.
    assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations) == 6
    saved = [np.asarray(v) for v in model.optimizer.variables]
    restored = [np.asarray(v) for v in loaded.optimizer.variables]
    assert len(restored) == len(saved) > 2
    assert any(np.any(v != 0) for v in saved if v.ndim)     # moments, not zeros
    for a, b in zip(saved, restored):
        np.testing.assert_array_equal(a, b)
    # Training can resume from there.
    result = fit.train(loaded, om.training_inputs(x, waves), epochs=1, batch_size=3,
                       verbose=0)
    assert result.finite and int(loaded.optimizer.iterations) == 8


def test_the_audio_boundary(trained, clips):
    """What ``AudioModel`` asks any network: its fit inputs, its audio, and the
    magnitudes it meant (none: the bank writes audio)."""
    model, _ = trained
    waves, x, _, representation = clips
    inputs = model.training_inputs(x, waves)
    expected = om.training_inputs(x, waves, sr=SR, hop=om.HOP)
    assert set(inputs) == set(expected) == {"x", "f0", "wave"}
    for key in expected:
        np.testing.assert_array_equal(inputs[key], expected[key])
    # it follows the model's frame rate, not the module's default
    coarse = build(4, config=TINY.replace(hop=256))
    assert coarse.training_inputs(x, waves)["f0"].shape == (6, N // 256)
    z = np.random.default_rng(2).standard_normal((3, model.latent_dim)).astype(np.float32)
    audio = model.decode_waves(z, None, representation, N)
    assert audio.shape == (3, N) and np.all(np.isfinite(audio))
    np.testing.assert_array_equal(audio, model.decode(z))   # the bank's audio, no inversion
    assert model.intended_magnitudes(z, None, representation) is None


def test_conditional_model_trains_and_samples_by_kind(clips):
    waves, x, ids, representation = clips
    model = build(1, n_classes=2)
    onehot = np.eye(2, dtype=np.float32)[ids]
    result = fit.train(model, (om.training_inputs(x, waves), onehot), epochs=1,
                            batch_size=3, verbose=0)
    assert result.finite
    assert model.sample_waves(3, seed=0, labels=[1, 1, 1]).shape == (3, N)
    assert model.reconstruct_waves(x, labels=ids).shape == waves.shape
    z = np.zeros((2, model.latent_dim), np.float32)
    by_kind = [model.decode_waves(z, [k, k], representation, N) for k in (0, 1)]
    np.testing.assert_array_equal(by_kind[1], model.decode(z, [1, 1]))
    assert not np.array_equal(by_kind[0], by_kind[1])      # the label reaches the bank
    with pytest.raises(ValueError, match="conditioned"):
        model.sample_waves(2, seed=0)


def test_adversarial_stage_freezes_the_encoder(clips):
    waves, x, _, _ = clips
    model = build(2)
    inputs = om.training_inputs(x, waves)
    fit.train(model, inputs, epochs=1, batch_size=3, verbose=0)
    encoder_before = [w.copy() for w in model.encoder.get_weights()]
    decoder_before = [w.copy() for w in model.control_decoder.get_weights()]
    model.start_adversarial()
    result = fit.train(model, inputs, epochs=1, batch_size=3, verbose=0)
    assert result.finite
    for key in ("gan_dec", "disc", "feature", "d_real"):
        assert np.all(np.isfinite(result.history.history[key]))
    for a, b in zip(encoder_before, model.encoder.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b)
               for a, b in zip(decoder_before, model.control_decoder.get_weights()))


def test_the_oscillator_decoder_inside_the_vaegan(clips):
    waves, x, _, representation = clips
    keras.utils.set_random_seed(0)
    frames = N // om.HOP
    stft = dataclasses.asdict(STFT)
    norm = representation.normalizer.get_config()
    # in graph, audio -> exactly the encoder's input
    np.testing.assert_allclose(np.asarray(om.LogMagnitude(stft, norm)(waves)), x, atol=1e-4)
    decoder = om.build_vaegan_decoder(
        om.build_f0_decoder(4, frames, width=4), om.build_control_decoder(4, frames, 8, 17,
                                                                          width=8),
        om.OscillatorSynth(SR, om.HOP, N, om.MAX_HZ, seed=0), stft, norm)
    model = vaegan.VAEGAN(vaegan.build_encoder(SHAPE, 4, (4, 8), dense_units=16), decoder,
                          vaegan.build_discriminator(SHAPE, (4, 8)), pixel_loss="mse",
                          seed=0)
    model.compile()
    assert model.decode(np.zeros((2, 4), np.float32)).shape == (2, *SHAPE)
    result = fit.train(model, x, epochs=1, batch_size=3, verbose=0)
    assert result.finite


def test_training_inputs_are_required(trained, clips):
    model, _ = trained
    _, x, _, _ = clips
    with pytest.raises(ValueError, match="training_inputs"):
        model.fit(x, epochs=1, verbose=0)


def test_the_bank_writes_the_band_its_encoder_reads_unless_told_otherwise():
    from beeutils.dsp.spectral import WIDEBAND, STFTConfig

    for grid in (WIDEBAND, STFTConfig()):
        rep = MagnitudeRepresentation(grid)
        model = TINY.replace(max_hz=None).build((grid.n_freq_keep, 16, 1), rep, N)
        assert model.synth.max_hz == pytest.approx(grid.band_top_hz)
    assert TINY.build(SHAPE, MagnitudeRepresentation(WIDEBAND), N).synth.max_hz == 2000.0


def test_loss_overlap_and_control_grid_reach_the_model_and_its_file(clips, tmp_path,
                                                                      monkeypatch):
    from beeutils.models import losses

    waves, x, _, _ = clips
    config = TINY.replace(fft_overlap=0.625, control_frames=8)
    model = build(0, config=config)
    assert model.fft_overlap == 0.625 != TINY.fft_overlap
    # The control decoder's coarse grid: 8 frames of 8 channels before upsampling.
    assert tuple(model.control_decoder.get_layer("ctrl_grid").output.shape[1:]) == (8, 8)
    # The default asks for more frames than these 0.5 s clips have: one per frame.
    n_frames = N // TINY.hop
    assert TINY.control_frames > n_frames
    assert tuple(build(0).control_decoder.get_layer("ctrl_grid").output.shape[1:]) == (n_frames, 8)
    # The loss the model trains on is taken at its overlap, not the default.
    seen = []

    def spy(y_true, y_pred, fft_sizes, overlap=0.75):
        seen.append((tuple(fft_sizes), overlap))
        return real_loss(y_true, y_pred, fft_sizes, overlap)

    real_loss = losses.multi_resolution_stft_loss
    monkeypatch.setattr(losses, "multi_resolution_stft_loss", spy)
    terms = model.compute_losses(om.training_inputs(x, waves))
    assert seen == [(TINY.fft_sizes, 0.625)] and np.isfinite(float(terms["mrstft"]))
    path = tmp_path / "osc.keras"
    model.save(path)
    assert keras.saving.load_model(path, safe_mode=True).fft_overlap == 0.625


def test_the_adversarial_weights_come_from_the_config(clips):
    waves, x, _, _ = clips
    inputs = om.training_inputs(x, waves)
    model = build(0, config=TINY.replace(gan_weight=0.7, feature_weight=0.0))
    assert (model.gan_weight, model.feature_weight) == (0.7, 0.0)
    assert (build(0).gan_weight, build(0).feature_weight) == (0.1, 1.0)  # the defaults
    model.start_adversarial()
    terms = {k: float(v) for k, v in model.compute_losses(inputs).items()}
    # The total is the spectral and f0 losses plus 0.7 of the GAN loss, no feature term.
    expected = terms["mrstft"] + model.f0_weight * terms["f0"] + 0.7 * terms["gan_dec"]
    assert terms["feature"] > 0 and abs(terms["total"] - expected) < 1e-4 * abs(expected)


def test_the_f0_gate_comes_from_the_config(clips):
    """A toot's gaps hold quiet hum at another pitch: gated out, the contour
    the bank learns holds the toot's pitch across them."""
    waves, x, _, _ = clips
    assert OscillatorConfig().f0_quiet_db == om.F0_QUIET_DB == build(0).f0_quiet_db
    model = build(0, config=TINY.replace(f0_quiet_db=-6.0))
    f0 = model.training_inputs(x, waves)["f0"]
    target = om.training_inputs(x, waves, max_hz=TINY.max_hz)["wave"]
    np.testing.assert_array_equal(f0, om.f0_contour(target, SR, TINY.hop, quiet_db=-6.0)[0])
    assert not np.array_equal(f0, om.f0_contour(target, SR, TINY.hop)[0])
    restored = om.OscillatorVAE.from_config(model.get_config())
    assert restored.f0_quiet_db == -6.0
