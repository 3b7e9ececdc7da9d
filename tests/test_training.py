"""The magnitude VAE-GAN pipeline on a tiny corpus: data, training, evaluation,
save and load."""

import json

import numpy as np
import pytest

from beeutils.data import datasets
from beeutils.training import fit
from beeutils.dsp.normalize import PerFrequencyNormalizer
from beeutils.dsp.spectral import STFTConfig

#: A small STFT: 32 bins (0-500 Hz at n_fft 1024) by 32 frames (0.5 s).
STFT = STFTConfig(n_fft=1024, hop=256, n_freq_keep=32, n_frames=32)
SHAPE = (32, 32, 1)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    # 5 clips per kind -> 3 train, 1 validation, 1 test of each kind.
    return datasets.make_corpus(kinds=("hum", "queen_toot"), clips_per_kind=5, duration=0.6,
                                seed=1, root=tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def data(corpus):
    return fit.prepare_magnitude_data(corpus, STFT)


def tiny_model(seed: int = 0):
    return fit.build_magnitude_vaegan(SHAPE, latent_dim=4, widths=(4, 8),
                                           disc_widths=(4, 8), seed=seed,
                                           encoder_widths=(4, 8), dense_units=16)


@pytest.fixture(scope="module")
def trained(data):
    model = tiny_model()
    # 6 training clips, batch 2: 3 steps per epoch; 7 epochs = 21 steps.
    result = fit.train(model, data.x["train"], data.x["validation"], epochs=7,
                            batch_size=2, seed=0, verbose=0)
    return model, result


def test_prepare_fits_the_normaliser_on_the_training_split_only(corpus, data):
    assert data.input_shape == SHAPE
    assert {len(v) for v in data.labels.values()} == {6, 2}
    for split, x in data.x.items():
        assert x.shape == (len(data.labels[split]), *SHAPE) and x.dtype == np.float32
        assert x.min() >= -1.0 and x.max() <= 1.0
    train_only = PerFrequencyNormalizer().fit(fit.magnitudes(corpus.waves("train"), STFT))
    np.testing.assert_allclose(data.normalizer.mean, train_only.mean)
    everything = PerFrequencyNormalizer().fit(fit.magnitudes(corpus.waves("all"), STFT))
    assert not np.allclose(data.normalizer.mean, everything.mean)


def test_prepare_keeps_an_already_fitted_normaliser(corpus, data):
    again = fit.prepare_magnitude_data(corpus, STFT, data.normalizer)
    assert again.normalizer is data.normalizer
    np.testing.assert_array_equal(again.x["test"], data.x["test"])


def test_prepare_needs_the_training_split(corpus):
    with pytest.raises(ValueError, match="train"):
        fit.prepare_magnitude_data(corpus, STFT, splits=("test",))


def test_model_output_round_trip(data):
    mags = data.mags["test"]
    back = fit.from_model_output(fit.to_model_input(mags, data.normalizer),
                                      data.normalizer)
    assert back.shape == mags.shape
    # Equal wherever nothing was clipped at 3 standard deviations.
    normed = data.normalizer.transform(mags)
    inside = np.abs(normed) < 1.0
    np.testing.assert_allclose(back[inside], mags[inside], rtol=1e-3, atol=1e-4)


def test_lowpass_reference_removes_what_the_crop_drops():
    sr = 16000
    t = np.arange(8192) / sr
    low, high = np.sin(2 * np.pi * 250 * t), np.sin(2 * np.pi * 3000 * t)
    out = fit.lowpass_reference((low + high)[None].astype(np.float32),
                                     STFTConfig(n_freq_keep=128, n_frames=None))[0]
    inner = slice(1024, -1024)  # away from the clip ends
    np.testing.assert_allclose(out[inner], low[inner], atol=1e-3)


def test_twenty_steps_stay_finite(trained):
    model, result = trained
    assert result.finite and result.event is None
    assert result.steps == 21 and result.epochs == 7 and result.seconds > 0
    history = result.history.history
    for name in ("kl", "pixel", "feature", "gan_dec", "disc", "val_pixel"):
        assert len(history[name]) == 7 and np.all(np.isfinite(history[name])), name


def test_same_seed_same_training(data):
    losses = []
    for _ in range(2):
        model = tiny_model(seed=3)
        result = fit.train(model, data.x["train"], epochs=1, batch_size=2, seed=3,
                                verbose=0)
        losses.append(result.history.history["pixel"][-1])
    assert losses[0] == losses[1]


def test_evaluation_has_every_metric(trained, data):
    model, _ = trained
    scores, waves = fit.evaluate_magnitude_model(model, data, n_iter=4, n_generated=6,
                                                      seed=0, return_waves=True)
    expected = {
        "sc_model_mag_db", "lsd_model_mag_db", "sc_floor_db", "lsd_floor_db", "sc_model_db",
        "lsd_model_db", "mrstft_crop", "mrstft_floor", "mrstft_model", "hum_recon_f0_in_band",
        "hum_recon_f0_error_hz", "sc_gen_consistency_db", "fd_gen", "fd_floor", "fd_ratio",
        "ndb_k", "ndb_k_floor", "ndb_bins", "f0_wasserstein_hz", "f0_median_gen_hz",
        "f0_median_data_hz", "gen_share_hum_band", "data_share_hum_band", "n_generated",
    }
    assert expected <= set(scores)
    assert scores["n_generated"] == 6 and scores["n_test"] == 2
    assert 0.0 <= scores["ndb_k"] <= 1.0 and scores["fd_gen"] >= 0
    # Griffin-Lim on the true magnitudes is the floor: the untrained model is worse.
    assert scores["sc_floor_db"] < scores["sc_model_db"]
    assert scores["lsd_floor_db"] < scores["lsd_model_db"]
    assert waves["generated"].shape == (6, data.waves["test"].shape[1])
    assert waves["recon_mag"].shape == data.mags["test"].shape
    table = fit.metrics_table(scores)
    assert table.startswith("| metric") and "Frechet" in table and "NDB/K" in table
    json.dumps(scores)  # plain numbers: the dict can be written as JSON


def test_save_and_load_round_trip(trained, data, tmp_path):
    model, _ = trained
    model_path, norm_path = fit.save_model(model, data.normalizer, tmp_path / "bees")
    assert model_path.name == "bees.keras" and norm_path.name == "bees.normalizer.json"
    loaded, normalizer = fit.load_model(model_path)  # safe_mode=True inside
    x = data.x["test"]
    np.testing.assert_array_equal(loaded.reconstruct(x), model.reconstruct(x))
    np.testing.assert_array_equal(normalizer.mean, data.normalizer.mean)
    np.testing.assert_array_equal(normalizer.std, data.normalizer.std)
    assert json.loads(norm_path.read_text())["class"] == "PerFrequencyNormalizer"


# ------------------------------------------------- any representation (notebook 05)


@pytest.fixture(scope="module")
def if_data(corpus):
    return fit.prepare_data(corpus, "logmag_if", config=STFT)


def test_prepare_data_gives_each_representation_its_channels(corpus, if_data):
    assert if_data.input_shape == (32, 32, 2)
    assert if_data.representation.name == "logmag_if" and if_data.representation.is_fitted
    for split, x in if_data.x.items():
        assert x.shape == (len(if_data.labels[split]), 32, 32, 2) and x.dtype == np.float32
        assert if_data.mags[split].shape == (len(if_data.labels[split]), 32, 32)
    # Fitted on the training split only: the same statistics as the magnitude pipeline's.
    magnitude = fit.prepare_magnitude_data(corpus, STFT)
    np.testing.assert_allclose(if_data.normalizer.mean, magnitude.normalizer.mean)
    real_imag = fit.prepare_data(corpus, "real_imag", config=STFT)
    assert real_imag.input_shape == (32, 32, 2) and real_imag.normalizer is None
    with pytest.raises(ValueError, match="train"):
        fit.prepare_data(corpus, "real_imag", splits=("test",), config=STFT)


def test_magnitude_data_is_the_general_data_with_a_magnitude_representation(data):
    assert isinstance(data, fit.RepresentationData)
    assert data.representation.name == "magnitude"
    assert data.normalizer is data.representation.normalizer


def test_vaegan_for_two_channels_trains_evaluates_and_reloads(if_data, tmp_path):
    rep = if_data.representation
    model = fit.build_vaegan(if_data.input_shape, rep, latent_dim=4, widths=(4, 8),
                                  disc_widths=(4, 8), seed=0, encoder_widths=(4, 8),
                                  dense_units=16)
    assert model.name == "logmag_if_vaegan"
    assert model.decoder.get_layer("to_output").get_config()["activation"] == "linear"
    result = fit.train(model, if_data.x["train"], epochs=2, batch_size=3, seed=0,
                            verbose=0)
    assert result.finite and result.steps == 4

    scores, waves = fit.evaluate_representation_model(model, if_data, n_generated=5,
                                                           seed=0, return_waves=True)
    n_test, n_samples = if_data.waves["test"].shape
    assert scores["representation"] == "logmag_if" and scores["n_generated"] == 5
    for key in ("recon_snr_db", "recon_lsd_db", "recon_mrstft", "consistency_sc_db", "fd_ratio"):
        assert np.isfinite(scores[key]), key
    assert waves["recon"].shape == (n_test, n_samples)
    assert waves["generated"].shape == (5, n_samples)
    assert waves["gen_array"].shape == (5, 32, 32, 2) and waves["gen_mag"].shape == (5, 32, 32)

    model_path, rep_path = fit.save_model(model, rep, tmp_path / "if")
    assert rep_path.name == "if.representation.json"
    loaded, rep_again = fit.load_model(model_path)
    assert rep_again.name == "logmag_if"
    x = if_data.x["test"]
    np.testing.assert_array_equal(rep_again.decode_batch(loaded.reconstruct(x)),
                                  rep.decode_batch(model.reconstruct(x)))


def test_build_vaegan_checks_the_channels(if_data):
    with pytest.raises(ValueError, match="channels"):
        fit.build_vaegan((32, 32, 1), if_data.representation)


def test_conditional_vaegan_trains_on_inputs_and_labels(if_data):
    from beeutils.models.vaegan import as_onehot

    kinds = list(if_data.kinds)
    labels = {s: as_onehot([kinds.index(k) for k in if_data.labels[s]], len(kinds))
              for s in ("train", "validation")}
    model = fit.build_vaegan(if_data.input_shape, if_data.representation, latent_dim=4,
                                  widths=(4, 8), disc_widths=(4, 8), seed=0,
                                  encoder_widths=(4, 8), dense_units=16, n_classes=len(kinds))
    result = fit.train(model, (if_data.x["train"], labels["train"]),
                            (if_data.x["validation"], labels["validation"]), epochs=1,
                            batch_size=3, seed=0, verbose=0)
    assert result.finite and result.steps == 2
    assert np.isfinite(result.history.history["val_pixel"][-1])
    out = model.sample(2, seed=0, labels=[0, 1])
    assert out.shape == (2, 32, 32, 2)
