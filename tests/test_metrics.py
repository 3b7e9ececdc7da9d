"""Each metric against a hand computation on tiny arrays."""

import numpy as np
import pytest
from scipy.signal import butter, sosfilt

from beeutils.evaluation import metrics
from beeutils.dsp.spectral import STFTConfig, stft

SR = 16000


def harmonic_tone(f0: float, seconds: float = 1.0, n_harmonics: int = 6,
                  seed: int = 0) -> np.ndarray:
    """A harmonic tone with 1/h partials at random phases, peak 0.5."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(SR * seconds)) / SR
    wave = sum(np.sin(2 * np.pi * f0 * h * t + rng.uniform(0, 6.3)) / h
               for h in range(1, n_harmonics + 1))
    return (0.5 * wave / np.abs(wave).max()).astype(np.float32)


# ------------------------------------------------------------ reconstruction


def test_spectral_convergence_of_scaled_copy():
    s = np.random.default_rng(0).uniform(0.1, 2.0, size=(5, 7))
    assert metrics.spectral_convergence(s, 0.9 * s) == pytest.approx(0.1)
    assert metrics.spectral_convergence_db(s, 0.9 * s) == pytest.approx(-20.0)
    assert metrics.spectral_convergence(s, s) == 0.0
    # batched: one value per item
    batch = np.stack([s, s])
    out = metrics.spectral_convergence(batch, np.stack([0.9 * s, 0.5 * s]))
    np.testing.assert_allclose(out, [0.1, 0.5])
    # silence against silence is perfect, not NaN
    assert metrics.spectral_convergence(np.zeros((3, 3)), np.zeros((3, 3))) == 0.0


def test_spectral_convergence_wave_of_exact_and_scaled():
    cfg = STFTConfig()
    wave = harmonic_tone(220.0, seconds=0.5)
    target = np.abs(stft(wave, cfg))
    assert metrics.spectral_convergence_wave(target, wave, cfg) < -60
    scaled = metrics.spectral_convergence_wave(target, 0.9 * wave, cfg)
    assert scaled == pytest.approx(-20, abs=0.01)
    # cropped targets compare on the kept bins and frames
    cropped = target[: cfg.n_freq_keep, :10]
    scaled = metrics.spectral_convergence_wave(cropped, 0.9 * wave, cfg)
    assert scaled == pytest.approx(-20, abs=0.01)


def test_log_spectral_distance_of_constant_ratio():
    s = np.random.default_rng(1).uniform(0.1, 2.0, size=(4, 6))
    lsd = metrics.log_spectral_distance(s, 2.0 * s)
    assert lsd == pytest.approx(20 * np.log10(2.0), rel=1e-9)  # 6.02 dB
    assert metrics.log_spectral_distance(s, s) == 0.0
    # silent bins are floored at eps (-100 dB), not -inf
    zero = np.zeros_like(s)
    assert np.isfinite(metrics.log_spectral_distance(s, zero))


def test_log_spectral_distance_is_rms_over_frequency_then_mean_over_time():
    ref = np.ones((2, 2))
    est = np.array([[10.0, 1.0], [1.0, 1.0]])  # frame 0: 20 dB off in one of 2 bins
    expected = (np.sqrt((20.0**2 + 0.0) / 2) + 0.0) / 2
    assert metrics.log_spectral_distance(ref, est) == pytest.approx(expected)


def test_multi_resolution_stft_distance():
    wave = harmonic_tone(220.0)
    same = metrics.multi_resolution_stft_distance(wave, wave, SR)
    assert same == pytest.approx(0.0, abs=1e-9)
    parts = metrics.multi_resolution_stft_distance(wave, 0.5 * wave, SR, return_parts=True)
    assert len(parts["per_resolution"]) == 3
    # SC of a half-scaled copy is 0.5; the log-magnitude term is ln 2 where the
    # spectrum is above the 1e-7 power floor, less where it is not.
    assert parts["sc"] == pytest.approx(0.5, abs=1e-3)
    assert 0 < parts["log_mag"] <= np.log(2.0) + 1e-6
    assert parts["total"] == pytest.approx(parts["sc"] + parts["log_mag"])
    noisy = wave + 0.1 * np.random.default_rng(0).standard_normal(wave.shape).astype(np.float32)
    assert metrics.multi_resolution_stft_distance(wave, noisy, SR) > parts["total"] * 0.1
    batch = np.stack([wave, wave])
    batched = metrics.multi_resolution_stft_distance(batch, 0.5 * batch, SR)
    assert batched == pytest.approx(parts["total"])


def test_snr_db():
    ref = np.array([1.0, -1.0, 1.0, -1.0])
    assert metrics.snr_db(ref, 0.9 * ref) == pytest.approx(20.0)  # error is 0.1 of amplitude
    assert metrics.snr_db(ref, ref) == np.inf
    batched = metrics.snr_db(np.stack([ref, ref]), np.stack([0.9 * ref, 0.99 * ref]))
    np.testing.assert_allclose(batched, [20.0, 40.0])


# -------------------------------------------------------------- set metrics


def test_feature_embedding_shape_and_sensitivity():
    waves = np.stack([harmonic_tone(220.0, seed=0), harmonic_tone(220.0, seed=1),
                      harmonic_tone(440.0, seed=0)])
    feats = metrics.feature_embedding(waves, SR)
    assert feats.shape == (3, 2 * 40 + 3 * 20)
    assert np.all(np.isfinite(feats))
    same = np.linalg.norm(feats[0] - feats[1])
    other = np.linalg.norm(feats[0] - feats[2])
    assert other > 5 * same
    assert metrics.feature_embedding(waves[0], SR).shape == (1, 140)
    assert np.all(np.isfinite(metrics.feature_embedding(np.zeros((1, SR), np.float32), SR)))


def test_frechet_distance_identical_and_shifted_gaussians():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((500, 3))
    assert metrics.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    shift = np.array([1.0, 2.0, 0.0])
    assert metrics.frechet_distance(a, a + shift) == pytest.approx(5.0, rel=1e-6)  # |shift|^2
    # Doubling one dimension: sqrt(C_a C_b) = C_a D with D = diag(2, 1, 1), so the
    # trace term is var_0 * (1 - 2)^2; the sample mean doubles too (mean_0^2).
    b = a.copy()
    b[:, 0] *= 2.0
    expected = np.var(a[:, 0], ddof=1) * (2.0 - 1.0) ** 2 + a[:, 0].mean() ** 2
    assert metrics.frechet_distance(a, b) == pytest.approx(expected, rel=1e-9)


def test_frechet_distance_near_singular_covariance_stays_finite():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 20))  # fewer clips than dimensions
    b = rng.standard_normal((6, 20)) + 1.0
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the singular product is handled, not reported
        value = metrics.frechet_distance(a, b)
    assert np.isfinite(value) and value > 0


def test_kernel_mmd_same_vs_different():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((200, 4))
    a2 = rng.standard_normal((200, 4))
    far = rng.standard_normal((200, 4)) + 2.0
    for kernel in ("polynomial", "rbf"):
        same = metrics.kernel_mmd(a, a2, kernel=kernel)
        diff = metrics.kernel_mmd(a, far, kernel=kernel)
        assert abs(same) < 0.05 * diff, kernel
        assert diff > 0
    with pytest.raises(ValueError):
        metrics.kernel_mmd(a, far, kernel="linear")


def test_kernel_mmd_hand_computation():
    # 1-D, polynomial degree 1, gamma 1, coef0 0: k(x, y) = x y.
    a = np.array([[1.0], [2.0]])
    b = np.array([[0.0], [1.0]])
    # unbiased: (2*1*2)/2 + (2*0*1)/2 - 2 * mean([0, 1, 0, 2]) = 2 + 0 - 1.5
    assert metrics.kernel_mmd(a, b, degree=1, gamma=1.0, coef0=0.0) == pytest.approx(0.5)


def test_ndb_same_distribution_small_disjoint_all_bins():
    rng = np.random.default_rng(0)
    train = rng.standard_normal((1000, 2))
    same = rng.standard_normal((1000, 2))
    disjoint = rng.standard_normal((1000, 2)) + 50.0
    ndb, k, ratio = metrics.ndb_k(train, same, k=10, seed=0)
    assert k == 10 and ndb <= 3 and ratio == ndb / k
    ndb, k, ratio = metrics.ndb_k(train, disjoint, k=10, seed=0)
    assert ndb == 10 and ratio == 1.0


# -------------------------------------------------------------------- pitch


def test_fundamental_frequency_of_220_hz_tone():
    f0 = metrics.fundamental_frequency(harmonic_tone(220.0), SR)
    assert f0 == pytest.approx(220.0, abs=2.0)
    two = np.stack([harmonic_tone(220.0), harmonic_tone(330.0)])
    np.testing.assert_allclose(metrics.fundamental_frequency(two, SR), [220.0, 330.0], atol=2.0)
    assert np.isnan(metrics.fundamental_frequency(np.zeros(SR, np.float32), SR))


def test_fundamental_frequency_ignores_silent_gaps():
    tone = harmonic_tone(250.0)
    # two seconds of faint hiss after one second of tone
    hiss = 1e-4 * np.random.default_rng(0).standard_normal(2 * SR).astype(np.float32)
    gapped = np.concatenate([tone, hiss])
    assert metrics.fundamental_frequency(gapped, SR) == pytest.approx(250.0, abs=2.0)
    # without the loudness gate the pauses outvote the tone
    ungated = metrics.fundamental_frequency(gapped, SR, quiet_db=-1000.0)
    assert abs(ungated - 250.0) > 2.0


def test_f0_distribution_distance():
    a = np.array([200.0, 210.0, 220.0, np.nan])
    out = metrics.f0_distribution_distance(a, a + 30.0)
    assert out["wasserstein_hz"] == pytest.approx(30.0)
    assert out["median_a_hz"] == pytest.approx(210.0)
    assert out["median_diff_hz"] == pytest.approx(30.0)
    assert out["n_a"] == 3
    assert metrics.f0_distribution_distance(a, a)["wasserstein_hz"] == 0.0
    with pytest.raises(ValueError):
        metrics.f0_distribution_distance([np.nan], a)


def test_feature_embedding_fmax_ignores_content_above_the_band():
    sr = 16000
    t = np.arange(sr // 2) / sr
    tone = 0.3 * np.sin(2 * np.pi * 440 * t)
    hiss = 1e-4 * np.random.default_rng(0).standard_normal(t.size)
    hiss_high = np.fft.irfft(np.fft.rfft(hiss) * (np.fft.rfftfreq(t.size, 1 / sr) > 4000),
                             t.size)
    a = metrics.feature_embedding(tone, sr, fmax=2000.0)
    b = metrics.feature_embedding(tone + hiss_high, sr, fmax=2000.0)
    full_a = metrics.feature_embedding(tone, sr)
    full_b = metrics.feature_embedding(tone + hiss_high, sr)
    assert a.shape == full_a.shape == (1, 140)
    # Faint hiss above 4 kHz moves the full-band features by tens of dB ...
    assert np.max(np.abs(full_a - full_b)) > 10
    # ... and leaves the band-limited ones nearly untouched.
    assert np.max(np.abs(a - b)) < 1


def test_band_energy_share_matches_the_energy_of_two_tones():
    sr, n = 16000, 16000
    t = np.arange(n) / sr
    low, high = 0.6 * np.sin(2 * np.pi * 1000 * t), 0.3 * np.sin(2 * np.pi * 5000 * t)
    share = metrics.band_energy_share(np.stack([low + high, low, high]), sr, fmax=2000.0)
    # Energy of a sine is amplitude^2 / 2: 0.18 below 2 kHz, 0.045 above.
    np.testing.assert_allclose(share, [0.18 / 0.225, 1.0, 0.0], atol=1e-9)
    # Parseval: the share of the whole band is one, in any band split.
    noise = np.random.default_rng(0).standard_normal(4097)
    whole = metrics.band_energy_share(noise, sr, fmax=sr / 2)
    below = metrics.band_energy_share(noise, sr, fmax=3000.0)
    above = metrics.band_energy_share(noise, sr, fmin=3000.0 + sr / 4097 / 2, fmax=sr / 2)
    assert whole == pytest.approx(1.0)
    assert below + above == pytest.approx(1.0)


def test_band_energy_share_of_silence_is_nan_and_bad_bands_are_refused():
    assert np.isnan(metrics.band_energy_share(np.zeros(64), 16000, 2000.0))
    with pytest.raises(ValueError, match="fmin"):
        metrics.band_energy_share(np.ones(64), 16000, fmax=100.0, fmin=200.0)


def test_strongest_peak_finds_the_loudest_line_in_the_band():
    sr = 16000
    t = np.arange(sr) / sr
    # a hum whose 2nd harmonic is the loudest line, and a louder line above 1 kHz
    wave = (0.3 * np.sin(2 * np.pi * 225 * t) + 0.5 * np.sin(2 * np.pi * 450 * t)
            + 0.9 * np.sin(2 * np.pi * 1500 * t))
    peaks = metrics.strongest_peak_hz(np.stack([wave, np.zeros(sr)]), sr)
    assert peaks[0] == pytest.approx(450, abs=2)
    assert np.isnan(peaks[1])
    assert peaks.shape == (2,) and metrics.strongest_peak_hz(wave, sr).shape == ()


def test_strongest_peak_is_a_line_not_the_slope_of_rumble():
    sr = 16000
    t = np.arange(2 * sr) / sr
    # Rumble: white noise through a 4th-order low-pass at 40 Hz, with a weak
    # 240 Hz line.  Smoothed, the spectrum's maximum in 100-1000 Hz is the
    # rumble's slope at the band's lower edge; the line is the only line.
    rumble = sosfilt(butter(4, 40, fs=sr, output="sos"),
                     np.random.default_rng(0).standard_normal(len(t)))
    wave = rumble + 0.01 * np.std(rumble) * np.sin(2 * np.pi * 240 * t)
    freqs = np.fft.rfftfreq(len(t), 1 / sr)
    smooth = np.convolve(np.abs(np.fft.rfft(wave)) ** 2, np.ones(10) / 10, mode="same")
    band = (freqs >= 100) & (freqs <= 1000)
    assert freqs[band][np.argmax(smooth[band])] < 110  # the plain maximum: the edge
    assert metrics.strongest_peak_hz(wave, sr) == pytest.approx(240, abs=3)
    assert np.isnan(metrics.strongest_peak_hz(rumble, sr))
    # A lower bar for prominence lets ripples of the rumble count as lines.
    assert metrics.strongest_peak_hz(rumble, sr, prominence_db=0.1) < 1000


def test_mean_pairwise_distance_of_a_repeated_set_is_zero():
    same = np.tile([[1.0, 2.0, 3.0]], (4, 1))
    assert metrics.mean_pairwise_distance(same) == 0.0
    pts = np.array([[0.0, 0.0], [3.0, 4.0]])
    assert metrics.mean_pairwise_distance(pts) == pytest.approx(5.0)
    with pytest.raises(ValueError):
        metrics.mean_pairwise_distance(np.zeros((1, 3)))


def test_pulse_count_counts_pulses_and_not_the_oscillation():
    sr = 16000
    t = np.arange(sr * 2) / sr
    tone = np.sin(2 * np.pi * 350 * t)
    gate = (np.floor(t / 0.1) % 2 == 0) & (t < 1.0)          # 5 pulses of 100 ms, then quiet
    clips = np.stack([tone * gate, tone, 0 * tone, tone * (1 - 0.25 * np.sin(2 * np.pi * t))])
    np.testing.assert_array_equal(metrics.pulse_count(clips, sr), [5, 1, 0, 1])
    assert metrics.pulse_count(tone * gate, sr) == 5                    # one clip: a number
    assert metrics.pulse_count(clips.reshape(2, 2, -1), sr).shape == (2, 2)
    # A synthetic quack: as many pulses as the synthesiser laid out.
    from beeutils.data import synth

    wave, info = synth.synthesize("queen_quack", sr=sr, seed=3)
    assert abs(int(metrics.pulse_count(wave, sr)) - len(info["pulses"])) <= 1
    assert len(info["pulses"]) >= 4
    with pytest.raises(ValueError):
        metrics.pulse_count(tone[:100], sr)
    with pytest.raises(ValueError):
        metrics.pulse_count(tone, sr, threshold_db=3.0)
