"""Loss functions against hand computations on small numbers."""

import math

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from beeutils.models import losses  # noqa: E402

LOG2 = math.log(2.0)


def value(x) -> float:
    return float(np.asarray(x))


# ------------------------------------------------------------------- KL


def test_kl_of_standard_normal_is_zero():
    z = np.zeros((4, 3), np.float32)
    assert value(losses.kl_divergence(z, z)) == pytest.approx(0.0, abs=1e-7)


def test_kl_known_values_sum_over_latent_mean_over_batch():
    z_mean = np.array([[1.0, 2.0], [0.0, 0.0]], np.float32)
    z_log_var = np.array([[0.0, 1.0], [0.0, 0.0]], np.float32)
    # first example: -0.5 * [(1 + 0 - 1 - 1) + (1 + 1 - 4 - e)] = 0.5 * (3 + e)
    expected = 0.5 * (0.5 * (3.0 + math.e) + 0.0)
    assert value(losses.kl_divergence(z_mean, z_log_var)) == pytest.approx(expected, rel=1e-6)


def test_kl_overflows_without_clamp_and_is_finite_with_it():
    z_mean = np.zeros((1, 1), np.float32)
    z_log_var = np.full((1, 1), 100.0, np.float32)  # exp(100) > float32 max
    assert np.isinf(value(losses.kl_divergence(z_mean, z_log_var)))
    clamped = value(losses.kl_divergence(z_mean, z_log_var, clamp=10.0))
    assert clamped == pytest.approx(0.5 * (math.exp(10.0) - 11.0), rel=1e-5)
    low_high = value(losses.kl_divergence(z_mean, -z_log_var, clamp=(-5.0, 5.0)))
    assert low_high == pytest.approx(-0.5 * (1.0 - 5.0 - math.exp(-5.0)), rel=1e-5)


# ------------------------------------------------------- feature matching


def test_feature_matching_mean_and_sum():
    real = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    fake = np.zeros_like(real)
    assert value(losses.feature_matching(real, fake)) == pytest.approx(7.5)
    # per example 1 + 4 = 5 and 9 + 16 = 25, mean 15
    assert value(losses.feature_matching(real, fake, reduction="sum")) == pytest.approx(15.0)
    feats = np.random.default_rng(0).normal(size=(2, 3, 3, 4)).astype(np.float32)
    assert value(losses.feature_matching(feats, feats)) == 0.0
    with pytest.raises(ValueError):
        losses.feature_matching(real, fake, reduction="max")


# ------------------------------------------------------------------ GAN


def test_gan_losses_at_undecided_discriminator():
    zero = np.zeros((5, 1), np.float32)
    # D = 0.5 everywhere: each term is log 2
    assert value(losses.gan_discriminator_loss(zero, zero)) == pytest.approx(2 * LOG2, rel=1e-6)
    assert value(losses.gan_discriminator_loss(zero, [zero, zero])) == pytest.approx(
        3 * LOG2, rel=1e-6)
    assert value(losses.gan_generator_loss(zero)) == pytest.approx(LOG2, rel=1e-6)
    assert value(losses.gan_generator_loss([zero, zero])) == pytest.approx(2 * LOG2, rel=1e-6)


def test_generator_loss_is_non_saturating():
    # D sure the fake is fake (logit -20): -log(sigmoid(-20)) ~ 20, not ~0 as
    # log(1 - D) would give; the gradient stays near -1 per example.
    fake = tf.constant([[-20.0]])
    with tf.GradientTape() as tape:
        tape.watch(fake)
        loss = losses.gan_generator_loss(fake)
    assert value(loss) == pytest.approx(20.0, rel=1e-6)
    assert value(tape.gradient(loss, fake)[0, 0]) == pytest.approx(-1.0, abs=1e-6)


def test_discriminator_loss_known_value():
    real = np.array([[2.0]], np.float32)
    fake = np.array([[-1.0]], np.float32)
    expected = math.log1p(math.exp(-2.0)) + math.log1p(math.exp(-1.0))
    assert value(losses.gan_discriminator_loss(real, [fake])) == pytest.approx(expected, rel=1e-6)
    # The naive probability form agrees where nothing saturates.
    naive = losses.gan_discriminator_loss(real, [fake], from_logits=False)
    assert value(naive) == pytest.approx(expected, rel=1e-5)


def test_naive_gan_loss_hits_log_zero_and_clipping_fixes_it():
    saturated = np.array([[100.0]], np.float32)  # sigmoid(100) == 1.0 in float32
    assert np.isinf(value(losses.gan_discriminator_loss(saturated, [saturated],
                                                        from_logits=False)))
    assert np.isinf(value(losses.gan_generator_loss(-saturated, from_logits=False)))
    clipped = value(losses.gan_discriminator_loss(saturated, [saturated], from_logits=False,
                                                  prob_clip=1e-4))
    assert np.isfinite(clipped) and clipped == pytest.approx(-math.log(1e-4), rel=1e-3)
    stable = value(losses.gan_discriminator_loss(saturated, [saturated]))
    assert stable == pytest.approx(100.0, rel=1e-6)


# --------------------------------------------------------------- pixels


def test_binary_crossentropy_pixels_known_values():
    x = np.array([[1.0, 0.0], [1.0, 1.0]], np.float32)
    p = np.array([[0.5, 0.5], [0.9, 0.9]], np.float32)
    expected = 0.5 * (2 * LOG2 + 2 * -math.log(0.9))
    assert value(losses.binary_crossentropy_pixels(x, p)) == pytest.approx(expected, rel=1e-5)
    # image-shaped input: summed over (h, w, c), averaged over the batch
    img = np.full((3, 4, 4, 1), 0.5, np.float32)
    assert value(losses.binary_crossentropy_pixels(img, img)) == pytest.approx(
        16 * LOG2, rel=1e-5)


def test_binary_crossentropy_is_unbounded_below_for_targets_above_one():
    x = np.array([[50.0]], np.float32)  # a raw STFT magnitude, not a probability
    loss = value(losses.binary_crossentropy_pixels(x, np.array([[0.999]], np.float32)))
    assert loss < -100.0  # "better than perfect": the optimiser runs off to -inf


def test_mse_pixels():
    x = np.array([[1.0, 2.0], [0.0, 0.0]], np.float32)
    y = np.zeros_like(x)
    assert value(losses.mse_pixels(x, y)) == pytest.approx(2.5)
    assert value(losses.mse_pixels(x, y, reduction="mean")) == pytest.approx(1.25)
    with pytest.raises(ValueError):
        losses.mse_pixels(x, y, reduction="median")


# ---------------------------------------------------------- MR-STFT loss


def _tone(n: int = 4096, f: float = 440.0, sr: int = 16000) -> np.ndarray:
    t = np.arange(n) / sr
    return (0.5 * np.sin(2 * np.pi * f * t)).astype(np.float32)


def test_mr_stft_zero_for_identical_and_positive_otherwise():
    a = np.stack([_tone(), _tone(f=300.0)])
    assert value(losses.multi_resolution_stft_loss(a, a)) == 0.0
    b = np.stack([_tone(f=450.0), _tone(f=300.0) * 0.5])
    different = value(losses.multi_resolution_stft_loss(a, b))
    assert different > 0.1
    # 1-D input is one example
    assert value(losses.multi_resolution_stft_loss(a[0], b[0])) > 0.1
    # a closer signal is closer
    near = value(losses.multi_resolution_stft_loss(a, a * 0.9))
    assert 0.0 < near < different


def test_mr_stft_is_the_mean_over_resolutions_of_librosas_terms():
    import librosa

    rng = np.random.default_rng(3)
    a = rng.standard_normal((2, 4096)).astype(np.float32) * 0.1
    b = (a + 0.05 * rng.standard_normal(a.shape)).astype(np.float32)
    expected = []
    for n_fft, overlap in ((512, 0.75), (128, 0.75)):
        hop = int(n_fft * (1 - overlap))
        mags = [np.sqrt(np.abs(librosa.stft(x, n_fft=n_fft, hop_length=hop, window="hann",
                                            center=True, pad_mode="constant")) ** 2 + 1e-8)
                for x in (a, b)]
        sc = (np.linalg.norm(mags[0] - mags[1], axis=(-2, -1))
              / np.linalg.norm(mags[0], axis=(-2, -1)))
        log_l1 = np.mean(np.abs(np.log(mags[0]) - np.log(mags[1])), axis=(-2, -1))
        expected.append(np.mean(sc + log_l1))
    got = value(losses.multi_resolution_stft_loss(a, b, fft_sizes=(512, 128), overlap=0.75))
    assert got == pytest.approx(np.mean(expected), rel=1e-4)


def test_mr_stft_gradient_finite_at_zero_signal():
    target = tf.constant(_tone(2048)[None])
    for y_true in (target, tf.zeros_like(target)):
        pred = tf.Variable(tf.zeros_like(target))
        with tf.GradientTape() as tape:
            loss = losses.multi_resolution_stft_loss(y_true, pred, fft_sizes=(512, 128))
        grad = tape.gradient(loss, pred)
        assert np.isfinite(value(loss))
        assert np.all(np.isfinite(grad.numpy()))
    # identical zero signals: loss 0 and gradient 0, not NaN
    assert np.all(grad.numpy() == 0.0)


def test_mr_stft_rejects_bad_overlap():
    with pytest.raises(ValueError):
        losses.multi_resolution_stft_loss(_tone(), _tone(), overlap=1.0)


# ------------------------------------------------------------ modulation


def test_modulation_distance_asks_for_rates_not_times():
    # A bin pulsing 8 times per clip against the same pulses moved in time,
    # against a level that never moves (the mean a squared error settles on).
    t = np.arange(64)
    pulses = np.where(np.sin(2 * np.pi * 8 * t / 64) > 0, 1.0, -1.0)
    x = np.tile(pulses, (2, 3, 1))[..., None].astype(np.float32)      # (2, 3, 64, 1)
    moved = np.roll(x, 3, axis=2)
    flat = np.zeros_like(x)
    assert value(losses.modulation_distance(x, moved)) < 1e-3
    assert value(losses.modulation_distance(x, flat)) > 100.0
    assert value(losses.mse_pixels(x, moved)) > value(losses.mse_pixels(x, flat))
    # The mean level is the pixel loss's business, not this one's.
    assert value(losses.modulation_distance(x, x + 0.5)) < 1e-3
    # Only channel 0 counts; the others (say an IF channel) do not enter.
    other = np.concatenate([x, np.random.default_rng(0).standard_normal(x.shape)], -1)
    assert value(losses.modulation_distance(other, np.concatenate([x, flat], -1))) < 1e-3
