"""The shared yardstick: perfect audio scores perfectly, noise does not."""

import numpy as np
import pytest

from beeutils.evaluation import evaluate, metrics
from beeutils.data import synth
from beeutils.dsp.spectral import STFTConfig
from beeutils.dsp.spectral import lowpass_reference, magnitudes

SR = 16000
DURATION = 0.512
CFG = STFTConfig(n_frames=None)


def _clips(kinds, seed0):
    waves, labels, metas = [], [], []
    for i, kind in enumerate(kinds):
        wave, meta = synth.synthesize(kind, sr=SR, duration=DURATION, seed=seed0 + i)
        waves.append(wave)
        labels.append(kind)
        metas.append(meta)
    return np.stack(waves), labels, metas


@pytest.fixture(scope="module")
def clips():
    kinds = ["hum", "queen_toot", "hiss", "nobee", "worker_pipe", "hum"] * 3
    train, _, _ = _clips(kinds, 0)
    test, labels, metas = _clips(kinds[:12], 100)
    return train, test, labels, metas


def test_perfect_reconstruction_scores_as_the_reference(clips):
    train, test, labels, metas = clips
    lowpass = lowpass_reference(test, CFG)
    out = evaluate.evaluate_waves(config=CFG, original=test, recon=lowpass,
                                    generated=lowpass, train_waves=train,
                                    labels=labels, metas=metas)
    # Low-passing twice is not exactly idempotent (STFT-domain crop): ~50 dB.
    assert out["recon_snr_db"] > 40
    assert out["recon_lsd_db"] < 0.5
    assert out["recon_mrstft"] < 0.05
    assert out["hum_recon_f0_in_band"] == 1.0
    assert out["hum_recon_f0_error_hz"] < 10
    assert np.isnan(out["consistency_sc_db"])
    # Generated == held-out: closer to it than the training set is.
    assert out["fd_gen"] < 1e-3 < out["fd_floor"]


def test_noise_scores_worse_than_the_truth(clips):
    train, test, labels, metas = clips
    rng = np.random.default_rng(0)
    noise = (0.1 * rng.standard_normal(test.shape)).astype(np.float32)
    good = evaluate.evaluate_waves(config=CFG, original=test, recon=test, generated=test,
                                     train_waves=train, labels=labels, metas=metas)
    bad = evaluate.evaluate_waves(config=CFG, original=test, recon=noise, generated=noise,
                                    train_waves=train, labels=labels, metas=metas)
    assert bad["recon_snr_db"] < 1 < good["recon_snr_db"]
    assert bad["recon_lsd_db"] > good["recon_lsd_db"] + 5
    assert bad["recon_mrstft"] > good["recon_mrstft"] + 0.5
    assert bad["fd_ratio"] > 2 * good["fd_ratio"]
    assert bad["gen_share_hum_band"] <= good["gen_share_hum_band"]


def test_prior_ceiling_is_the_training_reconstructions_frechet_ratio(clips):
    train, test, labels, metas = clips
    kw = dict(config=CFG, original=test, recon=test, generated=test, train_waves=train,
              labels=labels, metas=metas)
    assert "fd_ratio_train_recon" not in evaluate.evaluate_waves(**kw)
    # Reconstructions equal to the training clips: exactly the floor, ratio 1.
    same = evaluate.evaluate_waves(**kw, train_recon=train)
    assert same["fd_ratio_train_recon"] == pytest.approx(1.0, rel=1e-6)
    rng = np.random.default_rng(1)
    noise = (0.1 * rng.standard_normal(train.shape)).astype(np.float32)
    assert evaluate.evaluate_waves(**kw, train_recon=noise)["fd_ratio_train_recon"] > 2


def test_line_distribution_distance_is_zero_for_the_held_out_clips_themselves(clips):
    train, test, labels, metas = clips
    kw = dict(config=CFG, original=test, recon=test, train_waves=train, labels=labels,
              metas=metas)
    same = evaluate.evaluate_waves(**kw, generated=test)
    assert same["peak_wasserstein_hz"] < 1.0
    assert same["peak_wasserstein_floor_hz"] > 1.0  # other clips put their lines elsewhere
    # Every clip's line moved up by a fifth: the distance grows by the shift.
    t = np.arange(test.shape[1]) / SR
    fifth = np.stack([np.sin(2 * np.pi * 1.5 * same_line * t) for same_line in
                      np.nan_to_num(metrics.strongest_peak_hz(
                          lowpass_reference(test, CFG), SR, 100.0, 1000.0), nan=300.0)])
    shifted = evaluate.evaluate_waves(**kw, generated=fifth.astype(np.float32))
    assert shifted["peak_wasserstein_hz"] > 50.0
    # Without a line in a set there is nothing to compare.
    assert np.isnan(evaluate._line_distance(np.array([240.0]), np.full(3, np.nan)))


def test_consistency_measures_intended_against_produced(clips):
    train, test, labels, metas = clips
    band = lowpass_reference(test, CFG)
    mag = magnitudes(band, CFG)
    same = evaluate.evaluate_waves(config=CFG, original=test, recon=test, generated=band,
                                     train_waves=train, labels=labels, metas=metas,
                                     intended_gen_mag=mag)
    other = evaluate.evaluate_waves(config=CFG, original=test, recon=test, generated=band,
                                      train_waves=train, labels=labels, metas=metas,
                                      intended_gen_mag=mag[::-1])
    assert same["consistency_sc_db"] < -40
    assert other["consistency_sc_db"] > -3


def test_bad_shapes_are_refused(clips):
    train, test, labels, metas = clips
    with pytest.raises(ValueError, match="recon"):
        evaluate.evaluate_waves(config=CFG, original=test, recon=test[:2], generated=test,
                                  train_waves=train, labels=labels, metas=metas)
    with pytest.raises(ValueError, match="generated"):
        evaluate.evaluate_waves(config=CFG, original=test, recon=test,
                                  generated=test[:, :100], train_waves=train,
                                  labels=labels, metas=metas)
    with pytest.raises(ValueError, match="labels"):
        evaluate.evaluate_waves(config=CFG, original=test, recon=test, generated=test,
                                  train_waves=train, labels=labels[:3], metas=metas)


def test_comparison_table_has_one_column_per_approach():
    table = evaluate.comparison_table({
        "magnitude": {"recon_lsd_db": 8.66, "consistency_sc_db": -12.5, "train_seconds": 300},
        "oscillator": {"recon_lsd_db": 5.0, "consistency_sc_db": float("nan"),
                       "train_seconds": 250},
    })
    lines = table.splitlines()
    assert lines[0] == "| metric | unit | magnitude | oscillator | better |"
    lsd = next(line for line in lines if "log-spectral" in line)
    assert "8.660" in lsd and "5.000" in lsd
    assert "n/a" in next(line for line in lines if "consistency" in line)
    assert not any("Frechet" in line for line in lines)  # no approach has fd_ratio
    with pytest.raises(ValueError):
        evaluate.comparison_table({})


def test_comparison_table_leaves_out_rows_no_approach_measured():
    nothing = {"mean": None, "sd": None, "values": [None, None]}
    table = evaluate.comparison_table({
        "magnitude": {"recon_lsd_db": {"mean": 4.6, "sd": 0.2, "values": [4.4, 4.8]},
                      "consistency_sc_db": {"mean": float("nan"), "sd": None,
                                            "values": [float("nan")] * 2},
                      "fd_ratio": nothing},
        "oscillator": {"recon_lsd_db": 6.7, "consistency_sc_db": float("nan"),
                       "fd_ratio": nothing},
    })
    assert "4.600 ± 0.200" in table and "6.700" in table
    assert "consistency" not in table and "Frechet" not in table


def test_the_wideband_grid_holds_every_kind_and_the_default_crop_loses_hiss():
    """The claim behind ``spectral.WIDEBAND``: at least 0.9 of every kind's
    energy lies inside it, while the 0-2 kHz crop keeps little of hiss."""
    from beeutils.data import synth
    from beeutils.dsp.spectral import WIDEBAND, STFTConfig
    from beeutils.evaluation.evaluate import band_share

    kinds = [k for k in synth.KINDS for _ in range(2)]
    waves = np.stack([synth.synthesize(k, seed=i)[0] for i, k in enumerate(kinds)])
    wide = band_share(WIDEBAND, waves, kinds)
    narrow = band_share(STFTConfig(), waves, kinds)
    assert set(wide["band_share_per_kind"]) == set(synth.KINDS)
    assert wide["band_share_min"] >= 0.9
    assert narrow["band_share_per_kind"]["hiss"] < 0.5
    assert narrow["band_share_per_kind"]["hum"] > 0.95
    assert narrow["band_share_min"] == min(narrow["band_share_per_kind"].values())


def test_kind_share_of_a_one_kind_corpus_is_not_judged():
    class OneKind:
        @staticmethod
        def labels(split):
            return ["recording"] * 4

    out = evaluate.kind_share(model=None, corpus=OneKind(), generated=np.zeros((2, 8)))
    assert np.isnan(out["gen_kind_share_error"]) and out["gen_kind_share"] == {}
    assert out["data_kind_share"] == {"recording": 1.0}
