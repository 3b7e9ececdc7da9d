"""Latent priors: N(0, I) and a Gaussian mixture fitted to a model's codes
(``beeutils.models.priors``), alone and inside an ``AudioModel``."""

import json

import numpy as np
import pytest

from beeutils.data import datasets
from beeutils.dsp.spectral import STFTConfig
from beeutils.evaluation.evaluate import evaluate_model
from beeutils.models.audio_model import AudioModel, ModelFileError
from beeutils.models.configs import ModelConfig, VAEGANConfig
from beeutils.models.priors import (
    GaussianMixturePrior,
    StandardNormalPrior,
    default_components,
    prior_from_dict,
)

DIM = 6
#: Four tight clusters far from each other and from the origin, two per kind.
CENTRES = 3.0 * np.eye(DIM)[:4] - 1.5 * np.eye(DIM)[2:6]
KIND_OF_CENTRE = ("a", "a", "b", "b")


def clustered(n_per=40, spread=0.1, seed=0):
    rng = np.random.default_rng(seed)
    z = np.concatenate([c + spread * rng.standard_normal((n_per, DIM)) for c in CENTRES])
    labels = [k for k in KIND_OF_CENTRE for _ in range(n_per)]
    return z.astype(np.float32), labels


def nearest(z):
    """Index of and distance to the nearest cluster centre of each row."""
    d = np.linalg.norm(z[:, None, :] - CENTRES[None], axis=-1)
    return d.argmin(1), d.min(1)


@pytest.mark.parametrize("covariance_type", ["diag", "full"])
def test_mixture_samples_land_on_the_clusters(covariance_type):
    z, _ = clustered()
    gmm = GaussianMixturePrior.fit(z, n_components=4, covariance_type=covariance_type, seed=0)
    normal = StandardNormalPrior(DIM)
    g, n = gmm.sample(2000, seed=1), normal.sample(2000, seed=1)
    assert g.shape == (2000, DIM) and g.dtype == np.float32
    # 0.1 spread in 6-d: ~0.25 from the centre; N(0, I) lies between clusters.
    assert nearest(g)[1].mean() < 0.4 < 2.0 < nearest(n)[1].mean()
    # every cluster gets its quarter
    share = np.bincount(nearest(g)[0], minlength=4) / 2000
    np.testing.assert_allclose(share, 0.25, atol=0.05)


def test_sampling_is_seeded_and_the_normal_prior_is_numpys():
    z, _ = clustered()
    gmm = GaussianMixturePrior.fit(z, seed=0)
    np.testing.assert_array_equal(gmm.sample(5, seed=3), gmm.sample(5, seed=3))
    assert not np.array_equal(gmm.sample(5, seed=3), gmm.sample(5, seed=4))
    np.testing.assert_array_equal(
        StandardNormalPrior(DIM).sample(5, seed=3),
        np.random.default_rng(3).standard_normal((5, DIM)).astype(np.float32))
    assert gmm.sample(0).shape == (0, DIM)
    # the fit itself is seeded
    assert GaussianMixturePrior.fit(z, seed=0) == gmm


def test_json_round_trip_is_exact():
    z, labels = clustered()
    for prior in (StandardNormalPrior(DIM), GaussianMixturePrior.fit(z, seed=0),
                  GaussianMixturePrior.fit(z, labels, covariance_type="full", seed=0)):
        d = prior.to_dict()
        again = prior_from_dict(json.loads(json.dumps(d)))
        assert type(again) is type(prior) and again.to_dict() == d
        kinds = ["b", "a"] * 4 if getattr(prior, "per_kind", False) else None
        np.testing.assert_array_equal(again.sample(8, seed=2, kinds=kinds),
                                      prior.sample(8, seed=2, kinds=kinds))


def test_per_kind_priors_draw_from_their_kind():
    z, labels = clustered()
    prior = GaussianMixturePrior.fit(z, labels, seed=0)
    assert prior.per_kind and prior.kinds == ("a", "b")
    assert prior.kind_weights == {"a": 0.5, "b": 0.5}
    kinds = ["a", "b"] * 200
    which, dist = nearest(prior.sample(400, seed=0, kinds=kinds))
    assert dist.max() < 1.0
    assert [KIND_OF_CENTRE[i] for i in which] == kinds
    # without kinds: all kinds together, in their shares
    pooled = [KIND_OF_CENTRE[i] for i in nearest(prior.sample(1000, seed=0))[0]]
    assert 0.4 < pooled.count("a") / 1000 < 0.6
    # held-out codes are likelier under their own kind's mixture
    held, held_labels = clustered(n_per=5, seed=9)
    own = prior.log_likelihood(held, held_labels)
    other = prior.log_likelihood(held, ["b" if k == "a" else "a" for k in held_labels])
    assert np.all(own > other)


def test_bad_input_raises():
    z, labels = clustered(n_per=3)
    with pytest.raises(ValueError, match=r"\(n, latent_dim\)"):
        GaussianMixturePrior.fit(z[0])
    with pytest.raises(ValueError, match="NaN or inf"):
        GaussianMixturePrior.fit(np.full((4, DIM), np.nan))
    with pytest.raises(ValueError, match="at least 2"):
        GaussianMixturePrior.fit(z[:1])
    with pytest.raises(ValueError, match="kind 'c'"):
        GaussianMixturePrior.fit(z[:7], labels[:6] + ["c"])
    with pytest.raises(ValueError, match="11 labels for 12"):
        GaussianMixturePrior.fit(z, labels[:-1])
    with pytest.raises(ValueError, match="covariance_type"):
        GaussianMixturePrior.fit(z, covariance_type="tied")
    with pytest.raises(ValueError, match="n_components"):
        GaussianMixturePrior.fit(z, n_components=0)
    prior = GaussianMixturePrior.fit(z, labels, seed=0)
    with pytest.raises(ValueError, match="no mixture for kind"):
        prior.sample(2, kinds=["a", "tuba"])
    with pytest.raises(ValueError, match="1 kinds for 2 clips"):
        prior.sample(2, kinds=["a"])
    with pytest.raises(TypeError, match="not a string"):
        prior.sample(2, kinds="a")
    with pytest.raises(ValueError, match="a count"):
        prior.sample(-1)
    with pytest.raises(ValueError, match="unknown prior type"):
        prior_from_dict({"type": "flow"})
    with pytest.raises(ValueError, match="malformed"):
        prior_from_dict({"type": "gmm", "kinds": None})
    bad = prior.to_dict()
    bad["mixtures"][0]["weights"] = [-1.0] * len(bad["mixtures"][0]["weights"])
    with pytest.raises(ValueError, match="weights"):
        prior_from_dict(bad)


def test_component_counts():
    assert [default_components(n) for n in (2, 9, 10, 49, 50, 500)] == [1, 1, 2, 9, 10, 10]
    z, _ = clustered(n_per=1)
    # never more components than codes
    assert len(GaussianMixturePrior.fit(z, n_components=10).mixtures[None].weights) == 4


# ------------------------------------------------------------ inside a model

CFG = STFTConfig(n_frames=32)
TINY = VAEGANConfig(latent_dim=4, widths=(4, 8), encoder_widths=(4, 8), disc_widths=(4,),
                    dense_units=16)
KINDS = ("hum", "queen_toot", "nobee")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return datasets.make_corpus(kinds=KINDS, clips_per_kind=5, duration=0.512, seed=0,
                                root=tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def models(corpus):
    out = {}
    for conditional in (False, True):
        model = AudioModel.build(ModelConfig("magnitude", CFG, TINY, conditional), corpus,
                                 seed=0)
        assert isinstance(model.prior, StandardNormalPrior)  # a fresh model
        model.train(corpus, epochs=1, batch_size=4, verbose=0)
        out[conditional] = model
    return out


def test_training_fits_the_mixture_to_the_training_codes(models, corpus):
    plain, cond = models[False], models[True]
    assert isinstance(plain.prior, GaussianMixturePrior) and not plain.prior.per_kind
    assert cond.prior.per_kind and cond.prior.kinds == KINDS
    z = plain.encode(corpus.waves("train"))
    again = GaussianMixturePrior.fit(z, seed=0)
    assert again == plain.prior
    np.testing.assert_array_equal(plain.prior_latents(3, seed=1, prior="gmm"),
                                  again.sample(3, seed=1))
    np.testing.assert_array_equal(plain.prior_latents(3, seed=1, prior="normal"),
                                  StandardNormalPrior(4).sample(3, seed=1))
    np.testing.assert_array_equal(cond.prior_latents(3, seed=1, kind="hum"),
                                  cond.prior.sample(3, seed=1, kinds=["hum"] * 3))
    with pytest.raises(ValueError, match="unknown prior"):
        plain.prior_latents(2, prior="flow")
    with pytest.raises(ValueError, match="without kinds"):
        plain.prior_latents(2, kind="hum")


def test_gmm_before_fitting_is_refused(corpus):
    fresh = AudioModel.build(ModelConfig("magnitude", CFG, TINY), corpus, seed=0)
    with pytest.raises(ValueError, match="no fitted mixture prior"):
        fresh.prior_latents(2, prior="gmm")


def test_evaluate_model_takes_the_prior(models, corpus):
    model = models[True]
    kinds = [KINDS[i % 3] for i in range(6)]
    for prior in ("normal", "gmm"):
        out, waves = evaluate_model(model, corpus, n_generated=6, prior=prior,
                                    return_waves=True)
        assert out["n_generated"] == 6 and np.isfinite(out["fd_ratio"])
        expected = model.generate(6, kinds, seed=0, prior=prior)
        from beeutils.dsp.spectral import lowpass_reference

        np.testing.assert_allclose(waves["generated"], lowpass_reference(expected, CFG),
                                   atol=1e-5)


def test_saved_and_loaded_model_generates_the_same_clips(models, tmp_path):
    for conditional, model in models.items():
        path = model.save(tmp_path / f"m{int(conditional)}")
        assert json.loads(path.with_suffix(".json").read_text())["prior"] == \
            model.prior.to_dict()
        loaded = AudioModel.load(path)
        assert loaded.prior.to_dict() == model.prior.to_dict()
        kind = "queen_toot" if conditional else None
        np.testing.assert_array_equal(loaded.generate(3, kind, seed=5),
                                      model.generate(3, kind, seed=5))


def test_files_without_a_prior_load_with_the_standard_normal(models, tmp_path):
    path = models[False].save(tmp_path / "old")
    desc_path = path.with_suffix(".json")
    desc = json.loads(desc_path.read_text())
    del desc["prior"]
    desc_path.write_text(json.dumps(desc))
    assert AudioModel.load(path).prior == StandardNormalPrior(4)
    desc["prior"] = {"type": "gmm", "kinds": None}
    desc_path.write_text(json.dumps(desc))
    with pytest.raises(ModelFileError, match="bad prior"):
        AudioModel.load(path)
