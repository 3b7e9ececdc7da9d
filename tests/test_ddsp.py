"""The differentiable harmonic bank and filtered noise against analytic signals."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from beeutils.dsp import ddsp  # noqa: E402
from beeutils.models import losses  # noqa: E402

SR = 16000
HOP = 128
N = 8192
F = N // HOP
T = np.arange(N) / SR


def snr_db(ref, est):
    return 10 * np.log10(np.sum(ref ** 2) / np.sum((ref - est) ** 2))


def constant(value, *shape):
    return np.full((1, F, *shape), value, np.float32).reshape((1, F, *shape) if shape else (1, F))


def test_bank_equals_an_analytic_sum_of_sinusoids():
    f0, amps, phi = 220.0, np.array([1.0, 0.5, 0.25, 0.2, 0.1]), 0.7
    dist = np.tile(amps / amps.sum(), (1, F, 1)).astype(np.float32)
    out = ddsp.harmonic_bank(constant(f0), constant(amps.sum()), dist, N, HOP, SR,
                             phase0=np.array([phi], np.float32)).numpy()[0]
    ref = sum(a * np.sin(2 * np.pi * k * f0 * T + k * phi) for k, a in enumerate(amps, 1))
    assert snr_db(ref, out) > 100


def test_harmonics_above_nyquist_or_the_top_are_silenced_and_the_rest_renormalised():
    dist = np.tile([0.25, 0.25, 0.25, 0.25], (1, F, 1)).astype(np.float32)
    out = ddsp.harmonic_bank(constant(3000.0), constant(1.0), dist, N, HOP, SR).numpy()[0]
    # 9 and 12 kHz are above Nyquist: the two left share the amplitude.
    ref = 0.5 * np.sin(2 * np.pi * 3000 * T) + 0.5 * np.sin(2 * np.pi * 6000 * T)
    assert snr_db(ref, out) > 80
    top = ddsp.harmonic_bank(constant(3000.0), constant(1.0), dist, N, HOP, SR,
                             max_hz=5000).numpy()[0]
    assert snr_db(np.sin(2 * np.pi * 3000 * T), top) > 80


def test_upsampling_is_linear_between_frame_centres_and_holds_the_end():
    frames = np.array([[0.0, 1.0, 3.0]], np.float32)
    up = ddsp.upsample(frames, 3 * 4, 4).numpy()[0]
    np.testing.assert_allclose(up, [0, .25, .5, .75, 1, 1.5, 2, 2.5, 3, 3, 3, 3])
    with pytest.raises(ValueError, match="fewer than"):
        ddsp.upsample(frames, 13, 4)


def test_no_zipper_noise_on_a_moving_amplitude():
    """A 3 Hz tremolo set per frame: linear upsampling is within -45 dB of the
    smooth analytic signal; holding each frame's value (steps) is not."""
    env = 0.5 + 0.4 * np.sin(2 * np.pi * 3 * np.arange(F) * HOP / SR)
    out = ddsp.harmonic_bank(constant(1000.0), env[None].astype(np.float32),
                             np.ones((1, F, 1), np.float32), N, HOP, SR).numpy()[0]
    ref = (0.5 + 0.4 * np.sin(2 * np.pi * 3 * T)) * np.sin(2 * np.pi * 1000 * T)
    steps = np.repeat(env, HOP)[:N] * np.sin(2 * np.pi * 1000 * T)
    inside = slice(0, (F - 1) * HOP)  # after the last frame the value is held
    assert snr_db(ref[inside], out[inside]) > 45
    assert snr_db(ref[inside], steps[inside]) < snr_db(ref[inside], out[inside]) - 15


def test_phase_is_continuous_through_a_glide():
    f0 = np.linspace(200, 400, F)[None].astype(np.float32)
    out = ddsp.harmonic_bank(f0, constant(1.0), np.ones((1, F, 1), np.float32), N, HOP,
                             SR).numpy()[0]
    # Phase integrated in float64 from the same linearly interpolated f0.
    f_up = np.interp(np.arange(N) / HOP, np.arange(F), f0[0])
    phase = 2 * np.pi * np.concatenate([[0.0], np.cumsum(f_up)[:-1]]) / SR
    assert snr_db(np.sin(phase), out) > 80
    assert np.max(np.abs(np.diff(out))) < 2 * np.pi * 400 / SR * 1.01  # no jumps


def test_bank_matches_a_sample_by_sample_reference_with_every_control_moving():
    """Per-harmonic levels, f0 and amplitude all changing per frame, and a
    length that is not a whole number of frames: the bank equals the sum,
    sample by sample, of each harmonic's linearly interpolated level times
    the sine of its integrated phase."""
    rng = np.random.default_rng(3)
    n, n_harmonics = N - 77, 6
    f0 = np.linspace(150, 450, F)[None].astype(np.float32)
    amp = rng.uniform(0.2, 1.0, (1, F)).astype(np.float32)
    dist = rng.uniform(0.0, 1.0, (1, F, n_harmonics)).astype(np.float32)
    out = ddsp.harmonic_bank(f0, amp, dist, n, HOP, SR).numpy()[0]
    assert out.shape == (n,)
    positions = np.arange(n) / HOP
    f_up = np.interp(positions, np.arange(F), f0[0])
    phase = 2 * np.pi * np.concatenate([[0.0], np.cumsum(f_up)[:-1]]) / SR
    levels = amp[0, :, None] * dist[0] / dist[0].sum(-1, keepdims=True)
    ref = sum(np.interp(positions, np.arange(F), levels[:, k]) * np.sin((k + 1) * phase)
              for k in range(n_harmonics))
    assert snr_db(ref, out) > 80


def test_filtered_noise_follows_the_magnitudes():
    mags = np.zeros((1, F, 65), np.float32)
    mags[..., 10:20] = 1.0  # 1.25-2.5 kHz (125 Hz per band)
    out = ddsp.filtered_noise(mags, N, HOP, seed=1).numpy()[0]
    spec = np.abs(np.fft.rfft(out)) ** 2
    freqs = np.fft.rfftfreq(N, 1 / SR)
    contrast = spec[(freqs > 1400) & (freqs < 2300)].mean() / spec[freqs > 3500].mean()
    assert 10 * np.log10(contrast) > 40
    assert out.shape == (N,)
    np.testing.assert_array_equal(ddsp.filtered_noise(mags * 0, N, HOP, seed=1).numpy(), 0)
    again = ddsp.filtered_noise(mags, N, HOP, seed=1).numpy()[0]
    np.testing.assert_array_equal(out, again)


def test_filtered_noise_is_aligned_in_time():
    # Noise switched on halfway: the output is silent before (up to the
    # filter's half-length of smoothing) and present after.
    mags = np.zeros((1, F, 33), np.float32)
    mags[:, F // 2:] = 1.0
    out = ddsp.filtered_noise(mags, N, HOP, seed=2).numpy()[0]
    half = N // 2
    assert np.sqrt(np.mean(out[: half - HOP - 32] ** 2)) < 1e-6
    assert np.sqrt(np.mean(out[half + 32:] ** 2)) > 0.1


def test_noise_filter_is_linear_phase():
    ir = ddsp.noise_filter_ir(np.random.default_rng(0).random((2, 33)).astype(np.float32))
    ir = ir.numpy()
    np.testing.assert_allclose(ir[:, 1:], ir[:, 1:][:, ::-1], atol=1e-6)  # symmetric about 32


def test_gradients_are_finite_at_zero_amplitude_and_zero_controls():
    amp = tf.Variable(tf.zeros((2, F)))                 # silent harmonics
    logits = tf.Variable(tf.zeros((2, F, 8)))           # uniform distribution
    noise = tf.Variable(tf.zeros((2, F, 33)))           # silent noise
    f0 = tf.Variable(tf.fill((2, F), 200.0))
    target = tf.constant(np.sin(2 * np.pi * 300 * T)[None].repeat(2, 0), tf.float32)
    with tf.GradientTape() as tape:
        audio = (ddsp.harmonic_bank(f0, amp, tf.nn.softmax(logits), N, HOP, SR)
                 + ddsp.filtered_noise(noise, N, HOP, seed=3))
        loss = losses.multi_resolution_stft_loss(target, audio)
    grads = tape.gradient(loss, [amp, logits, noise, f0])
    assert np.isfinite(loss.numpy())
    for g in grads:
        assert np.all(np.isfinite(g.numpy()))
    # Exactly silent output is a flat spot of any magnitude loss (|X| has zero
    # slope at X = 0); a quiet one is not: the loss can raise it.
    amp.assign(tf.fill((2, F), 1e-3))
    noise.assign(tf.fill((2, F, 33), 1e-3))
    with tf.GradientTape() as tape:
        audio = (ddsp.harmonic_bank(f0, amp, tf.nn.softmax(logits), N, HOP, SR)
                 + ddsp.filtered_noise(noise, N, HOP, seed=3))
        loss = losses.multi_resolution_stft_loss(target, audio)
    g_amp, g_noise = (g.numpy() for g in tape.gradient(loss, [amp, noise]))
    assert np.all(np.isfinite(g_amp)) and np.all(np.isfinite(g_noise))
    assert np.mean(g_amp) < 0  # louder is better against a 300 Hz target


def test_exp_sigmoid_is_positive_with_finite_gradients_everywhere():
    x = tf.constant([-1e4, -100.0, 0.0, 100.0, 1e4])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = ddsp.exp_sigmoid(x)
    g = tape.gradient(y, x).numpy()
    assert np.all(y.numpy() > 0) and np.all(np.isfinite(g))
    np.testing.assert_allclose(y.numpy()[2], 2 * 0.5 ** np.log(10) + 1e-7, rtol=1e-6)
    assert y.numpy()[-1] == pytest.approx(2.0, rel=1e-6)
