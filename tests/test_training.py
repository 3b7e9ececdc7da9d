"""Training and evaluating one model on a tiny corpus: the representation fitted on
the training split, ``fit.train`` (seeded batches, determinism, NaNWatch), and
``evaluate.evaluate_model`` with its comparison table.

Building every approach, save/load, the train command and resuming are in
``test_audio_model.py`` and ``test_train_command.py``."""

import json

import keras
import numpy as np
import pytest

from beeutils.data import datasets
from beeutils.dsp.normalize import PerFrequencyNormalizer
from beeutils.dsp.spectral import STFTConfig, lowpass_reference, magnitudes
from beeutils.evaluation import evaluate
from beeutils.models.audio_model import AudioModel
from beeutils.models.configs import ModelConfig, VAEGANConfig
from beeutils.training import fit

CFG = STFTConfig(n_frames=32)  # 128 bins (0-2 kHz) by 32 frames: 0.512 s clips
TINY = VAEGANConfig(latent_dim=4, widths=(4, 8), encoder_widths=(4, 8), disc_widths=(4,),
                    dense_units=16)
KINDS = ("hum", "queen_toot")
N_SAMPLES = 8192


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    # 4 clips per kind -> 2 train, 1 validation, 1 test of each kind.
    return datasets.make_corpus(kinds=KINDS, clips_per_kind=4, duration=0.512, seed=0,
                                root=tmp_path_factory.mktemp("corpus"))


def build(corpus, approach="magnitude", seed=0):
    return AudioModel.build(ModelConfig(approach, CFG, TINY), corpus, seed=seed)


@pytest.fixture(scope="module")
def trained(corpus):
    model = build(corpus)
    # 4 training clips, batch 2: 2 steps per epoch; 2 epochs = 4 steps.
    model.train(corpus, epochs=2, batch_size=2, seed=0, verbose=0)
    return model


@pytest.fixture(scope="module")
def if_model(corpus):
    return build(corpus, "logmag_if")  # untrained: its shape, decoder and evaluation


@pytest.fixture(scope="module")
def scores(trained, corpus):
    return evaluate.evaluate_model(trained, corpus, n_generated=6, seed=0, return_waves=True)


# ------------------------------------------------------------ the data fit reads


def test_build_fits_the_normaliser_on_the_training_split_only(corpus, trained):
    normalizer = trained.representation.normalizer
    train_only = PerFrequencyNormalizer().fit(magnitudes(corpus.waves("train"), CFG))
    np.testing.assert_allclose(normalizer.mean, train_only.mean, rtol=1e-5)
    np.testing.assert_allclose(normalizer.std, train_only.std, rtol=1e-5)
    everything = PerFrequencyNormalizer().fit(magnitudes(corpus.waves("all"), CFG))
    assert not np.allclose(normalizer.mean, everything.mean)
    assert not np.allclose(normalizer.std, everything.std)


def test_training_data_is_the_normalised_representation_of_each_split(corpus, trained):
    for split, n in (("train", 4), ("validation", 2), ("test", 2)):
        x = trained.training_data(corpus, split)
        assert x.shape == (n, 128, 32, 1) and x.dtype == np.float32, split
        assert x.min() >= -1.0 and x.max() <= 1.0, split
        np.testing.assert_array_equal(
            x, trained.representation.encode_batch(corpus.waves(split)))


def test_logmag_if_gets_a_two_channel_tanh_decoder(corpus, trained, if_model):
    assert if_model.network.name == "logmag_if_vaegan"
    assert trained.network.name == "magnitude_vaegan"
    def activation(m):
        return m.network.decoder.get_layer("to_output").get_config()["activation"]

    # tanh for both: with a linear output logmag_if's decoder drew no partial.
    assert activation(if_model) == "tanh" and activation(trained) == "tanh"
    assert if_model.training_data(corpus, "train").shape == (4, 128, 32, 2)
    # Its log magnitudes are scaled with the same training-split statistics.
    np.testing.assert_allclose(if_model.representation.normalizer.mean,
                               trained.representation.normalizer.mean, rtol=1e-5)


def test_lowpass_reference_removes_what_the_crop_drops():
    sr = 16000
    t = np.arange(8192) / sr
    low, high = np.sin(2 * np.pi * 250 * t), np.sin(2 * np.pi * 3000 * t)
    out = lowpass_reference((low + high)[None].astype(np.float32),
                            STFTConfig(n_freq_keep=128, n_frames=None))[0]
    inner = slice(1024, -1024)  # away from the clip ends
    np.testing.assert_allclose(out[inner], low[inner], atol=1e-3)


# ------------------------------------------------------------ seeded batches


def test_the_batch_order_depends_on_seed_and_epoch_alone():
    x = np.zeros((10, 3), np.float32)
    a = fit.SeededBatches(x, None, batch_size=4, seed=5)
    # Other data, labels and batch size, same seed and n: the same orders.
    b = fit.SeededBatches({"audio": np.ones((10, 7))}, np.ones(10), batch_size=3, seed=5)
    for epoch in range(4):
        order = a.permutation(epoch)
        assert sorted(order) == list(range(10))
        np.testing.assert_array_equal(order, b.permutation(epoch))
    assert not np.array_equal(a.permutation(0), a.permutation(1))
    assert not np.array_equal(a.permutation(0),
                              fit.SeededBatches(x, None, 4, seed=6).permutation(0))
    before = a.permutation(2)
    for i in range(len(a)):  # reading batches changes no later epoch's order
        a[i]
    np.testing.assert_array_equal(a.permutation(2), before)
    with pytest.raises(ValueError, match="no training examples"):
        fit.SeededBatches(x[:0], None, batch_size=4)


def test_batches_follow_the_permutation_with_dict_inputs_and_labels():
    n = 10
    inputs = {"audio": np.arange(n, dtype=np.float32)[:, None] * np.ones((1, 5)),
              "f0": np.arange(n, dtype=np.float32) * 10}
    labels = np.arange(n) * 100
    batches = fit.SeededBatches(inputs, labels, batch_size=4, seed=1)
    assert len(batches) == 3
    for epoch in range(2):  # each read of batch 0 starts the next epoch's order
        rows = []
        for i in range(len(batches)):
            x, y = batches[i]
            assert set(x) == {"audio", "f0"}
            ids = x["f0"] / 10
            np.testing.assert_array_equal(x["audio"][:, 0], ids)
            np.testing.assert_array_equal(y, ids * 100)  # labels stay with their rows
            rows += list(ids.astype(int))
        assert [len(batches[i][1]) for i in (1, 2)] == [4, 2]
        np.testing.assert_array_equal(rows, batches.permutation(epoch))
    plain = fit.SeededBatches(inputs["audio"], None, batch_size=4, seed=1)
    first = plain[0]
    assert isinstance(first, np.ndarray)  # no labels: the inputs alone
    np.testing.assert_array_equal(first[:, 0], plain.permutation(0)[:4])


class _Recorder(keras.Model):
    """Records the batches ``fit`` hands to ``train_step``."""

    def __init__(self):
        super().__init__()
        self.w = self.add_weight(shape=(), initializer="zeros", name="w")
        self.seen = []

    def train_step(self, data):
        x, y = data
        self.seen.append((np.asarray(x)[:, 0].astype(int), np.asarray(y).astype(int)))
        self.w.assign_add(1.0)
        return {"loss": self.w}


def test_train_reads_the_seeded_batches_epoch_by_epoch():
    n, batch = 7, 3
    x = np.arange(n, dtype=np.float32)[:, None]
    model = _Recorder()
    model.compile(run_eagerly=True)
    result = fit.train(model, (x, np.arange(n) * 10), epochs=2, batch_size=batch, seed=4,
                       verbose=0)
    assert result.finite and result.steps == 6 and result.epochs == 2
    assert len(model.seen) == 6
    order = fit.SeededBatches(x, None, batch, seed=4)
    for epoch in range(2):
        steps = model.seen[3 * epoch : 3 * epoch + 3]
        np.testing.assert_array_equal(np.concatenate([s[0] for s in steps]),
                                      order.permutation(epoch))
        for ids, labels in steps:
            np.testing.assert_array_equal(labels, ids * 10)
    with pytest.raises(ValueError, match="expected inputs or"):
        fit.train(model, (x, x, x), epochs=1, verbose=0)


# ------------------------------------------------------------ training


def test_training_stays_finite_and_logs_every_term(trained):
    result = trained.train_result
    assert isinstance(result, fit.TrainResult)
    assert result.finite and result.event is None
    assert result.steps == 4 and result.epochs == 2 and result.first_epoch == 0
    assert result.seconds > 0 and "all finite" in str(result)
    history = result.history.history
    for name in ("kl", "pixel", "feature", "gan_dec", "disc", "val_pixel", "val_total"):
        assert len(history[name]) == 2 and np.all(np.isfinite(history[name])), name


def test_same_seed_same_training(corpus, trained):
    again = build(corpus)
    again.train(corpus, epochs=2, batch_size=2, seed=0, verbose=0)
    assert again.train_result.history.history == trained.train_result.history.history
    for a, b in zip(again.network.get_weights(), trained.network.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_nanwatch_stops_train_at_the_first_nonfinite_step(corpus):
    model = build(corpus)
    x = model.training_data(corpus, "train")
    order = fit.SeededBatches(x, None, 2, seed=0).permutation(0)
    x[order[2]] = np.inf  # the first clip of the second batch of epoch 0
    before = [w.copy() for w in model.network.get_weights()]
    result = fit.train(model.network, x, epochs=3, batch_size=2, seed=0, verbose=0)
    assert not result.finite and "stopped" in str(result)
    assert result.event.step == 2 and result.event.epoch == 0 and result.event.batch == 1
    assert result.steps == 2 and result.epochs == 1  # no third step, no second epoch
    after = model.network.get_weights()
    assert all(np.all(np.isfinite(w)) for w in after)
    # the weights of the one finite step, not the initial ones
    assert any(not np.array_equal(a, b) for a, b in zip(before, after))


# ------------------------------------------------------------ evaluation


EXPECTED_KEYS = {
    "recon_snr_db", "recon_sc_db", "recon_lsd_db", "recon_mrstft", "hum_recon_f0_in_band",
    "hum_recon_f0_error_hz", "consistency_sc_db", "fd_gen", "fd_floor", "fd_ratio", "ndb_k",
    "ndb_k_floor", "f0_wasserstein_hz", "f0_median_gen_hz", "f0_median_data_hz",
    "gen_share_hum_band", "data_share_hum_band", "gen_hum_f0_median_hz", "floor_snr_db",
    "floor_sc_db", "floor_lsd_db", "floor_mrstft", "generate_x_realtime", "train_seconds",
    "train_examples_per_s", "nonfinite_steps", "train_steps", "eval_seconds",
}


def test_evaluate_model_has_every_metric_and_the_floor(corpus, trained, scores):
    out, waves = scores
    assert EXPECTED_KEYS <= set(out)
    assert out["n_generated"] == 6 and out["n_test"] == 2
    assert 0.0 <= out["ndb_k"] <= 1.0 and out["fd_gen"] >= 0
    assert np.isfinite(out["consistency_sc_db"])  # a magnitude decoder: measurable
    assert out["train_steps"] == 4 and out["nonfinite_steps"] == 0
    assert out["train_seconds"] == trained.train_result.seconds
    # Griffin-Lim on the true magnitudes is the floor: a 4-step model is worse.
    assert out["floor_sc_db"] < out["recon_sc_db"]
    # The floor is the representation's own round trip, measured like a model.
    original = corpus.waves("test")
    np.testing.assert_array_equal(waves["original"], original)
    assert waves["floor"].shape == waves["recon"].shape == original.shape
    floor = evaluate.reconstruction_metrics(CFG, original, waves["floor"],
                                            corpus.labels("test"), corpus.metas("test"))
    for key in ("snr_db", "sc_db", "lsd_db", "mrstft"):
        assert out["floor_" + key] == pytest.approx(floor["recon_" + key]), key
    np.testing.assert_allclose(waves["lowpass"], lowpass_reference(original, CFG), atol=1e-6)
    assert waves["generated"].shape == (6, N_SAMPLES)
    assert waves["f0_generated"].shape == (6,) and waves["f0_data"].shape == (2,)
    json.dumps(out)  # plain numbers: the dict can be written as JSON


def test_comparison_table_puts_models_side_by_side(corpus, scores, if_model):
    results = {"magnitude": scores[0],
               "logmag_if": evaluate.evaluate_model(if_model, corpus, n_generated=6)}
    lines = evaluate.comparison_table(results).splitlines()
    assert lines[0] == "| metric | unit | magnitude | logmag_if | better |"
    assert lines[1] == "|---|---|---:|---:|---|"
    # Every row's key is in some result: one line per row, two value cells each.
    assert len(lines) == 2 + len(evaluate.TABLE_ROWS)
    assert all(line.count("|") == 6 for line in lines)
    # The untrained model has no training time: an empty cell, not a number.
    seconds = next(line for line in lines if line.startswith("| training time"))
    assert seconds == (f"| training time | s | "
                       f"{evaluate.format_value(results['magnitude']['train_seconds'])} |  "
                       f"| lower |")
    floor = next(line for line in lines if "round trip (floor)" in line)
    for name in results:
        assert evaluate.format_value(results[name]["floor_lsd_db"]) in floor
    assert any("Frechet" in line for line in lines) and any("NDB/K" in line for line in lines)
    lsd = next(line for line in lines if "reconstruction: log-spectral" in line)
    assert lsd.endswith("| lower |")
