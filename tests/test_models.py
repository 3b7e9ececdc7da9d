"""Layers, builders and the VAEGAN model, on tiny models and random data."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from beeutils import layers as blayers  # noqa: E402
from beeutils import models  # noqa: E402

TINY = {"widths": (4, 8)}
LATENT = 3


def tiny_vaegan(shape, seed=0, **options):
    keras.utils.set_random_seed(seed)
    enc = models.build_encoder(shape, LATENT, dense_units=8, **TINY)
    dec = models.build_decoder(shape, LATENT, **TINY)
    disc = models.build_discriminator(shape, **TINY)
    return models.VAEGAN(enc, dec, disc, seed=seed, **options)


def images(n, shape, seed=0):
    return np.random.default_rng(seed).random((n, *shape)).astype(np.float32)


# ------------------------------------------------------------------ layers


def test_fit_to_shape_pads_and_crops():
    x = np.arange(2 * 5 * 6 * 1, dtype=np.float32).reshape(2, 5, 6, 1)
    cropped = np.asarray(blayers.fit_to_shape(x, (3, 4)))
    np.testing.assert_array_equal(cropped, x[:, 1:4, 1:5])  # centred crop
    padded = np.asarray(blayers.fit_to_shape(x, (8, 7)))
    assert padded.shape == (2, 8, 7, 1)
    np.testing.assert_array_equal(padded[:, 1:6, 0:6], x)  # 3 rows: 1 before, 2 after
    assert padded[:, 0].sum() == 0 and padded[:, 6:].sum() == 0
    start = np.asarray(blayers.fit_to_shape(x, (3, 8), align="start"))
    np.testing.assert_array_equal(start[:, :, :6], x[:, :3])
    layer = blayers.PadCrop((3, 4))
    assert layer.compute_output_shape((None, 5, 6, 2)) == (None, 3, 4, 2)
    with pytest.raises(ValueError):
        blayers.PadCrop((3, 4), align="middle")


def test_sampling_statistics_seed_and_clamp():
    mu = np.full((20000, 2), 3.0, np.float32)
    log_var = np.full((20000, 2), np.log(4.0), np.float32)  # sigma 2
    z = np.asarray(blayers.Sampling(seed=1)([mu, log_var]))
    assert abs(z.mean() - 3.0) < 0.05 and abs(z.std() - 2.0) < 0.05
    again = np.asarray(blayers.Sampling(seed=1)([mu, log_var]))
    np.testing.assert_array_equal(z, again)
    huge = np.full((1, 2), 400.0, np.float32)
    assert np.isinf(np.asarray(blayers.Sampling(seed=0)([mu[:1], huge]))).all()
    clamped = np.asarray(blayers.Sampling(seed=0, log_var_clamp=10.0)([mu[:1], huge]))
    assert np.isfinite(clamped).all()


def test_leaky_relu_matches_keras():
    x = np.linspace(-3, 3, 13, dtype=np.float32)
    ours = np.asarray(blayers.LeakyReLU(0.2)(x))
    np.testing.assert_allclose(ours, np.asarray(keras.layers.LeakyReLU(0.2)(x)), rtol=1e-6)


# ---------------------------------------------------------------- builders


@pytest.mark.parametrize("shape", [(28, 28, 1), (128, 128, 1), (128, 128, 2), (30, 17, 3)])
def test_builders_shapes(shape):
    enc = models.build_encoder(shape, 5, widths=(4, 8), dense_units=8)
    dec = models.build_decoder(shape, 5, widths=(4, 8, 8))
    disc = models.build_discriminator(shape, widths=(4, 8), feature_block=0)
    assert [tuple(o.shape) for o in enc.outputs] == [(None, 5), (None, 5)]
    assert tuple(dec.output.shape) == (None, *shape)
    features, logits = disc.outputs
    assert tuple(logits.shape) == (None, 1)
    # block 0 halves each side (rounded up) and has 4 channels
    assert tuple(features.shape) == (None, -(-shape[0] // 2), -(-shape[1] // 2), 4)
    x = images(2, shape)
    assert dec(enc(x)[0]).shape == (2, *shape)


def test_decoder_output_activation_ranges():
    shape = (12, 12, 2)
    z = np.random.default_rng(0).normal(size=(4, 2)).astype(np.float32) * 10
    for activation, low, high in (("sigmoid", 0, 1), ("tanh", -1, 1)):
        out = np.asarray(models.build_decoder(shape, 2, widths=(4,),
                                              output_activation=activation)(z))
        assert out.min() >= low and out.max() <= high


def test_builders_reject_bad_shapes():
    with pytest.raises(ValueError):
        models.build_encoder((28, 28), 2)
    with pytest.raises(ValueError):
        models.build_discriminator((28, 28, 1), widths=())


# ------------------------------------------------------------------- model


@pytest.fixture(scope="module")
def trained():
    """A tiny 1-channel VAE-GAN after 20 training steps, and its data."""
    shape = (28, 28, 1)
    x = images(80, shape)
    model = tiny_vaegan(shape, pixel_loss="bce", pixel_weight=0.5)
    model.compile()
    history = model.fit(x, batch_size=4, epochs=1, verbose=0, shuffle=False)
    return model, x, history.history


def test_twenty_steps_stay_finite_and_report_every_tracker(trained):
    model, _, history = trained
    expected = set(models.LOSS_TERMS) | set(models.GRAD_NORMS)
    assert expected <= set(history)
    for name in expected:
        assert np.isfinite(history[name]).all(), name
    assert int(model.enc_optimizer.iterations.numpy()) == 20
    assert int(model.disc_optimizer.iterations.numpy()) == 20
    for name in models.GRAD_NORMS:
        assert history[name][0] > 0.0, f"{name}: no gradient reached this part"
    assert history["pixel"][0] > 0.0


def test_two_channel_training_finite():
    shape = (16, 20, 2)
    model = tiny_vaegan(shape, pixel_loss="mse")
    model.compile()
    history = model.fit(images(40, shape), batch_size=2, epochs=1, verbose=0).history
    assert model.dec_optimizer.iterations.numpy() == 20
    assert all(np.isfinite(v).all() for v in history.values())
    assert model.reconstruct(images(3, shape)).shape == (3, *shape)


def test_evaluate_reports_loss_terms(trained):
    model, x, _ = trained
    result = model.evaluate(x[:8], batch_size=4, verbose=0, return_dict=True)
    assert set(models.LOSS_TERMS) <= set(result)
    assert all(np.isfinite(v) for v in result.values())


def test_encode_reconstruct_sample(trained):
    model, x, _ = trained
    z_mean, z_log_var = model.encode(x[:5])
    assert z_mean.shape == z_log_var.shape == (5, LATENT)
    recon = model.reconstruct(x[:5])
    assert recon.shape == (5, 28, 28, 1)
    assert recon.min() >= 0.0 and recon.max() <= 1.0
    np.testing.assert_array_equal(recon, model.reconstruct(x[:5]))  # deterministic
    assert model.sample(6).shape == (6, 28, 28, 1)
    np.testing.assert_array_equal(model.sample(4, seed=3), model.sample(4, seed=3))
    assert not np.array_equal(model.sample(4, seed=3), model.sample(4, seed=4))
    assert not np.array_equal(model.sample(4), model.sample(4))  # fresh noise each call


# Keras's own weight saving converts TensorFlow tensors with np.array(copy=False),
# which NumPy 2 flags; nothing in beeutils is involved.
@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_save_load_round_trip(trained, tmp_path):
    model, x, _ = trained
    path = tmp_path / "vaegan.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, models.VAEGAN)
    for a, b in zip(model.encode(x[:6]), loaded.encode(x[:6])):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(model.reconstruct(x[:6]), loaded.reconstruct(x[:6]))
    np.testing.assert_array_equal(model.sample(3, seed=1), loaded.sample(3, seed=1))
    assert loaded.pixel_loss == "bce" and loaded.pixel_weight == 0.5
    assert loaded.log_var_clamp == model.log_var_clamp
    # the optimisers come back with their state and keep training
    assert isinstance(loaded.disc_optimizer, keras.optimizers.Adam)
    assert int(loaded.enc_optimizer.iterations.numpy()) == 20
    np.testing.assert_allclose(
        [v.numpy() for v in loaded.dec_optimizer.variables[-2:]],
        [v.numpy() for v in model.dec_optimizer.variables[-2:]])
    history = loaded.fit(x[:8], batch_size=4, epochs=1, verbose=0).history
    assert np.isfinite(history["total"]).all()


def test_naive_options_reproduce_non_finite_losses():
    """The switches notebook 03 relies on: naive exp(log_var) and log(sigmoid)."""
    shape = (16, 16, 1)
    x = images(4, shape) * 1e5  # unnormalised, raw-magnitude-like inputs
    naive = tiny_vaegan(shape, log_var_clamp=None, gan_from_logits=False)
    terms = {k: float(v) for k, v in naive.compute_losses(x).items()}
    assert not np.isfinite(terms["kl"])  # exp of a huge log-variance overflows
    assert not np.isfinite(terms["disc"])  # log(0) on a saturated discriminator
    assert not np.isfinite(terms["total"])
    fixed = tiny_vaegan(shape, log_var_clamp=10.0, gan_from_logits=True)
    terms = {k: float(v) for k, v in fixed.compute_losses(x).items()}
    assert np.isfinite(terms["kl"]) and np.isfinite(terms["disc"])


def test_bad_options_raise():
    with pytest.raises(ValueError):
        tiny_vaegan((8, 8, 1), pixel_loss="l1")
    with pytest.raises(ValueError):
        tiny_vaegan((8, 8, 1), feature_reduction="max")
