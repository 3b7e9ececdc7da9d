"""Every approach behind one contract: build, train, audio in/out, save, load, generate."""

import json

import keras
import numpy as np
import pytest
import soundfile as sf

from beeutils import generate
from beeutils.data import datasets
from beeutils.dsp import representations
from beeutils.dsp.spectral import STFTConfig
from beeutils.evaluation.evaluate import evaluate_model
from beeutils.models.audio_model import AudioModel, ModelFileError, one_hot
from beeutils.models.configs import (
    APPROACHES,
    ModelConfig,
    OscillatorConfig,
    VAEGANConfig,
)

CFG = STFTConfig(n_frames=32)  # 0.512 s clips: 32 frames of 256 samples
TINY = VAEGANConfig(latent_dim=4, widths=(4, 8), encoder_widths=(4, 8), disc_widths=(4,),
                    dense_units=16)
TINY_BANK = OscillatorConfig(latent_dim=4, encoder_widths=(4, 8), dense_units=16,
                             decoder_width=8, f0_width=4, n_harmonics=8, n_noise_bands=9)
NETWORKS = {"magnitude": TINY, "real_imag": TINY, "logmag_if": TINY, "oscillator": TINY_BANK}
KINDS = ("hum", "queen_toot", "nobee")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return datasets.make_corpus(kinds=KINDS, clips_per_kind=5, duration=0.512, seed=0,
                                root=tmp_path_factory.mktemp("corpus"))


def _trained(corpus, approach, conditional=False):
    model = AudioModel.build(ModelConfig(approach, CFG, NETWORKS[approach], conditional),
                             corpus, seed=0)
    model.train(corpus, epochs=1, batch_size=4, verbose=0)
    return model


@pytest.fixture(scope="module")
def trained(corpus):
    return {name: _trained(corpus, name) for name in APPROACHES}


@pytest.fixture(scope="module")
def conditional(corpus):
    return _trained(corpus, "magnitude", conditional=True)


def test_every_approach_speaks_audio(corpus, trained):
    waves = corpus.waves("test")
    for name, model in trained.items():
        assert model.approach == name and model.train_result.finite, name
        z = model.encode(waves)
        assert z.shape == (len(waves), 4)
        recon = model.reconstruct(waves)
        assert recon.shape == waves.shape and np.all(np.isfinite(recon)), name
        gen = model.generate(3, seed=1)
        assert gen.shape == (3, waves.shape[-1]) and gen.dtype == np.float32
        assert np.array_equal(gen, model.generate(3, seed=1)), name  # seeded
        assert not np.array_equal(gen, model.generate(3, seed=2)), name


def test_an_empty_split_is_refused_clearly(trained):
    class NoTest:
        kinds = KINDS

        def waves(self, split):
            return np.zeros((0, 8192), np.float32)

    assert trained["magnitude"].reconstruct(np.zeros((0, 8192), np.float32)).shape == (0, 8192)
    with pytest.raises(ValueError, match="'test' split is empty"):
        evaluate_model(trained["magnitude"], NoTest())


def test_spectrogram_decoders_draw_magnitudes_the_bank_writes_audio(trained):
    z = trained["magnitude"].prior_latents(2)
    assert trained["magnitude"].intended_magnitudes(z).shape == (2, CFG.n_freq_keep, 32)
    assert trained["oscillator"].intended_magnitudes(z) is None


def test_config_is_frozen_and_round_trips_through_json():
    config = ModelConfig("oscillator", CFG, TINY_BANK, conditional=True)
    with pytest.raises(AttributeError):
        config.approach = "magnitude"  # type: ignore[misc]
    again = ModelConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config and again.representation == "magnitude"
    # Both log-magnitude models also ask for each bin's rise and fall.
    assert ModelConfig("magnitude").network == VAEGANConfig(modulation_weight=0.01)
    assert ModelConfig("logmag_if").network == VAEGANConfig(modulation_weight=0.01)
    # The complex model is judged by its sound: its default says so.
    assert ModelConfig("real_imag").network == VAEGANConfig(
        waveform_weight=100.0, pixel_weight=0.01, log_magnitude_weight=0.01)
    with pytest.raises(TypeError, match="takes a OscillatorConfig"):
        ModelConfig("oscillator", network=TINY)
    with pytest.raises(ValueError, match="unknown approach"):
        ModelConfig("wavenet")
    with pytest.raises(ValueError, match="no field"):
        VAEGANConfig.from_dict({"depth": 3})


def test_the_config_builds_the_network(corpus):
    a = AudioModel.build(ModelConfig("magnitude", CFG, TINY), corpus, seed=0)
    b = AudioModel.build(ModelConfig("magnitude", CFG, TINY.replace(latent_dim=6)), corpus,
                         seed=0)
    assert a.latent_dim == 4 and b.latent_dim == 6
    same = AudioModel.build(ModelConfig("magnitude", CFG, TINY), corpus, seed=0)
    assert all(np.array_equal(x, y) for x, y in zip(a.network.get_weights(),
                                                    same.network.get_weights()))


def test_the_decoder_output_follows_the_representation(trained):
    """logmag_if's decoder ends in tanh like the magnitude model's (with a
    linear output it drew no partial); real_imag's values have no bound."""
    z = np.full((1, 4), 40.0, np.float32)  # far out: a tanh saturates
    for name, bounded in (("magnitude", True), ("logmag_if", True), ("real_imag", False)):
        model = trained[name]
        assert (model.representation.output_activation == "tanh") == bounded, name
        weights = model.network.decoder.get_weights()
        big = [w * 50.0 for w in weights]  # push every unit far from 0
        model.network.decoder.set_weights(big)
        try:
            out = np.asarray(model.network.decoder(z, training=False))
        finally:
            model.network.decoder.set_weights(weights)
        assert (np.abs(out).max() <= 1.0) == bounded, name


def test_representation_options_reach_the_model_and_its_file(corpus, tmp_path):
    # Both complex models decode through Griffin-Lim from their own phase
    # unless told not to.
    assert ModelConfig("logmag_if").representation_options == {"refine_iter": 32}
    assert ModelConfig("real_imag").representation_options == {"refine_iter": 32}
    assert ModelConfig("magnitude").representation_options == {}
    refined = AudioModel.build(ModelConfig("logmag_if", CFG, TINY), corpus, seed=0)
    plain = AudioModel.build(ModelConfig("logmag_if", CFG, TINY,
                                         representation_options={"refine_iter": 0}),
                             corpus, seed=0)
    assert refined.representation.refine_iter == 32 and plain.representation.refine_iter == 0
    again = ModelConfig.from_dict(json.loads(json.dumps(plain.config.to_dict())))
    assert again == plain.config
    path = tmp_path / "plain.keras"
    plain.save(path)
    loaded = AudioModel.load(path)
    assert loaded.config == plain.config and loaded.representation.refine_iter == 0
    z = np.random.default_rng(0).standard_normal((2, 4)).astype("float32")
    assert not np.allclose(refined.decode(z), plain.decode(z))
    with pytest.raises(TypeError, match="refine_iter"):
        AudioModel.build(ModelConfig("magnitude", CFG, TINY,
                                     representation_options={"refine_iter": 8}), corpus)


def test_kinds_are_checked(trained, conditional):
    with pytest.raises(ValueError, match="without kinds"):
        trained["magnitude"].generate(2, kind="hum")
    with pytest.raises(ValueError, match="pass kind="):
        conditional.generate(2)
    with pytest.raises(ValueError, match="unknown kind"):
        conditional.generate(2, kind="tuba")
    with pytest.raises(ValueError, match="3 kinds for 2 clips"):
        conditional.generate(2, kind=["hum"] * 3)
    hum = conditional.generate(2, kind="hum", seed=0)
    toot = conditional.generate(2, kind="queen_toot", seed=0)
    assert hum.shape == toot.shape and not np.allclose(hum, toot)
    np.testing.assert_array_equal(one_hot(["nobee", "hum"], KINDS), [[0, 0, 1], [1, 0, 0]])


def test_evaluate_model_reports_costs_and_the_floor(corpus, trained):
    out = evaluate_model(trained["magnitude"], corpus, n_generated=8)
    for key in ("recon_lsd_db", "recon_mrstft", "fd_ratio", "fd_ratio_train_recon", "ndb_k",
                "consistency_sc_db", "floor_lsd_db", "train_seconds", "train_examples_per_s", "generate_x_realtime"):
        assert np.isfinite(out[key]), key
    # Griffin-Lim on the true magnitudes is closer than a one-epoch model.
    assert out["floor_lsd_db"] < out["recon_lsd_db"]
    assert out["nonfinite_steps"] == 0
    assert out["n_generated"] == 8 and out["n_test"] == len(corpus.labels("test"))
    bank = evaluate_model(trained["oscillator"], corpus, n_generated=8)
    assert np.isnan(bank["consistency_sc_db"])  # the bank writes audio


def test_noise_texture_samples_around_the_decoded_magnitudes(corpus, trained):
    from beeutils.dsp.representations import noise_texture

    z = trained["magnitude"].prior_latents(3, seed=0)
    for name in ("magnitude", "logmag_if"):
        model = trained[name]
        plain, textured = model.decode(z), model.decode(z, texture=True)
        assert textured.shape == plain.shape and np.isfinite(textured).all()
        assert not np.allclose(textured, plain), name
        smooth = model.intended_magnitudes(z)
        # The sound was made of the decoded magnitudes times the texture.
        np.testing.assert_allclose(
            model.intended_magnitudes(z, texture=True),
            smooth * noise_texture(smooth.shape, model.representation.config,
                                   model.representation.seed), rtol=1e-5)
        assert model.generate(3, seed=0, texture=True).shape == plain.shape
    # logmag_if keeps its decoded phase: only the magnitudes differ.
    rep = trained["logmag_if"].representation
    arrays = trained["logmag_if"].network.decode(z, None)
    rebuilt = representations.sound_from_polar(
        rep.textured_magnitudes(arrays), rep._polar(arrays)[1], rep.config,
        trained["logmag_if"].n_samples, rep.refine_iter, rep.momentum)
    np.testing.assert_allclose(trained["logmag_if"].decode(z, texture=True), rebuilt,
                               atol=1e-5)
    with pytest.raises(ValueError, match="spectrogram model"):
        trained["oscillator"].decode(z, texture=True)
    assert [name for name, m in trained.items() if m.draws_spectrograms] == [
        name for name in trained if name != "oscillator"]
    # Only the prior samples change: reconstructions stay the decoder's average.
    model = trained["magnitude"]
    with_texture = evaluate_model(model, corpus, n_generated=6, texture=True)
    without = evaluate_model(model, corpus, n_generated=6)
    assert with_texture["recon_lsd_db"] == without["recon_lsd_db"]
    assert with_texture["fd_gen"] != without["fd_gen"]


def test_save_load_round_trip(tmp_path, corpus, trained, conditional):
    for model in (conditional, trained["oscillator"], trained["logmag_if"]):
        path = model.save(tmp_path / model.approach)
        assert path.suffix == ".keras" and path.with_suffix(".json").exists()
        loaded = AudioModel.load(path)
        assert loaded.config == model.config and loaded.kinds == KINDS
        kind = "hum" if model.conditional else None
        z = model.prior_latents(2, seed=3)
        np.testing.assert_allclose(loaded.decode(z, kind), model.decode(z, kind), atol=1e-5)


def test_load_refuses_bad_files(tmp_path, trained):
    with pytest.raises(ModelFileError, match="no model file"):
        AudioModel.load(tmp_path / "missing.keras")
    path = trained["magnitude"].save(tmp_path / "m")
    desc = path.with_suffix(".json")
    desc.write_text("{not json")
    with pytest.raises(ModelFileError, match="unreadable"):
        AudioModel.load(path)
    desc.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(ModelFileError, match="does not describe"):
        AudioModel.load(path)
    desc.unlink()
    with pytest.raises(ModelFileError, match="no description"):
        AudioModel.load(path)
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"not a zip file")
    trained["magnitude"].save(tmp_path / "good")
    (tmp_path / "bad.json").write_text((tmp_path / "good.json").read_text())
    with pytest.raises(ModelFileError, match="Keras could not load"):
        AudioModel.load(bad)


def test_generate_command_end_to_end(tmp_path, conditional, capsys):
    path = conditional.save(tmp_path / "by_kind")
    out = tmp_path / "out"
    code = generate.main(["--model", str(path), "--kind", "queen_toot", "--n", "2",
                          "--out", str(out)])
    assert code == 0
    wavs = sorted(out.glob("*.wav"))
    assert [p.name for p in wavs] == ["queen_toot_00.wav", "queen_toot_01.wav"]
    assert all(p.with_suffix(".png").stat().st_size > 1000 for p in wavs)
    wave, sr = sf.read(wavs[0])
    assert sr == 16000 and wave.shape == (conditional.n_samples,)
    assert "wrote 2 clips" in capsys.readouterr().out
    # With the noise texture: other clips from the same latents, still written.
    textured = tmp_path / "textured"
    assert generate.main(["--model", str(path), "--kind", "queen_toot", "--n", "2",
                          "--out", str(textured), "--no-png", "--texture"]) == 0
    other, _ = sf.read(textured / "queen_toot_00.wav")
    assert other.shape == wave.shape and not np.allclose(other, wave)


def test_generate_command_errors_are_clear(tmp_path, conditional, capsys):
    assert generate.main(["--model", str(tmp_path / "nope.keras"), "--out",
                          str(tmp_path)]) == 2
    assert "no model file" in capsys.readouterr().err
    path = conditional.save(tmp_path / "by_kind")
    assert generate.main(["--model", str(path), "--kind", "tuba", "--out", str(tmp_path)]) == 2
    assert "unknown kind" in capsys.readouterr().err
    assert generate.main(["--model", str(path), "--out", str(tmp_path)]) == 2
    assert "pass kind=" in capsys.readouterr().err


class StopInSecondStage(keras.callbacks.Callback):
    """Raises after the first epoch of the second ``fit`` call, as Ctrl-C would."""

    def __init__(self):
        super().__init__()
        self.fits = 0

    def on_train_begin(self, logs=None):
        self.fits += 1

    def on_epoch_end(self, epoch, logs=None):
        if self.fits == 2:
            raise KeyboardInterrupt


def test_the_bank_trains_in_two_stages_and_resumes_in_the_second(tmp_path, corpus):
    config = ModelConfig("oscillator", CFG, TINY_BANK, conditional=True)
    whole = AudioModel.build(config, corpus, seed=0)
    result = whole.train(corpus, epochs=2, batch_size=4, verbose=0, adversarial_epochs=2)
    assert whole.network.stage == "adversarial" and result.finite
    assert result.epochs == 4 and result.seconds > 0
    history = result.history.history
    # one value per epoch of both stages; the adversary's terms only in the second
    assert len(history["kl"]) == 4 and np.isnan(history["d_real"][:2]).all()
    assert np.isfinite(history["d_real"][2:]).all()
    # a VAE-GAN's discriminator trains from its first step: no second stage
    magnitude = AudioModel.build(ModelConfig("magnitude", CFG, TINY), corpus, seed=0)
    with pytest.raises(ValueError, match="no separate adversarial stage"):
        magnitude.train(corpus, epochs=1, batch_size=4, verbose=0, adversarial_epochs=1)

    backup = tmp_path / "backup"
    interrupted = AudioModel.build(config, corpus, seed=0)
    with pytest.raises(KeyboardInterrupt):
        interrupted.train(corpus, epochs=2, batch_size=4, verbose=0, adversarial_epochs=2,
                          backup_dir=backup, callbacks=[StopInSecondStage()])
    assert (backup / "reconstruction.weights.h5").is_file()
    assert (backup / "adversarial").is_dir() and not (backup / "reconstruction").exists()
    resumed = AudioModel.build(config, corpus, seed=0)
    again = resumed.train(corpus, epochs=2, batch_size=4, verbose=0, adversarial_epochs=2,
                          backup_dir=backup)
    # only the second stage's last epoch ran; the first stage was not redone
    assert again.first_epoch == 1 and again.epochs == 1
    assert resumed.network.stage == "adversarial"
    # the same weights as the uninterrupted run, discriminator included
    for a, b in zip(whole.network.get_weights(), resumed.network.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    saved = AudioModel.load(resumed.save(tmp_path / "bank.keras"))
    assert saved.network.stage == "adversarial"
    np.testing.assert_allclose(saved.generate(2, kind="hum", seed=3),
                               resumed.generate(2, kind="hum", seed=3), atol=1e-5)
