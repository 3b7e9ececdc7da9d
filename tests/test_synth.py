"""Synthetic bee sounds: format, determinism, metadata, overrides, errors,
and the published acoustics measured from the waveforms themselves."""

import json

import numpy as np
import pytest
from scipy import signal

from beeutils.data import synth
from beeutils.data.synth import KINDS, PARAMS, synthesize

SR = 16000
SEEDS = range(10)
PULSED = ("queen_toot", "queen_quack", "worker_pipe", "waggle", "hiss")


def _psd(wave, sr=SR, nperseg=4096):
    """Welch power spectral density: (freqs Hz, power)."""
    return signal.welch(wave, sr, nperseg=min(nperseg, len(wave)))


def _peak_hz(wave, lo, hi, sr=SR, nperseg=4096):
    """Frequency (Hz) of the largest PSD bin between lo and hi."""
    f, p = _psd(wave, sr, nperseg)
    band = (f >= lo) & (f <= hi)
    return float(f[band][np.argmax(p[band])])


def _peak_centroid_hz(wave, lo=50, hi=4000, sr=SR, half_width=25.0):
    """Power-weighted mean frequency (Hz) of the strongest spectral peak.

    The crowd's widened partials are noise lobes whose single highest bin
    wanders by a few Hz; the centroid of the lobe is where the peak is.
    """
    f, p = _psd(wave, sr)
    top = _peak_hz(wave, lo, hi, sr)
    near = np.abs(f - top) < half_width
    return float(np.sum(f[near] * p[near]) / np.sum(p[near]))


def _segments_above(wave, threshold_ratio=0.3, sr=SR, frame_s=0.005):
    """Runs (start_s, end_s) where the smoothed RMS envelope exceeds a fraction of its max."""
    hop = int(frame_s * sr)
    frames = wave[: len(wave) // hop * hop].reshape(-1, hop).astype(float)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    rms = np.convolve(rms, np.ones(3) / 3, mode="same")  # 15 ms smoothing
    above = rms > threshold_ratio * rms.max()
    edges = np.flatnonzero(np.diff(np.concatenate([[0], above.astype(int), [0]])))
    return [(s * frame_s, e * frame_s) for s, e in zip(edges[::2], edges[1::2])]


# ---------------------------------------------------------------- format

def test_kinds_and_params_cover_the_design():
    assert set(KINDS) >= {"hum", "queen_toot", "queen_quack", "worker_pipe",
                          "waggle", "hiss", "pre_swarm", "nobee"}
    assert set(PARAMS) == set(KINDS)
    assert all("f0_hz" in PARAMS[k] for k in KINDS if k not in ("hiss", "nobee"))


@pytest.mark.parametrize("sr", [16000, 22050, 8000])
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_a_valid_clip(kind, sr):
    for seed in (0, 1):
        wave, meta = synthesize(kind, sr=sr, seed=seed)
        assert wave.dtype == np.float32 and wave.ndim == 1
        assert len(wave) == round(sr * 2.048) == meta["n_samples"]
        assert np.all(np.isfinite(wave))
        peak = float(np.max(np.abs(wave)))
        assert peak <= 1.0
        assert 0.3 <= meta["params"]["peak"] <= 0.9
        assert peak == pytest.approx(meta["params"]["peak"], rel=1e-5)
        # Faded ends: no click where the clip starts or stops.
        assert abs(wave[0]) < 0.01 and abs(wave[-1]) < 0.01


@pytest.mark.parametrize("duration", [0.1, 0.37, 5.0])
def test_other_durations_give_the_right_length(duration):
    for kind in KINDS:
        wave, meta = synthesize(kind, duration=duration, seed=3)
        assert len(wave) == round(SR * duration)
        assert np.all(np.isfinite(wave)) and np.max(np.abs(wave)) <= 1.0
        for start, end in meta.get("pulses", []):
            assert 0 <= start < end <= duration


# ---------------------------------------------------------------- determinism

@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_clip_other_seed_other_clip(kind):
    a, meta_a = synthesize(kind, seed=7)
    b, meta_b = synthesize(kind, seed=7)
    c, _ = synthesize(kind, seed=8)
    np.testing.assert_array_equal(a, b)
    assert meta_a == meta_b
    assert not np.allclose(a, c)


def test_seed_none_is_recorded_and_reproduces_the_clip():
    a, meta = synthesize("queen_toot", seed=None)
    assert isinstance(meta["seed"], int) and meta["seed"] >= 0
    b, _ = synthesize("queen_toot", seed=meta["seed"])
    np.testing.assert_array_equal(a, b)
    _, other = synthesize("queen_toot", seed=None)
    assert other["seed"] != meta["seed"]


def test_no_global_random_state_is_used_or_changed():
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    a, _ = synthesize("hum", seed=2)
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    np.random.seed(999)
    b, _ = synthesize("hum", seed=2)
    np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- metadata

@pytest.mark.parametrize("kind", KINDS)
def test_meta_is_json_and_records_every_parameter(kind):
    _, meta = synthesize(kind, seed=4)
    assert json.loads(json.dumps(meta)) == meta  # plain JSON types throughout
    for key in ("kind", "sr", "duration", "seed", "f0_hz", "params"):
        assert key in meta
    assert (meta["kind"], meta["sr"], meta["duration"], meta["seed"]) == (kind, SR, 2.048, 4)
    assert set(meta["params"]) == set(PARAMS[kind])
    if kind in ("hiss", "nobee"):
        assert meta["f0_hz"] is None
    else:
        assert isinstance(meta["f0_hz"], float) and meta["f0_hz"] > 0
    if kind in PULSED:
        assert meta["pulses"] == meta["params"]["pulses"] and len(meta["pulses"]) >= 1


def test_override_is_used_recorded_and_leaves_the_rest_alone():
    _, plain = synthesize("hum", seed=1)
    wave, meta = synthesize("hum", seed=1, f0_hz=230)
    assert meta["f0_hz"] == 230.0 and meta["params"]["f0_hz"] == 230.0
    assert _peak_centroid_hz(wave) == pytest.approx(230, rel=0.02)
    others = {k: v for k, v in meta["params"].items() if k != "f0_hz"}
    assert others == {k: v for k, v in plain["params"].items() if k != "f0_hz"}


def test_body_resonances_can_be_given_alone():
    _, meta = synthesize("hum", seed=0, body_resonances_hz=[400.0, 700.0, 1200.0, 1400.0])
    assert meta["resonances_hz"] == [400.0, 700.0, 1200.0, 1400.0]
    assert len(meta["params"]["body_gains_db"]) == len(meta["params"]["body_q"]) == 4


def test_pulses_can_be_given():
    pulses = [[0.1, 0.9], [1.2, 1.45], [1.6, 1.85]]
    wave, meta = synthesize("queen_toot", seed=2, pulses=pulses, f0_hz=450.0)
    assert meta["pulses"] == pulses
    env = _segments_above(wave)
    assert len(env) == 3
    for (s, e), (ms, me) in zip(pulses, env):
        assert abs(ms - s) < 0.06 and abs(me - e) < 0.06


# ---------------------------------------------------------------- errors

def test_unknown_kind_lists_the_kinds():
    with pytest.raises(ValueError, match="unknown kind") as err:
        synthesize("buzz", seed=0)
    assert all(k in str(err.value) for k in KINDS)


def test_unknown_parameter_lists_the_accepted_ones():
    with pytest.raises(ValueError, match="wingspan") as err:
        synthesize("hum", seed=0, wingspan=3)
    assert "f0_hz" in str(err.value) and "jitter_hz" in str(err.value)
    with pytest.raises(ValueError, match="centre_hz"):
        synthesize("hum", seed=0, centre_hz=4000)  # belongs to hiss, not hum


@pytest.mark.parametrize("sr", [0, -16000, 1000, 16000.5, "16k", float("nan"), True])
def test_bad_sample_rate(sr):
    with pytest.raises(ValueError, match="sr"):
        synthesize("hum", sr=sr, seed=0)


@pytest.mark.parametrize("duration", [0, -1.0, 0.01, float("nan"), float("inf"), "2s"])
def test_bad_duration(duration):
    with pytest.raises(ValueError, match="duration"):
        synthesize("hum", duration=duration, seed=0)


@pytest.mark.parametrize("seed", [-1, 1.5, "abc"])
def test_bad_seed(seed):
    with pytest.raises(ValueError, match="seed"):
        synthesize("hum", seed=seed)


@pytest.mark.parametrize("kind, params, text", [
    ("hum", {"f0_hz": "high"}, "f0_hz must be a number"),
    ("hum", {"f0_hz": float("nan")}, "f0_hz must be finite"),
    ("hum", {"f0_hz": -5}, "f0_hz must lie in"),
    ("hum", {"n_near_bees": 2.5}, "n_near_bees must be an integer"),
    ("hum", {"n_near_bees": 2, "near_bee_levels": [0.2]}, "near_bee_levels needs 2"),
    ("queen_toot", {"pulses": [[1.5, 2.5]]}, "pulse"),
    ("queen_toot", {"pulses": [[0.5, 0.2]]}, "pulse"),
    ("queen_toot", {"pulses": "soon"}, "pulses must be"),
    ("hum", {"body_gains_db": [3.0]}, "body_gains_db needs"),
])
def test_bad_parameter_values(kind, params, text):
    with pytest.raises(ValueError, match=text):
        synthesize(kind, seed=0, **params)


# ---------------------------------------------------------------- sample rates

def test_partials_above_nyquist_are_dropped():
    for sr in (8000, 22050):
        for kind in ("hum", "queen_toot", "worker_pipe"):
            _, meta = synthesize(kind, sr=sr, seed=5)
            top = meta["n_partials"] * max(meta["f0_hz"], meta.get("f0_start_hz", 0))
            assert top < sr / 2
    _, low = synthesize("nobee", sr=8000, seed=0)
    assert low["cricket_dropped"] and low["cricket_syllables"] == []
    _, high = synthesize("nobee", sr=16000, seed=0)
    assert not high["cricket_dropped"]


def test_hum_peak_is_the_same_at_other_sample_rates():
    for sr in (8000, 22050):
        wave, meta = synthesize("hum", sr=sr, seed=3)
        assert _peak_centroid_hz(wave, sr=sr) == pytest.approx(meta["f0_hz"], rel=0.02)


# ---------------------------------------------------------------- physics

@pytest.mark.parametrize("seed", SEEDS)
def test_hum_peak_is_the_fundamental(seed):
    wave, meta = synthesize("hum", seed=seed)
    assert 190 <= _peak_hz(wave, 20, 8000) <= 310
    assert _peak_centroid_hz(wave) == pytest.approx(meta["f0_hz"], rel=0.02)
    f, p = _psd(wave)
    assert p[f < 2000].sum() > 0.9 * p.sum()  # the hive body keeps energy below 2 kHz


@pytest.mark.parametrize("seed", SEEDS)
def test_toot_peak_and_syllables(seed):
    wave, meta = synthesize("queen_toot", seed=seed)
    assert 370 <= _peak_hz(wave, 20, 8000) <= 560
    assert _peak_centroid_hz(wave) == pytest.approx(meta["f0_hz"], rel=0.02)
    (s0, e0), *short = meta["pulses"]
    assert 0.7 <= e0 - s0 <= 1.0 and short  # one long syllable, then short ones
    assert all(e - s <= 0.3 + 1e-9 for s, e in short)
    # The long syllable rises in pitch and in level.
    i0, i1 = int(s0 * SR), int(e0 * SR)
    q = (i1 - i0) // 4
    first, last = wave[i0:i0 + q], wave[i1 - q:i1]
    assert _peak_hz(first, 300, 700, nperseg=2048) < _peak_hz(last, 300, 700, nperseg=2048)
    assert np.std(first) < np.std(last)


@pytest.mark.parametrize("seed", SEEDS)
def test_quack_pulses_are_short_and_near_350_hz(seed):
    wave, meta = synthesize("queen_quack", seed=seed)
    runs = _segments_above(wave)
    assert len(runs) == len(meta["pulses"]) >= 3
    assert all(e - s < 0.2 for s, e in runs)
    assert 300 <= _peak_hz(wave, 20, 8000) <= 400
    assert _peak_centroid_hz(wave) == pytest.approx(meta["f0_hz"], rel=0.02)


@pytest.mark.parametrize("seed", SEEDS)
def test_worker_pipe_rises_within_a_pulse(seed):
    wave, meta = synthesize("worker_pipe", seed=seed)
    s, e = meta["pulses"][0]
    assert 0.4 <= e - s <= 1.0 + 1e-9
    i0, i1 = int(s * SR), int(e * SR)
    q = (i1 - i0) // 4
    start = _peak_hz(wave[i0:i0 + q], 60, 400, nperseg=2048)
    end = _peak_hz(wave[i1 - q:i1], 60, 400, nperseg=2048)
    assert 90 <= start < end
    assert 190 <= end <= 260
    assert end == pytest.approx(meta["f0_hz"], rel=0.04)


@pytest.mark.parametrize("seed", SEEDS)
def test_waggle_carrier_in_runs(seed):
    wave, meta = synthesize("waggle", seed=seed)
    assert 200 <= _peak_hz(wave, 20, 8000) <= 300
    assert _peak_centroid_hz(wave) == pytest.approx(meta["f0_hz"], rel=0.02)
    assert all(0.15 <= e - s <= 1.0 + 1e-9 for s, e in meta["pulses"])
    # Pulsed at the waggle rate: the envelope's spectrum peaks there.
    s, e = meta["pulses"][0]
    seg = np.abs(signal.hilbert(wave[int(s * SR):int(e * SR)]))
    f, p = signal.periodogram(seg - seg.mean(), SR, nfft=1 << 16)
    band = (f > 5) & (f < 40)
    assert f[band][np.argmax(p[band])] == pytest.approx(meta["params"]["waggle_rate_hz"], abs=2.0)


@pytest.mark.parametrize("seed", SEEDS)
def test_hiss_is_mostly_above_2_khz(seed):
    wave, meta = synthesize("hiss", seed=seed)
    f, p = _psd(wave, nperseg=1024)
    assert p[f > 2000].sum() > 0.6 * p.sum()


@pytest.mark.parametrize("seed", SEEDS)
def test_pre_swarm_rises_in_frequency_and_level(seed):
    wave, meta = synthesize("pre_swarm", seed=seed)
    n = len(wave)
    start = _peak_hz(wave[: n // 4], 150, 400, nperseg=2048)
    end = _peak_hz(wave[-n // 4:], 150, 400, nperseg=2048)
    assert start < end
    assert end == pytest.approx(meta["f0_hz"], rel=0.04)
    assert np.std(wave[: n // 4]) < np.std(wave[-n // 4:])


@pytest.mark.parametrize("seed", SEEDS)
def test_nobee_has_cricket_at_4_to_5_khz_and_no_hum_peak(seed):
    wave, _ = synthesize("nobee", seed=seed)
    f, p = _psd(wave, nperseg=1024)
    cricket = p[(f >= 4000) & (f <= 5000)].max()
    around = np.median(p[((f > 3000) & (f < 3800)) | ((f > 5200) & (f < 6000))])
    assert cricket > 100 * around  # 20 dB above its neighbourhood
    assert 3500 < _peak_hz(wave, 2500, 8000, nperseg=1024) < 5500


# ---------------------------------------------------------------- no clicks

def test_pulse_envelope_edges_are_smooth():
    env = synth._pulse_envelope(8000, SR, [[0.05, 0.2], [0.3, 0.31]], [1.0, 0.8],
                                rise_s=0.01, fall_s=0.02)
    assert env[0] == 0 and env[int(0.05 * SR)] < 0.01 and env[int(0.2 * SR)] == 0
    assert env.max() == pytest.approx(1.0, abs=1e-3)
    # Steepest step of a 10 ms raised cosine (160 samples) is pi / 2 / 160; the
    # 10 ms pulse has its edges shortened to 5 ms each (80 samples).
    assert np.max(np.abs(np.diff(env[: int(0.25 * SR)]))) <= np.pi / 2 / 160 + 1e-9
    assert np.max(np.abs(np.diff(env[int(0.25 * SR):]))) <= 0.8 * np.pi / 2 / 80 + 1e-9


@pytest.mark.parametrize("kind", ["queen_quack", "queen_toot", "worker_pipe"])
def test_pulse_edges_make_no_click(kind):
    """A click is broadband: high-frequency energy at a pulse edge would jump."""
    sos = signal.butter(4, 6000, "highpass", fs=SR, output="sos")
    for seed in range(3):
        wave, meta = synthesize(kind, seed=seed)
        hf = signal.sosfiltfilt(sos, wave.astype(float)) ** 2
        floor = np.median(hf) + 1e-20
        win = int(0.004 * SR)
        for s, e in meta["pulses"]:
            for t in (s, e):
                i = min(max(int(t * SR), win), len(wave) - win)
                assert hf[i - win:i + win].mean() < 20 * floor


def test_a_click_would_be_caught():
    """The click test above does flag a hard edge."""
    wave, meta = synthesize("queen_quack", seed=0)
    sos = signal.butter(4, 6000, "highpass", fs=SR, output="sos")
    clicked = wave.astype(float).copy()
    i = int(meta["pulses"][0][0] * SR)
    clicked[i:] += 0.2
    hf = signal.sosfiltfilt(sos, clicked) ** 2
    win = int(0.004 * SR)
    assert hf[i - win:i + win].mean() > 20 * np.median(hf)


# ---------------------------------------------------------- realisations

@pytest.mark.parametrize("kind", KINDS)
def test_another_realisation_keeps_the_recipe_and_redraws_the_noise(kind):
    wave, meta = synthesize(kind, seed=11, duration=0.5)
    same, same_meta = synth.resynthesize(meta, seed=11)
    assert np.array_equal(same, wave) and same_meta == meta
    other, other_meta = synth.resynthesize(meta, seed=12)
    assert other_meta["seed"] == 12
    assert {k: v for k, v in other_meta.items() if k != "seed"} == \
        {k: v for k, v in meta.items() if k != "seed"}
    assert np.max(np.abs(other - wave)) > 0.01
    # the recipe is the same: the long-term spectra agree far better than
    # those of a clip of another recipe
    def spectrum_db(x):
        _, p = signal.welch(x, fs=meta["sr"], nperseg=512)
        return 10 * np.log10(p + 1e-12)

    fresh, _ = synthesize(kind, seed=13, duration=0.5)
    assert (np.mean(np.abs(spectrum_db(other) - spectrum_db(wave)))
            < np.mean(np.abs(spectrum_db(fresh) - spectrum_db(wave))))


# ---------------------------------------------------------------- speed

def test_synthesis_is_faster_than_real_time():
    speed = synth.synthesis_speed(kinds=("hum", "queen_toot"), repeats=3)
    assert set(speed) == {"hum", "queen_toot"}
    # The goal is 100x; 30x leaves room for a busy machine.
    assert speed["hum"] > 30, speed
    with pytest.raises(ValueError, match="clock"):
        synth.synthesis_speed(kinds=("hum",), clock="sundial")
