"""ESPRIT and Prony: damped sinusoids in noise, and bee sounds against the synth's recipe."""

import numpy as np
import pytest

from beeutils.dsp import oscillators
from beeutils.data import synth

SR = 16000
N = 4096
FREQS = np.array([220.0, 470.0, 910.0, 1530.0])
DAMPINGS = np.array([0.0, 5.0, 20.0, 3.0])
AMPS = np.array([1.0, 0.6, 0.4, 0.3])
PHASES = np.array([0.3, 1.0, -2.0, 2.5])


def noisy(snr_db: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Four well-separated damped partials plus white noise at ``snr_db``."""
    clean = oscillators.resynthesize(FREQS, DAMPINGS, AMPS, PHASES, N, SR)
    noise = np.random.default_rng(seed).standard_normal(N)
    noise *= np.sqrt(np.mean(clean ** 2) / np.mean(noise ** 2)) * 10 ** (-snr_db / 20)
    return clean, clean + noise


def check_partials(modes, freq_tol=1.0, damping_tol=2.0, amp_rtol=0.05, phase_tol=0.1):
    assert modes.n_modes == 4
    np.testing.assert_array_less(np.abs(modes.freqs_hz - FREQS), freq_tol)
    np.testing.assert_array_less(np.abs(modes.dampings_per_s - DAMPINGS), damping_tol)
    np.testing.assert_allclose(modes.amplitudes, AMPS, rtol=amp_rtol)
    wrapped = np.angle(np.exp(1j * (modes.phases - PHASES)))
    np.testing.assert_array_less(np.abs(wrapped), phase_tol)


def test_esprit_is_exact_without_noise():
    clean, _ = noisy(30)
    modes = oscillators.esprit(clean, 8, SR)
    np.testing.assert_allclose(modes.freqs_hz, FREQS, atol=1e-6)
    np.testing.assert_allclose(modes.dampings_per_s, DAMPINGS, atol=1e-5)
    np.testing.assert_allclose(modes.amplitudes, AMPS, rtol=1e-7)
    np.testing.assert_allclose(modes.phases, PHASES, atol=1e-7)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("decimate", [1, 4])
def test_esprit_within_1_hz_at_30_db_snr(seed, decimate):
    _, x = noisy(30, seed)
    modes = oscillators.esprit(x, 12, SR, decimate=decimate).strongest(4, N / SR)
    check_partials(modes)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("method, order, rank", [("ls", 12, None), ("tls", 24, 8)])
def test_prony_within_1_hz_at_30_db_snr_when_decimated(seed, method, order, rank):
    _, x = noisy(30, seed)
    modes = oscillators.prony(x, order, SR, decimate=4, method=method, rank=rank)
    # Frequencies within 1 Hz; Prony's amplitudes carry more of the noise.
    check_partials(modes.strongest(4, N / SR), amp_rtol=0.15, phase_tol=0.2)


def test_prony_is_exact_without_noise():
    clean, _ = noisy(30)
    modes = oscillators.prony(clean, 8, SR)
    np.testing.assert_allclose(modes.freqs_hz, FREQS, atol=1e-3)
    np.testing.assert_allclose(modes.dampings_per_s, DAMPINGS, atol=1e-2)


def test_plain_prony_at_full_rate_is_thrown_by_noise():
    # The documented weakness: 2 poles per partial at 16 kHz, 30 dB SNR.
    _, x = noisy(30)
    modes = oscillators.prony(x, 8, SR).strongest(4, N / SR)
    assert np.max(np.abs(modes.freqs_hz - FREQS)) > 10


def test_resynthesis_leaves_only_the_noise():
    clean, x = noisy(30)
    modes = oscillators.esprit(x, 12, SR).strongest(4, N / SR)
    back = oscillators.resynthesize(*modes, N, SR)
    residual_db = 10 * np.log10(np.sum(clean ** 2) / np.sum((clean - back) ** 2))
    assert residual_db > 40  # far cleaner than the 30 dB input


def test_strongest_ranks_by_level_over_the_segment():
    modes = oscillators.Modes(np.array([100.0, 300.0]), np.array([0.0, 2000.0]),
                              np.array([0.5, 3.0]), np.zeros(2))
    assert modes.strongest(1).freqs_hz[0] == 300.0          # by starting amplitude
    assert modes.strongest(1, 0.25).freqs_hz[0] == 100.0    # the 3.0 one is gone in 2 ms
    np.testing.assert_allclose(modes.rms(1.0)[0], 0.5 / np.sqrt(2))


def test_real_pole_at_zero_frequency():
    t = np.arange(2000) / SR
    x = 0.7 * np.exp(-30 * t) + 0.4 * np.cos(2 * np.pi * 1000 * t)
    modes = oscillators.esprit(x, 3, SR)
    np.testing.assert_allclose(modes.freqs_hz, [0.0, 1000.0], atol=1e-6)
    np.testing.assert_allclose(modes.amplitudes, [0.7, 0.4], rtol=1e-6)
    np.testing.assert_allclose(modes.dampings_per_s, [30.0, 0.0], atol=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_queen_toot_fundamental_within_1_hz(seed):
    """A short toot syllable sits at f0 (after a 3 % glide in its first 10 %)."""
    wave, meta = synth.synthesize("queen_toot", sr=SR, seed=seed)
    start, end = next(p for p in meta["pulses"][1:] if p[1] - p[0] > 0.15)
    segment = wave[int((start + 0.06) * SR): int((end - 0.03) * SR)]
    modes = oscillators.esprit(segment, 16, SR, decimate=4)
    partial = modes.in_band(300, 700).strongest(1, len(segment) / SR)
    assert abs(partial.freqs_hz[0] - meta["f0_hz"]) < 1.0
    assert abs(partial.dampings_per_s[0]) < 5.0  # a sustained tone
    # The second harmonic is there too.
    assert np.min(np.abs(modes.freqs_hz - 2 * meta["f0_hz"])) < 2.0


@pytest.mark.parametrize("seed", [0, 4, 7])
def test_hum_fundamental_from_the_crowd_centroid(seed):
    """A crowd's partial is a band ``jitter_hz`` wide: single modes miss its
    centre by up to the jitter, the centroid of the modes in it does not."""
    wave, meta = synth.synthesize("hum", sr=SR, seed=seed)
    jitter = meta["params"]["jitter_hz"]
    modes = oscillators.esprit(wave, 40, SR, decimate=8).in_band(150, 300)
    duration = len(wave) / SR
    top = modes.strongest(1, duration).freqs_hz[0]
    lobe = modes.in_band(top - 3 * jitter - 5, top + 3 * jitter + 5)
    assert abs(lobe.centroid_hz(duration) - meta["f0_hz"]) < 4.0


@pytest.mark.parametrize("x, message", [
    (np.zeros((2, 100)), "one signal"),
    (np.array([0.0, np.nan] * 50), "non-finite"),
    (np.ones(10), "too few"),
    (np.zeros(100), "all zeros"),
])
def test_bad_signals_are_refused(x, message):
    for fn in (oscillators.esprit, oscillators.prony):
        with pytest.raises(ValueError, match=message):
            fn(x, 4, SR)


def test_bad_arguments_are_refused():
    x = noisy(30)[1]
    with pytest.raises(ValueError, match="order"):
        oscillators.esprit(x, 0, SR)
    with pytest.raises(ValueError, match="method"):
        oscillators.prony(x, 8, SR, method="svd")
    with pytest.raises(ValueError, match="rank"):
        oscillators.prony(x, 8, SR, method="tls", rank=9)
    with pytest.raises(ValueError, match="one entry per mode"):
        oscillators.resynthesize([1.0], [0.0, 1.0], [1.0], [0.0], 10, SR)
