"""The kind classifier on a small synthetic corpus: it must tell the eight kinds
apart on held-out clips, and fall to chance when the labels carry no information."""

import numpy as np
import pytest

from beeutils.models import classify
from beeutils.data import datasets
from beeutils.data.synth import KINDS


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    # 8 kinds x 8 clips of 1.024 s: 4 train, 2 validation, 2 test of each kind.
    return datasets.make_corpus(clips_per_kind=8, duration=1.024, seed=5,
                                splits=(0.5, 0.25, 0.25),
                                root=tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def splits(corpus):
    held_out = np.concatenate([corpus.waves("validation"), corpus.waves("test")])
    return (corpus.waves("train"), np.array(corpus.labels("train")),
            held_out, np.array(corpus.labels("validation") + corpus.labels("test")))


@pytest.fixture(scope="module")
def fitted(splits):
    train, labels, _, _ = splits
    return classify.KindClassifier(seed=0).fit(train, labels)


def test_held_out_accuracy_is_high(fitted, splits):
    _, _, held_out, held_labels = splits
    assert len(held_labels) == 32 and set(held_labels) == set(KINDS)
    # measured 0.94 (30 of 32); chance is 1/8
    assert fitted.score(held_out, held_labels) >= 0.8


def test_shuffled_labels_give_chance_accuracy(splits):
    train, labels, held_out, held_labels = splits
    scores = [classify.KindClassifier().fit(train, np.random.default_rng(s).permutation(labels))
              .score(held_out, held_labels) for s in range(3)]
    # measured 0.16, 0.06, 0.06 against a chance level of 0.125
    assert np.mean(scores) < 0.3


def test_predictions_are_kind_names_and_deterministic(fitted, splits):
    train, labels, held_out, _ = splits
    assert list(fitted.classes_) == sorted(KINDS)
    predicted = fitted.predict(held_out[:5])
    assert predicted.shape == (5,) and set(predicted) <= set(KINDS)
    proba = fitted.predict_proba(held_out[:5])
    assert proba.shape == (5, len(KINDS))
    np.testing.assert_allclose(proba.sum(1), 1.0)
    np.testing.assert_array_equal(fitted.classes_[proba.argmax(1)], predicted)
    again = classify.KindClassifier(seed=0).fit(train, labels)
    np.testing.assert_array_equal(again.predict_proba(held_out[:5]), proba)


def test_features_with_and_without_fine_bands(splits):
    waves = splits[0][:3]
    assert classify.clip_features(waves).shape == (3, 140)
    fine = classify.clip_features(waves, fmax=2000.0, n_mels=32)
    assert fine.shape == (3, 140 + 3 * 32) and np.isfinite(fine).all()
    clf = classify.KindClassifier(fmax=2000.0).fit(splits[0], splits[1])
    assert clf.score(splits[2], splits[3]) >= 0.8


def test_conditional_accuracy_counts(fitted, splits):
    _, _, held_out, held_labels = splits
    result = classify.conditional_accuracy(fitted, held_out, held_labels)
    assert result["n"] == 32
    assert result["accuracy"] == pytest.approx(fitted.score(held_out, held_labels))
    assert set(result["per_kind"]) == set(KINDS)
    counts = np.array([[row[p] for p in fitted.classes_] for row in result["confusion"].values()])
    assert counts.sum() == 32 and (counts.sum(1) == 4).all()
    diagonal = sum(result["confusion"][k][k] for k in result["confusion"])
    assert diagonal == round(result["accuracy"] * 32)
    # asking for the wrong kind of every clip: accuracy collapses
    wrong = np.roll(np.array(sorted(KINDS)), 1)[np.searchsorted(sorted(KINDS), held_labels)]
    assert classify.conditional_accuracy(fitted, held_out, wrong)["accuracy"] <= 0.1


def test_bad_use_raises(fitted, splits):
    train, labels, held_out, _ = splits
    with pytest.raises(RuntimeError, match="not fitted"):
        classify.KindClassifier().predict(train[:2])
    with pytest.raises(ValueError, match="two kinds"):
        classify.KindClassifier().fit(train[:3], ["hum"] * 3)
    with pytest.raises(ValueError, match="labels"):
        classify.KindClassifier().fit(train[:3], labels[:2])
    with pytest.raises(ValueError, match="does not know"):
        classify.conditional_accuracy(fitted, held_out[:2], ["hum", "bumblebee"])
    with pytest.raises(ValueError, match="asked kinds"):
        classify.conditional_accuracy(fitted, held_out[:2], ["hum"])
