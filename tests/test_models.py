"""Layers, builders and the VAEGAN model, on tiny models and random data."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from beeutils.models import layers as blayers  # noqa: E402
from beeutils.models import vaegan  # noqa: E402

TINY = {"widths": (4, 8)}
LATENT = 3


def tiny_vaegan(shape, seed=0, **options):
    keras.utils.set_random_seed(seed)
    enc = vaegan.build_encoder(shape, LATENT, dense_units=8, **TINY)
    dec = vaegan.build_decoder(shape, LATENT, **TINY)
    disc = vaegan.build_discriminator(shape, **TINY)
    return vaegan.VAEGAN(enc, dec, disc, seed=seed, **options)


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
    enc = vaegan.build_encoder(shape, 5, widths=(4, 8), dense_units=8)
    dec = vaegan.build_decoder(shape, 5, widths=(4, 8, 8))
    disc = vaegan.build_discriminator(shape, widths=(4, 8), feature_block=0)
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
        out = np.asarray(vaegan.build_decoder(shape, 2, widths=(4,),
                                              output_activation=activation)(z))
        assert out.min() >= low and out.max() <= high


def test_builders_reject_bad_shapes():
    with pytest.raises(ValueError):
        vaegan.build_encoder((28, 28), 2)
    with pytest.raises(ValueError):
        vaegan.build_discriminator((28, 28, 1), widths=())


# ------------------------------------------------------------------- model


@pytest.fixture(scope="module")
def trained():
    """A tiny 1-channel VAE-GAN after 20 training steps, and its data."""
    shape = (28, 28, 1)
    x = images(80, shape)
    model = tiny_vaegan(shape, pixel_loss="bce", pixel_weight=0.5, modulation_weight=0.01)
    model.compile()
    history = model.fit(x, batch_size=4, epochs=1, verbose=0, shuffle=False)
    return model, x, history.history


def test_twenty_steps_stay_finite_and_report_every_tracker(trained):
    model, _, history = trained
    expected = set(vaegan.LOSS_TERMS) | set(vaegan.GRAD_NORMS)
    assert expected <= set(history)
    for name in expected:
        assert np.isfinite(history[name]).all(), name
    assert int(model.enc_optimizer.iterations.numpy()) == 20
    assert int(model.disc_optimizer.iterations.numpy()) == 20
    for name in vaegan.GRAD_NORMS:
        assert history[name][0] > 0.0, f"{name}: no gradient reached this part"
    assert history["pixel"][0] > 0.0 and history["modulation"][0] > 0.0


def test_weight_averaging_ends_training_with_the_average_in_place():
    shape = (16, 20, 1)
    momentum = 0.8

    class Recorder(keras.callbacks.Callback):
        """The decoder's weights after every step, and at the end of fit."""

        def __init__(self):
            super().__init__()
            self.steps, self.at_end = [], None

        def on_train_batch_end(self, batch, logs=None):
            self.steps.append([v.numpy().copy() for v in self.model.decoder.trainable_variables])

        def on_train_end(self, logs=None):
            self.at_end = [v.numpy().copy() for v in self.model.decoder.trainable_variables]

    model = tiny_vaegan(shape, pixel_loss="mse")
    model.compile(vaegan._default_optimizer(1e-3, momentum),
                  vaegan._default_optimizer(1e-3, momentum), vaegan._default_optimizer(1e-4))
    recorder = Recorder()
    model.fit(images(12, shape), batch_size=2, epochs=1, verbose=0, shuffle=False,
              callbacks=[recorder])
    # the average, step by step (the first step starts it at the weights)
    average = recorder.steps[0]
    for weights in recorder.steps[1:]:
        average = [momentum * a + (1 - momentum) * w for a, w in zip(average, weights)]
    final = [v.numpy() for v in model.decoder.trainable_variables]
    for got, want, raw in zip(final, average, recorder.at_end):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    assert any(not np.allclose(got, raw) for got, raw in zip(final, recorder.at_end))
    # without it, fit leaves the last step's weights
    plain = tiny_vaegan(shape, pixel_loss="mse")
    plain.compile()
    recorder = Recorder()
    plain.fit(images(12, shape), batch_size=2, epochs=1, verbose=0, shuffle=False,
              callbacks=[recorder])
    for got, raw in zip(plain.decoder.trainable_variables, recorder.at_end):
        np.testing.assert_array_equal(got.numpy(), raw)
    with pytest.raises(ValueError, match="ema_momentum"):
        vaegan._default_optimizer(1e-3, 1.0)


def test_the_network_setting_turns_averaging_on_for_encoder_and_decoder(tmp_path):
    from beeutils.models.configs import VAEGANConfig

    small = dict(latent_dim=LATENT, widths=(4, 8), encoder_widths=(4, 8), disc_widths=(4, 8),
                 dense_units=8)
    assert VAEGANConfig().ema_momentum == 0.0
    plain = vaegan.build_vaegan((16, 20, 1), VAEGANConfig(**small))
    assert not any(o.use_ema for o in (plain.enc_optimizer, plain.dec_optimizer,
                                       plain.disc_optimizer))
    model = vaegan.build_vaegan((16, 20, 1), VAEGANConfig(**small, ema_momentum=0.9))
    for optimizer in (model.enc_optimizer, model.dec_optimizer):
        assert optimizer.use_ema and optimizer.ema_momentum == pytest.approx(0.9)
    assert not model.disc_optimizer.use_ema  # the critic is not what generates
    path = tmp_path / "averaged.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.dec_optimizer.use_ema and loaded.dec_optimizer.ema_momentum == pytest.approx(0.9)


def test_two_channel_training_finite():
    shape = (16, 20, 2)
    model = tiny_vaegan(shape, pixel_loss="mse")
    model.compile()
    history = model.fit(images(40, shape), batch_size=2, epochs=1, verbose=0).history
    assert model.dec_optimizer.iterations.numpy() == 20
    assert all(np.isfinite(v).all() for v in history.values())
    assert model.reconstruct(images(3, shape)).shape == (3, *shape)
    assert np.all(np.asarray(history["modulation"]) == 0.0)   # weight 0: not computed


def test_evaluate_reports_loss_terms(trained):
    model, x, _ = trained
    result = model.evaluate(x[:8], batch_size=4, verbose=0, return_dict=True)
    assert set(vaegan.LOSS_TERMS) <= set(result)
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
    assert isinstance(loaded, vaegan.VAEGAN)
    for a, b in zip(model.encode(x[:6]), loaded.encode(x[:6])):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(model.reconstruct(x[:6]), loaded.reconstruct(x[:6]))
    np.testing.assert_array_equal(model.sample(3, seed=1), loaded.sample(3, seed=1))
    assert loaded.pixel_loss == "bce" and loaded.pixel_weight == 0.5
    assert loaded.modulation_weight == 0.01
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
    """The switches notebooks 03 and 04 rely on: naive exp(log_var) and log(sigmoid)."""
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


def test_mnist_vaegan_is_notebook_01s_model_for_any_shape():
    """The port of notebooks 03 and 04: the same seed gives the same weights,
    the naive options pass through, the output is a sigmoid."""
    shape = (16, 16, 1)
    a = vaegan.build_mnist_vaegan(shape, seed=3, pixel_loss="bce", log_var_clamp=None,
                                  gan_from_logits=False)
    b = vaegan.build_mnist_vaegan(shape, seed=3)
    assert all(np.array_equal(u, v) for u, v in zip(a.get_weights(), b.get_weights()))
    assert a.pixel_loss == "bce" and a.log_var_clamp is None and a.latent_dim == 8
    assert a.gamma == 0.3 and a.pixel_weight == 0.2
    assert float(a.disc_optimizer.learning_rate) == pytest.approx(2e-4)
    out = a.decoder(np.random.default_rng(0).standard_normal((2, 8)).astype(np.float32))
    assert out.shape == (2, *shape) and 0 <= float(np.min(out)) <= float(np.max(out)) <= 1


def test_bad_options_raise():
    with pytest.raises(ValueError):
        tiny_vaegan((8, 8, 1), pixel_loss="l1")
    with pytest.raises(ValueError):
        tiny_vaegan((8, 8, 1), feature_reduction="max")


# ------------------------------------------------------------ conditioning

N_CLASSES = 3
COND_SHAPE = (32, 32, 1)


def tiny_conditional(shape=COND_SHAPE, n_classes=N_CLASSES, seed=0, **options):
    keras.utils.set_random_seed(seed)
    enc = vaegan.build_encoder(shape, LATENT, dense_units=8, n_classes=n_classes, **TINY)
    dec = vaegan.build_decoder(shape, LATENT, output_activation="tanh", n_classes=n_classes,
                               **TINY)
    disc = vaegan.build_discriminator(shape, n_classes=n_classes, **TINY)
    return vaegan.VAEGAN(enc, dec, disc, seed=seed, n_classes=n_classes,
                         pixel_loss="mse", **options)


def labelled(n, shape=COND_SHAPE, n_classes=N_CLASSES, seed=0):
    x = images(n, shape, seed) * 2 - 1
    ids = np.arange(n) % n_classes
    return x, ids, np.eye(n_classes, dtype=np.float32)[ids]


def test_conditional_builders_take_a_label_input():
    enc = vaegan.build_encoder(COND_SHAPE, 5, widths=(4, 8), dense_units=8, n_classes=4)
    dec = vaegan.build_decoder(COND_SHAPE, 5, widths=(4, 8), n_classes=4)
    disc = vaegan.build_discriminator(COND_SHAPE, widths=(4, 8), n_classes=4)
    for part, first in ((enc, COND_SHAPE), (dec, (5,)), (disc, COND_SHAPE)):
        assert [tuple(i.shape[1:]) for i in part.inputs] == [first, (4,)]
        assert vaegan.label_width(part) == 4
    assert [tuple(o.shape) for o in enc.outputs] == [(None, 5), (None, 5)]
    assert tuple(dec.output.shape) == (None, *COND_SHAPE)
    # features, real-vs-fake logit, and the auxiliary classifier's kind logits
    assert [tuple(o.shape) for o in disc.outputs] == [(None, 8, 8, 8), (None, 1), (None, 4)]
    # n_classes=0 keeps the single-input parts exactly as before
    plain = vaegan.build_decoder(COND_SHAPE, 5, widths=(4, 8))
    assert len(plain.inputs) == 1 and vaegan.label_width(plain) == 0
    assert (plain.count_params() + 4 * 16 * 4 * 8  # the label's rows of the Dense layer
            == dec.count_params())
    with pytest.raises(ValueError):
        vaegan.build_encoder(COND_SHAPE, 5, n_classes=1)


def test_the_label_changes_decoder_and_discriminator_outputs():
    model = tiny_conditional()
    z = np.random.default_rng(0).normal(size=(4, LATENT)).astype(np.float32)
    a = model.decode(z, labels=[0, 0, 0, 0])
    b = model.decode(z, labels=np.full(4, 2))
    assert a.shape == (4, *COND_SHAPE)
    assert np.abs(a - b).max() > 1e-4  # same z, other kind: other output
    np.testing.assert_array_equal(a, model.decode(z, labels=np.eye(3)[[0, 0, 0, 0]]))
    x, _, _ = labelled(4)
    logits = [np.asarray(model.discriminator([x, np.eye(3, dtype=np.float32)[[k] * 4]])[1])
              for k in (0, 1)]
    assert np.abs(logits[0] - logits[1]).max() > 1e-6  # the projection term
    # the same latents with the same seed, whatever the kinds asked
    s0, s2 = model.sample(3, seed=5, labels=0), model.sample(3, seed=5, labels=2)
    assert not np.allclose(s0, s2)
    np.testing.assert_array_equal(s0, model.sample(3, seed=5, labels=[0, 0, 0]))


@pytest.fixture(scope="module")
def cond_trained():
    """A tiny conditional VAE-GAN after 3 steps of fit(x, onehot), and its data."""
    model = tiny_conditional(seed=1)
    model.compile()
    x, ids, onehot = labelled(12)
    history = model.fit(x, onehot, batch_size=4, epochs=1, verbose=0, shuffle=False).history
    return model, x, ids, onehot, history


def check_finite_history(history):
    for name in set(vaegan.LOSS_TERMS) | set(vaegan.GRAD_NORMS):
        assert np.isfinite(history[name]).all(), name


def test_conditional_training_steps_are_finite(cond_trained):
    model, x, ids, onehot, history = cond_trained
    check_finite_history(history)
    assert int(model.dec_optimizer.iterations.numpy()) == 3
    assert history["disc_grad_norm"][0] > 0.0
    # the weights that read the one-hot moved away from the same seed's initial ones
    fresh = tiny_conditional(seed=1)
    label_weights = {
        "discriminator": lambda m: m.discriminator.get_layer("label_embedding").get_weights()[0],
        "decoder": lambda m: m.decoder.get_layer("project").get_weights()[0][-N_CLASSES:],
    }
    for name, get in label_weights.items():
        assert not np.allclose(get(fresh), get(model)), name
    result = model.evaluate(x, onehot, batch_size=4, verbose=0, return_dict=True)
    assert np.isfinite(result["total"])
    assert model.reconstruct(x[:5], ids[:5]).shape == (5, *COND_SHAPE)


@pytest.mark.parametrize("form", ["tuple", "ids"])
def test_conditional_fit_accepts_a_pair_or_class_ids(form):
    model = tiny_conditional()
    model.compile()
    x, ids, onehot = labelled(8)
    args = {"tuple": ((x, onehot),), "ids": (x, ids)}[form]
    history = model.fit(*args, batch_size=4, epochs=1, verbose=0).history
    assert int(model.dec_optimizer.iterations.numpy()) == 2
    check_finite_history(history)


def test_conditional_model_needs_labels_and_fit_without_them_fails():
    model = tiny_conditional()
    model.compile()
    x, ids, onehot = labelled(4)
    with pytest.raises(ValueError, match="conditioned on 3 classes"):
        model.fit(x, batch_size=4, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="conditioned on 3 classes"):
        model.compute_losses(x)
    terms = model.compute_losses(x, onehot)
    assert np.isfinite(float(terms["total"]))
    np.testing.assert_array_equal(model([x, onehot]), model.reconstruct(x, onehot))


def test_labels_validation():
    model = tiny_conditional()
    x, ids, onehot = labelled(4)
    with pytest.raises(ValueError, match="conditioned on 3 classes"):
        model.sample(4)
    with pytest.raises(ValueError, match="conditioned on 3 classes"):
        model.reconstruct(x)
    with pytest.raises(ValueError, match="3 columns"):
        model.sample(4, labels=np.eye(4, dtype=np.float32))  # wrong width
    with pytest.raises(ValueError, match="0..2"):
        model.sample(2, labels=[0, 3])  # unknown class id
    with pytest.raises(ValueError, match="3 labels for 4"):
        model.reconstruct(x, ids[:3])
    with pytest.raises(ValueError, match="integer class ids"):
        model.sample(2, labels=[0.5, 1.0])
    with pytest.raises(ValueError, match="kind names"):
        model.sample(1, labels=["hum"])
    with pytest.raises(ValueError, match="unconditional"):
        tiny_vaegan(COND_SHAPE).sample(2, labels=[0, 1])
    # the three parts must agree with n_classes
    enc = vaegan.build_encoder(COND_SHAPE, LATENT, dense_units=8, n_classes=3, **TINY)
    dec = vaegan.build_decoder(COND_SHAPE, LATENT, n_classes=3, **TINY)
    disc = vaegan.build_discriminator(COND_SHAPE, **TINY)
    with pytest.raises(ValueError, match="discriminator takes no labels"):
        vaegan.VAEGAN(enc, dec, disc, n_classes=3)
    with pytest.raises(ValueError, match="encoder takes labels of 3 classes"):
        vaegan.VAEGAN(enc, dec, disc)
    np.testing.assert_array_equal(vaegan.as_onehot(2, 3, n=2), [[0, 0, 1], [0, 0, 1]])


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_conditional_save_load_round_trip(cond_trained, tmp_path):
    model, x, ids, onehot, _ = cond_trained
    path = tmp_path / "conditional.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, vaegan.VAEGAN) and loaded.n_classes == N_CLASSES
    np.testing.assert_array_equal(model.reconstruct(x, ids), loaded.reconstruct(x, ids))
    np.testing.assert_array_equal(model.sample(4, seed=2, labels=[0, 1, 2, 1]),
                                  loaded.sample(4, seed=2, labels=[0, 1, 2, 1]))
    history = loaded.fit(x, onehot, batch_size=4, epochs=1, verbose=0).history
    assert np.isfinite(history["total"]).all()


def test_the_auxiliary_classifier_learns_kinds_and_steers_the_decoder():
    """AC-GAN: with aux_weight the discriminator's kind head is trained on
    real clips (its loss falls) and the decoder's loss carries the kind term;
    with aux_weight 0 neither term exists."""
    import keras

    x, ids, onehot = labelled(24)
    # Kinds that differ in level, so that a few steps can tell them apart.
    x = np.clip(x * 0.1 + (ids[:, None, None, None] - 1) * 0.6, -1, 1).astype(np.float32)
    plain = tiny_conditional(seed=2)
    plain.compile()
    terms = plain.compute_losses(x[:4], onehot[:4])
    assert float(terms["aux_real"]) == 0.0 and float(terms["aux_fake"]) == 0.0

    model = tiny_conditional(seed=2, aux_weight=1.0)
    model.compile(disc_optimizer=keras.optimizers.Adam(1e-2))
    before = float(model.compute_losses(x, onehot)["aux_real"])
    assert before == pytest.approx(np.log(N_CLASSES), rel=0.3)  # near chance at the start
    history = model.fit(x, onehot, batch_size=8, epochs=8, verbose=0, shuffle=False).history
    check_finite_history(history)
    after = float(model.compute_losses(x, onehot)["aux_real"])
    assert after < 0.5 * before
    terms = model.compute_losses(x, onehot)
    assert float(terms["aux_fake"]) > 0.0
    with pytest.raises(ValueError, match="aux_weight"):
        vaegan.VAEGAN(*[vaegan.build_encoder(COND_SHAPE, LATENT, dense_units=8, **TINY),
                        vaegan.build_decoder(COND_SHAPE, LATENT, **TINY),
                        vaegan.build_discriminator(COND_SHAPE, **TINY)], aux_weight=1.0)
