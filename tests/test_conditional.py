"""A model conditioned on kind, on a tiny corpus: its kinds and one-hot data, its
network, training, generation by kind, the corpora it refuses, and the measured
kind check (``beeutils.evaluation.conditional``).

One-hot basics, the kind errors of ``generate``, save/load and the generate
command are in ``test_audio_model.py``."""

import numpy as np
import pytest

from beeutils.data import datasets
from beeutils.dsp.spectral import STFTConfig, lowpass_reference
from beeutils.evaluation import conditional
from beeutils.evaluation.evaluate import evaluate_model
from beeutils.models.audio_model import AudioModel, one_hot
from beeutils.models.classify import KindClassifier
from beeutils.models.configs import ModelConfig, VAEGANConfig
from beeutils.training import fit

CFG = STFTConfig(n_frames=32)  # 128 bins (0-2 kHz) by 32 frames: 0.512 s clips
TINY = VAEGANConfig(latent_dim=4, widths=(4, 8), encoder_widths=(4, 8), disc_widths=(4,),
                    dense_units=16)
KINDS = ("hum", "queen_toot", "hiss")
N_SAMPLES = 8192


def make(tmp_path_factory, kinds):
    # 4 clips per kind -> 2 train, 1 validation, 1 test of each kind.
    return datasets.make_corpus(kinds=kinds, clips_per_kind=4, duration=0.512, seed=0,
                                root=tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make(tmp_path_factory, KINDS)


@pytest.fixture(scope="module")
def model(corpus):
    model = AudioModel.build(ModelConfig("magnitude", CFG, TINY, conditional=True), corpus,
                             seed=0)
    # 6 training clips, batch 2: 3 steps per epoch; 2 epochs = 6 steps.
    model.train(corpus, epochs=2, batch_size=2, seed=0, verbose=0)
    return model


@pytest.fixture(scope="module")
def plain(corpus):
    """The same network unconditioned (untrained)."""
    return AudioModel.build(ModelConfig("magnitude", CFG, TINY), corpus, seed=0)


@pytest.fixture(scope="module")
def classifier(model, corpus):
    return conditional.fit_kind_classifier(model, corpus, seed=0)


# ------------------------------------------------------------ kinds and data


def test_training_data_carries_one_hot_kinds_aligned_with_the_clips(corpus, model):
    assert model.conditional and model.kinds == KINDS
    for split, n in (("train", 6), ("validation", 3), ("test", 3)):
        x, onehot = model.training_data(corpus, split)
        assert onehot.shape == (n, 3) and onehot.dtype == np.float32, split
        np.testing.assert_array_equal(onehot.sum(1), 1.0)
        assert [KINDS[i] for i in onehot.argmax(1)] == corpus.labels(split), split
        # the inputs are those of an unconditional model
        np.testing.assert_array_equal(
            x, model.representation.encode_batch(corpus.waves(split)))
    assert one_hot([], KINDS).shape == (0, 3)
    with pytest.raises(ValueError, match=r"unknown kind\(s\) \['bumblebee'\]"):
        one_hot(["hum", "bumblebee"], KINDS)


def test_conditioning_changes_nothing_but_the_label_inputs(model, plain):
    net, ref = model.network, plain.network
    assert net.n_classes == 3 and ref.n_classes == 0
    # the kind also adds the auxiliary classifier's loss (AC-GAN)
    skip = {"name", "n_classes", "encoder", "decoder", "discriminator", "aux_weight"}
    config, reference = net.get_config(), ref.get_config()
    assert ({k: v for k, v in config.items() if k not in skip}
            == {k: v for k, v in reference.items() if k not in skip})
    assert config["aux_weight"] == model.config.network.aux_weight > 0
    assert reference["aux_weight"] == 0.0
    for part in ("enc_optimizer", "dec_optimizer", "disc_optimizer"):
        assert float(getattr(net, part).learning_rate) == \
            float(getattr(ref, part).learning_rate)
    for part in ("encoder", "decoder"):
        assert [tuple(o.shape) for o in getattr(net, part).outputs] == \
            [tuple(o.shape) for o in getattr(ref, part).outputs]
    # the discriminator adds the kind logits to its two outputs
    assert [tuple(o.shape) for o in net.discriminator.outputs] == \
        [tuple(o.shape) for o in ref.discriminator.outputs] + [(None, 3)]
    for part in ("encoder", "decoder", "discriminator"):
        assert len(getattr(net, part).inputs) == 2 and len(getattr(ref, part).inputs) == 1
    assert net.decoder.output.shape[1:] == (128, 32, 1)


# ------------------------------------------------------------ training


def test_training_is_finite_counts_steps_and_validates(model):
    result = model.train_result
    assert isinstance(result, fit.TrainResult)
    assert result.finite and result.epochs == 2 and result.steps == 6
    assert np.isfinite(result.history.history["val_total"]).all()
    assert result.seconds > 0


def test_train_refuses_a_corpus_with_other_kinds(tmp_path_factory, model):
    # The same kinds in another order would give every one-hot column another meaning.
    reordered = make(tmp_path_factory, ("queen_toot", "hum", "hiss"))
    before = model.network.get_weights()
    with pytest.raises(ValueError, match="built for kinds"):
        model.train(reordered, epochs=1, verbose=0)
    for a, b in zip(before, model.network.get_weights()):
        np.testing.assert_array_equal(a, b)  # refused before any step


def test_build_refuses_to_condition_on_one_kind(tmp_path_factory):
    hum = make(tmp_path_factory, ("hum",))
    with pytest.raises(ValueError, match="at least two kinds"):
        AudioModel.build(ModelConfig("magnitude", CFG, TINY, conditional=True), hum)
    assert AudioModel.build(ModelConfig("magnitude", CFG, TINY), hum).kinds == ("hum",)


# ------------------------------------------------------------ generation by kind


def test_generate_by_kind_returns_seeded_audio(model):
    waves = model.generate(3, kind="queen_toot", seed=1)
    assert waves.shape == (3, N_SAMPLES) and waves.dtype == np.float32
    assert np.isfinite(waves).all() and np.abs(waves).max() > 0
    np.testing.assert_array_equal(waves, model.generate(3, kind="queen_toot", seed=1))
    assert not np.allclose(waves, model.generate(3, kind="hiss", seed=1))


def test_one_kind_per_clip_labels_each_clip(model):
    z = model.prior_latents(2, seed=1)
    mixed = model.decode(z, ["queen_toot", "hiss"])
    np.testing.assert_allclose(mixed[0], model.decode(z, "queen_toot")[0], atol=1e-5)
    np.testing.assert_allclose(mixed[1], model.decode(z, "hiss")[1], atol=1e-5)
    intended = model.intended_magnitudes(z, ["hum", "hiss"])
    assert intended.shape == (2, 128, 32)
    np.testing.assert_allclose(intended[1], model.intended_magnitudes(z, "hiss")[1],
                               rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------ the kind check


def test_the_classifier_hears_the_model_band(model, corpus, classifier):
    assert isinstance(classifier, KindClassifier) and classifier.is_fitted
    assert sorted(classifier.classes_) == sorted(KINDS)
    # up to the top of the 128-bin crop: 127 x 15.625 Hz + half a bin
    assert classifier.fmax == pytest.approx(1992.19, abs=0.01)
    real = conditional.model_band_real(model, corpus, "test")
    assert real.shape == (3, N_SAMPLES)


def test_evaluate_conditional_reports_both_accuracies(model, corpus, classifier):
    out, waves = conditional.evaluate_conditional(model, corpus, classifier, n_per_kind=2,
                                                  return_waves=True)
    assert out["n_real"] == 3 and out["n_generated"] == 6
    assert waves["generated"].shape == (6, N_SAMPLES)
    assert waves["real"].shape == (3, N_SAMPLES)
    assert waves["asked"] == ["hum", "hum", "queen_toot", "queen_toot", "hiss", "hiss"]
    # every kind is asked as a user asks it: generate(n, kind, seed), the
    # latents from the kind's own mixture of the prior
    np.testing.assert_allclose(waves["generated"][4:], model.generate(2, "hiss", 0), atol=1e-5)
    z = model.prior_latents(2, seed=0, kind="hiss")
    np.testing.assert_allclose(waves["generated"][4:], model.decode(z, "hiss"), atol=1e-5)
    assert out["chance"] == pytest.approx(1 / 3)
    for key in ("real_accuracy", "gen_accuracy", "real_top_probability",
                "gen_top_probability"):
        assert 0.0 <= out[key] <= 1.0, key
    assert out["real_top_probability"] >= 1 / 3 and out["gen_top_probability"] >= 1 / 3
    assert set(out["gen_per_kind"]) == set(out["real_per_kind"]) == set(KINDS)
    assert set(out["gen_confusion"]) == set(KINDS)
    assert sum(sum(row.values()) for row in out["gen_confusion"].values()) == 6
    assert all(sum(row.values()) == 2 for row in out["gen_confusion"].values())
    assert 1.0 <= out["gen_distinct_kinds_per_z"] <= 3.0
    # without a classifier it fits the same one itself
    again = conditional.evaluate_conditional(model, corpus, n_per_kind=2)
    for key in ("real_accuracy", "gen_accuracy", "gen_confusion", "real_top_probability"):
        assert again[key] == out[key], key


def test_evaluate_conditional_refuses_an_unconditional_model(plain, corpus):
    with pytest.raises(ValueError, match="conditioned on kind"):
        conditional.evaluate_conditional(plain, corpus)


def test_evaluate_model_asks_a_conditional_model_for_every_kind(model, corpus):
    out, waves = evaluate_model(model, corpus, n_generated=6, seed=0, return_waves=True)
    assert out["n_generated"] == 6 and out["n_test"] == 3
    assert out["train_steps"] == 6 and out["nonfinite_steps"] == 0
    for key in ("recon_lsd_db", "recon_sc_db", "consistency_sc_db", "fd_ratio"):
        assert np.isfinite(out[key]), key
    # the prior samples cycle through the kinds in equal numbers
    asked = list(KINDS) * 2  # each from its kind's mixture of the prior
    expected = model.decode(model.prior_latents(6, seed=0, kind=asked), asked)
    np.testing.assert_allclose(waves["generated"], lowpass_reference(expected, CFG),
                               atol=1e-5)
    # held-out clips are reconstructed with their own kinds
    recon = model.reconstruct(corpus.waves("test"), corpus.labels("test"))
    np.testing.assert_allclose(waves["recon"], lowpass_reference(recon, CFG), atol=1e-5)
