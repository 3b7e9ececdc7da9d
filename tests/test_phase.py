"""Batched TensorFlow Griffin-Lim against librosa, shapes, crops, seeds, silence."""

import numpy as np
import pytest

from beeutils.dsp import phase
from beeutils.evaluation import bench
from beeutils.evaluation.metrics import spectral_convergence_wave
from beeutils.dsp.spectral import STFTConfig, stft, window_array

CFG = STFTConfig()  # n_fft 1024, hop 256, 128 kept bins
N_SAMPLES = 32768


def bee_like_waves(n: int, seed: int = 0) -> np.ndarray:
    """``(n, 32768)`` hum-like clips: the synthetic corpus when present, else a
    harmonic tone with jittered f0, amplitude modulation and noise."""
    try:
        from beeutils.data.synth import synthesize
    except ImportError:
        synthesize = None
    if synthesize is not None:
        return np.stack([synthesize("hum", sr=16000, duration=2.048, seed=seed + i)[0]
                         for i in range(n)]).astype(np.float32)
    rng = np.random.default_rng(seed)
    t = np.arange(N_SAMPLES) / 16000
    waves = []
    for _ in range(n):
        f0 = rng.uniform(200, 260) * (1 + 0.01 * np.sin(2 * np.pi * rng.uniform(2, 6) * t))
        ph = 2 * np.pi * np.cumsum(f0) / 16000
        wave = sum(rng.uniform(0.3, 1) / h * np.sin(h * ph + rng.uniform(0, 6.3))
                   for h in range(1, 9))
        wave = wave * (1 + 0.3 * np.sin(2 * np.pi * rng.uniform(1, 4) * t))
        wave = wave + 0.05 * wave.std() * rng.standard_normal(N_SAMPLES)
        waves.append(0.8 * wave / np.abs(wave).max())
    return np.asarray(waves, dtype=np.float32)


@pytest.fixture(scope="module")
def waves() -> np.ndarray:
    return bee_like_waves(4)


@pytest.fixture(scope="module")
def mags(waves) -> np.ndarray:
    return np.abs(stft(waves, CFG))  # (4, 513, 129)


def test_matches_librosa_quality_at_32_iterations(waves):
    # Same random initial phases for both: one random start to another moves a
    # clip's result by 1-2 dB, which would swamp the comparison on 4 clips.
    result = bench.compare_with_librosa(waves, CFG, n_iter=32, momentum=0.99, seed=0)
    assert result["n_clips"] == 4 and result["same_init"]
    # Griffin-Lim must actually converge on these sounds, ours as well as librosa's.
    assert result["sc_db_librosa"] < -15
    assert result["sc_db_ours"] <= result["sc_db_librosa"] + 0.5
    np.testing.assert_allclose(result["sc_db_ours_per_clip"], result["sc_db_librosa_per_clip"],
                               atol=0.1)
    for key in ("seconds_ours", "seconds_librosa", "speed_ratio"):
        assert result[key] > 0


def test_own_random_start_converges_like_librosa(waves):
    """Our TensorFlow-seeded start reaches librosa's quality band (loose: the
    draw alone moves single clips by a few dB)."""
    result = bench.compare_with_librosa(waves, CFG, n_iter=32, seed=3, same_init=False)
    assert result["sc_db_ours"] < result["sc_db_librosa"] + 3.0
    assert result["sc_db_ours"] < -15


def test_same_algorithm_as_librosa_with_zero_phase_start(mags):
    """With the deterministic zero-phase start both run the identical algorithm."""
    import librosa

    ours = phase.griffin_lim(mags[:2], CFG, n_iter=5, init="zeros", length=N_SAMPLES)
    theirs = np.stack([
        librosa.griffinlim(m, n_iter=5, hop_length=CFG.hop, n_fft=CFG.n_fft,
                           window=window_array(CFG.window, CFG.n_fft), length=N_SAMPLES,
                           init=None, momentum=0.99)
        for m in mags[:2]
    ])
    assert np.max(np.abs(ours - theirs)) < 1e-4 * np.max(np.abs(theirs))


def test_more_iterations_converge_further(mags):
    def sc_db(n_iter: int) -> float:
        wave = phase.griffin_lim(mags[:1], CFG, n_iter=n_iter, seed=1)
        return float(spectral_convergence_wave(mags[:1], wave, CFG)[0])

    few, many = sc_db(2), sc_db(32)
    assert many < few - 5


def test_shapes_and_types_2d_and_3d(mags):
    import tensorflow as tf

    batch = phase.griffin_lim(mags[:2], CFG, n_iter=2, seed=0)
    assert isinstance(batch, np.ndarray) and batch.dtype == np.float32
    assert batch.shape == (2, (mags.shape[-1] - 1) * CFG.hop)
    single = phase.griffin_lim(mags[0], CFG, n_iter=2, seed=0, length=N_SAMPLES + 100)
    assert single.shape == (N_SAMPLES + 100,)
    as_tensor = phase.griffin_lim(tf.constant(mags[:2]), CFG, n_iter=2, seed=0, length=1000)
    assert tf.is_tensor(as_tensor) and tuple(as_tensor.shape) == (2, 1000)


def test_cropped_bins_give_a_low_passed_reconstruction(waves, mags):
    cropped = mags[:2, : CFG.n_freq_keep]  # 0 to 2 kHz
    wave = phase.griffin_lim(cropped, CFG, n_iter=32, seed=0, length=N_SAMPLES)
    assert wave.shape == (2, N_SAMPLES)
    assert np.all(spectral_convergence_wave(cropped, wave, CFG) < -12)
    # Nothing above the kept bins was asked for, so little comes out there.
    full = np.abs(stft(wave, CFG))
    high = np.sum(full[:, CFG.n_freq_keep + 8 :] ** 2)
    assert high < 1e-3 * np.sum(full**2)


def test_cropped_frames_are_accepted(mags):
    cropped = mags[:1, :, :128]  # the model's 128 frames
    wave = phase.griffin_lim(cropped, CFG, n_iter=2, seed=0, length=N_SAMPLES)
    assert wave.shape == (1, N_SAMPLES)


def test_given_initial_phase_and_librosa_spelling_of_zero_phase(waves, mags):
    zero_phase = np.zeros(mags[:2].shape, np.float32)
    given = phase.griffin_lim(mags[:2], CFG, n_iter=3, init=zero_phase)
    zeros = phase.griffin_lim(mags[:2], CFG, n_iter=3, init="zeros")
    none = phase.griffin_lim(mags[:2], CFG, n_iter=3, init=None)
    np.testing.assert_allclose(given, zeros, atol=1e-6)
    np.testing.assert_array_equal(zeros, none)
    # zero iterations with the true phase give the signal back
    true_phase = np.angle(stft(waves[:1], CFG)).astype(np.float32)
    exact = phase.griffin_lim(mags[:1], CFG, n_iter=0, init=true_phase, length=N_SAMPLES)
    np.testing.assert_allclose(exact, waves[:1], atol=1e-4)


def test_seeded_reproducibility(mags):
    a = phase.griffin_lim(mags[:1], CFG, n_iter=3, seed=7)
    b = phase.griffin_lim(mags[:1], CFG, n_iter=3, seed=7)
    c = phase.griffin_lim(mags[:1], CFG, n_iter=3, seed=8)
    np.testing.assert_array_equal(a, b)
    assert np.max(np.abs(a - c)) > 1e-3


def test_parts_of_the_batch_iterate_alone(mags, monkeypatch):
    """The batch is cut into two loops per core: however it is cut (and with
    zero rows padding an uneven cut), every clip comes out exactly as alone."""
    five = np.concatenate([mags, mags[:1]])  # 5 clips
    results = []
    for parts in (1, 2, 3):
        monkeypatch.setattr(phase, "_chunks", lambda n, k=parts: min(k, n))
        results.append(phase.griffin_lim(five, CFG, n_iter=4, seed=3))
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])
    assert results[0].shape == (5, (five.shape[-1] - 1) * CFG.hop)
    assert 1 <= phase._chunks(64) <= 8 and phase._chunks(1) == 1


def test_the_loop_projection_is_stft_of_istft(waves):
    """Inside the loop, one mask stands for trimming the clip and padding it
    again: the projection equals the STFT of the inverse STFT."""
    import tensorflow as tf

    from beeutils.dsp.spectral import tf_istft_time_major, tf_stft_time_major

    rng = np.random.default_rng(0)
    spec = np.abs(stft(waves, CFG)) * np.exp(2j * np.pi * rng.random((len(waves), 513, 129)))
    spec = tf.constant(np.swapaxes(spec, 1, 2).astype(np.complex64))  # (batch, time, freq)
    expected = tf_stft_time_major(tf_istft_time_major(spec, CFG), CFG).numpy()
    got = phase._projection(CFG, 129)(spec).numpy()
    assert got.shape == expected.shape
    assert np.max(np.abs(got - expected)) <= 1e-5 * np.max(np.abs(expected))
    # and it is a projection: consistent spectrograms pass unchanged
    again = phase._projection(CFG, 129)(tf.constant(got)).numpy()
    assert np.max(np.abs(again - got)) <= 1e-4 * np.max(np.abs(got))


def test_all_zero_magnitude_gives_finite_silence():
    zeros = np.zeros((2, CFG.n_freq_keep, 129), dtype=np.float32)
    wave = phase.griffin_lim(zeros, CFG, n_iter=4, seed=0)
    assert np.all(np.isfinite(wave))
    assert np.max(np.abs(wave)) == 0.0


def test_bad_input_is_rejected(mags):
    with pytest.raises(ValueError, match="frequency bins"):
        phase.griffin_lim(mags[:, :100], CFG, n_iter=1)
    with pytest.raises(ValueError, match="init must be 'random', 'zeros', 'pghi'"):
        phase.griffin_lim(mags, CFG, init="chaos")
    with pytest.raises(ValueError, match="initial phase"):
        phase.griffin_lim(mags, CFG, n_iter=1, init=np.zeros((1, 513, 129), np.float32))
    with pytest.raises(ValueError, match="shape"):
        phase.griffin_lim(mags[0, :, 0], CFG)
