"""Conditional generation on a tiny corpus: labels, builder, training, generation
by kind and the classifier check, end to end with tiny shapes."""

import numpy as np
import pytest

from beeutils.models import conditional
from beeutils.data import datasets
from beeutils.training import fit
from beeutils.models.classify import KindClassifier
from beeutils.dsp.spectral import STFTConfig

#: 32 bins (0-500 Hz) by 32 frames (0.5 s): a (32, 32, 1) model input.
STFT = STFTConfig(n_fft=1024, hop=256, n_freq_keep=32, n_frames=32)
SHAPE = (32, 32, 1)
KINDS = ("hum", "queen_toot", "hiss")
TINY = {"latent_dim": 4, "widths": (4, 8), "disc_widths": (4, 8), "encoder_widths": (4, 8),
        "dense_units": 16}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    # 4 clips per kind -> 2 train, 1 validation, 1 test of each kind.
    corpus = datasets.make_corpus(kinds=KINDS, clips_per_kind=4, duration=0.6, seed=2,
                                  root=tmp_path_factory.mktemp("corpus"))
    return fit.prepare_magnitude_data(corpus, STFT)


@pytest.fixture(scope="module")
def trained(data):
    onehot = conditional.one_hot_splits(data)
    model = conditional.build_conditional_vaegan(SHAPE, len(KINDS), seed=0, **TINY)
    result = conditional.train_conditional(model, data.x["train"], onehot["train"],
                                           data.x["validation"], onehot["validation"],
                                           epochs=3, batch_size=2, seed=0, verbose=0)
    return model, result


def test_one_hot_from_kind_names_and_ids():
    out = conditional.one_hot(["hiss", "hum", 1], KINDS)
    np.testing.assert_array_equal(out, [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    assert out.dtype == np.float32
    assert conditional.one_hot([], KINDS).shape == (0, 3)
    np.testing.assert_array_equal(conditional.kind_ids(["queen_toot"] * 2, KINDS), [1, 1])
    with pytest.raises(ValueError, match="unknown kind 'bumblebee'"):
        conditional.one_hot(["hum", "bumblebee"], KINDS)
    with pytest.raises(ValueError, match="out of range"):
        conditional.one_hot([3], KINDS)


def test_one_hot_splits_align_with_the_data(data):
    onehot = conditional.one_hot_splits(data)
    assert set(onehot) == set(data.x)
    for split, rows in onehot.items():
        assert rows.shape == (len(data.x[split]), 3)
        assert [KINDS[i] for i in rows.argmax(1)] == data.labels[split]


def test_builder_uses_the_unconditional_defaults():
    model = conditional.build_conditional_vaegan(SHAPE, 3, seed=0, **TINY)
    plain = fit.build_magnitude_vaegan(SHAPE, seed=0, **TINY)
    assert model.n_classes == 3 and plain.n_classes == 0
    skip = {"name", "n_classes", "encoder", "decoder", "discriminator"}
    config, reference = model.get_config(), plain.get_config()
    assert {k: v for k, v in config.items() if k not in skip} == \
        {k: v for k, v in reference.items() if k not in skip}
    for part in ("enc_optimizer", "dec_optimizer", "disc_optimizer"):
        assert float(getattr(model, part).learning_rate) == \
            float(getattr(plain, part).learning_rate)
    for part in ("encoder", "decoder", "discriminator"):
        assert [tuple(o.shape) for o in getattr(model, part).outputs] == \
            [tuple(o.shape) for o in getattr(plain, part).outputs]
    assert model.decoder.output.shape[1:] == SHAPE
    with pytest.raises(TypeError, match="depth"):
        conditional.build_conditional_vaegan(SHAPE, 3, depth=5)


def test_train_conditional_is_finite_and_counts_steps(trained):
    _, result = trained
    assert isinstance(result, fit.TrainResult)
    assert result.finite and result.epochs == 3 and result.steps == 9  # 6 clips, batch 2
    assert np.isfinite(result.history.history["val_total"]).all()
    assert result.seconds > 0


def test_train_conditional_checks_its_labels(data):
    model = conditional.build_conditional_vaegan(SHAPE, 3, seed=0, **TINY)
    onehot = conditional.one_hot_splits(data)
    x = data.x["train"]
    with pytest.raises(ValueError, match=r"must be \(n, 3\)"):
        conditional.train_conditional(model, x, np.eye(4, dtype=np.float32)[:len(x)], epochs=1)
    with pytest.raises(ValueError, match="labels"):
        conditional.train_conditional(model, x, onehot["train"][:-1], epochs=1)
    with pytest.raises(ValueError, match="onehot_val"):
        conditional.train_conditional(model, x, onehot["train"], data.x["validation"], epochs=1)
    plain = fit.build_magnitude_vaegan(SHAPE, seed=0, **TINY)
    with pytest.raises(ValueError, match="conditional VAEGAN"):
        conditional.train_conditional(plain, x, onehot["train"], epochs=1)


def test_generate_by_kind_returns_audio(trained, data):
    model, _ = trained
    waves = conditional.generate_by_kind(model, data.normalizer, STFT, "queen_toot", 3, KINDS,
                                         seed=1, n_iter=4)
    assert waves.shape == (3, 32 * 256) and waves.dtype == np.float32
    assert np.isfinite(waves).all() and np.abs(waves).max() > 0
    again = conditional.generate_by_kind(model, data.normalizer, STFT, "queen_toot", 3, KINDS,
                                         seed=1, n_iter=4)
    np.testing.assert_array_equal(waves, again)
    other = conditional.generate_by_kind(model, data.normalizer, STFT, "hiss", 3, KINDS,
                                         seed=1, n_iter=4)
    assert not np.allclose(waves, other)
    with pytest.raises(ValueError, match="unknown kind"):
        conditional.generate_by_kind(model, data.normalizer, STFT, "bumblebee", 1, KINDS)
    with pytest.raises(ValueError, match="n_classes=3"):
        conditional.generate_by_kind(model, data.normalizer, STFT, "hum", 1, KINDS[:2])


def test_evaluate_conditional_reports_both_accuracies(trained, data):
    model, _ = trained
    classifier = conditional.fit_kind_classifier(data, n_iter=4)
    assert isinstance(classifier, KindClassifier) and classifier.fmax == pytest.approx(492.2, 0.01)
    out, waves = conditional.evaluate_conditional(model, data, classifier, n_per_kind=2,
                                                  n_iter=4, return_waves=True)
    assert out["n_real"] == 3 and out["n_generated"] == 6
    # generated clips are as long as the real ones they are compared with
    assert waves["generated"].shape == (6, waves["real"].shape[1]) == (6, 9600)  # 0.6 s
    assert waves["asked"] == ["hum", "hum", "queen_toot", "queen_toot", "hiss", "hiss"]
    assert out["chance"] == pytest.approx(1 / 3)
    for key in ("real_accuracy", "gen_accuracy", "real_top_probability", "gen_top_probability"):
        assert 0.0 <= out[key] <= 1.0, key
    assert set(out["gen_per_kind"]) == set(KINDS)
    assert sum(sum(row.values()) for row in out["gen_confusion"].values()) == 6
    assert 1.0 <= out["gen_distinct_kinds_per_z"] <= 3.0
