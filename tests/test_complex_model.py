"""The complex (real/imaginary) model judged by its sound: the in-graph inverse
STFT, the phase-free losses, and a tiny run whose losses stay finite and fall."""

import dataclasses

import numpy as np
import pytest

from beeutils.data import datasets
from beeutils.dsp.representations import make_representation
from beeutils.dsp.spectral import STFTConfig, magnitudes
from beeutils.evaluation import metrics
from beeutils.models import losses
from beeutils.models.audio_model import AudioModel
from beeutils.models.configs import ModelConfig, VAEGANConfig
from beeutils.models.layers import CompressedComplexToWave

CFG = STFTConfig(n_frames=32)  # 0.512 s clips
TINY = VAEGANConfig(latent_dim=4, widths=(4, 8), encoder_widths=(4, 8), disc_widths=(4,),
                    dense_units=16, waveform_weight=100.0, log_magnitude_weight=0.1)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return datasets.make_corpus(kinds=("hum", "queen_toot"), clips_per_kind=6,
                                duration=0.512, seed=0, root=tmp_path_factory.mktemp("c"))


def test_the_graph_inverse_is_the_representations_decode(corpus):
    waves = corpus.waves("train")
    rep = make_representation("real_imag", CFG).fit(waves)
    arrays = rep.encode_batch(waves[:3])
    layer = CompressedComplexToWave(dataclasses.asdict(CFG), rep.alpha, rep.scale.tolist(),
                                    waves.shape[-1])
    ours = np.asarray(layer(arrays.astype(np.float32)))
    reference = rep.decode_batch(arrays)
    assert ours.shape == reference.shape == waves[:3].shape
    # float32 graph against the float64 NumPy decode: 60 dB or better.
    err = np.sum((ours - reference) ** 2) / np.sum(reference ** 2)
    assert 10 * np.log10(err) < -60
    rebuilt = CompressedComplexToWave.from_config(layer.get_config())
    np.testing.assert_array_equal(np.asarray(rebuilt(arrays.astype(np.float32))), ours)


def test_inconsistency_is_small_for_a_real_stft_and_large_for_noise(corpus):
    waves = corpus.waves("train")[:3]
    rep = make_representation("real_imag", CFG).fit(corpus.waves("train"))
    layer = CompressedComplexToWave(dataclasses.asdict(CFG), rep.alpha, rep.scale.tolist(),
                                    waves.shape[-1])
    arrays = rep.encode_batch(waves).astype(np.float32)
    drawn, heard = layer.round_trip(arrays)
    assert tuple(drawn.shape) == tuple(heard.shape) == (3, CFG.n_freq_keep, CFG.n_frames)
    # The STFT of a signal, cut to the model's 2 kHz and frames: only the
    # edges of the crop leak (measured 0.025, -32 dB).
    assert float(losses.spectral_inconsistency(drawn, heard)) < 0.05
    # Independent random bins: the frames disagree, most of the drawn energy
    # does not survive the round trip (measured 0.87).
    noise = np.random.default_rng(0).normal(size=arrays.shape).astype(np.float32)
    assert float(losses.spectral_inconsistency(*layer.round_trip(noise))) > 0.7
    # Silence stays finite (the ratio's eps), and the gradient reaches the arrays.
    import tensorflow as tf

    zeros = tf.Variable(np.zeros_like(arrays))
    with tf.GradientTape() as tape:
        value = losses.spectral_inconsistency(*layer.round_trip(zeros))
    assert np.isfinite(float(value)) and np.all(np.isfinite(tape.gradient(value, zeros)))


def test_log_magnitude_distance_ignores_phase_and_sees_level():
    rng = np.random.default_rng(0)
    mag = rng.uniform(0.1, 1.0, (2, 8, 5))
    phase = rng.uniform(-np.pi, np.pi, (2, 8, 5))
    x = np.stack([mag * np.cos(phase), mag * np.sin(phase)], axis=-1).astype(np.float32)
    rotated = np.stack([mag * np.cos(phase + 1.0), mag * np.sin(phase + 1.0)], axis=-1)
    assert float(losses.complex_log_magnitude_distance(x, rotated.astype(np.float32))) < 1e-3
    # Half the level: log 2 per bin (minus the eps effect), summed over 40 bins.
    half = float(losses.complex_log_magnitude_distance(x, 0.5 * x))
    assert 0.9 * 40 * np.log(2) < half < 40 * np.log(2)
    # A squared error on the parts, by contrast, punishes the rotation.
    assert float(losses.mse_pixels(x, rotated.astype(np.float32))) > 1.0


def test_the_complex_model_trains_finite_and_falling(corpus):
    model = AudioModel.build(ModelConfig("real_imag", CFG, TINY), corpus, seed=0)
    result = model.train(corpus, epochs=15, batch_size=4, verbose=0)
    history = result.history.history
    assert result.finite
    for term in ("waveform", "logmag", "enc_loss", "dec_loss"):
        values = np.asarray(history[term])
        assert np.all(np.isfinite(values)), term
    assert history["waveform"][-1] < history["waveform"][0]
    assert history["logmag"][-1] < history["logmag"][0]
    waves = corpus.waves("train")
    recon = model.reconstruct(waves)
    assert np.all(np.isfinite(recon)) and np.all(np.isfinite(model.generate(4, seed=0)))
    # The same network trained on the squared error of the parts alone
    # regresses towards zero: far quieter than the one judged by its sound
    # (measured: 24 times quieter after these 15 epochs).
    pointwise = AudioModel.build(ModelConfig("real_imag", CFG, TINY.replace(
        waveform_weight=0.0, log_magnitude_weight=0.0)), corpus, seed=0)
    pointwise.train(corpus, epochs=15, batch_size=4, verbose=0)
    quiet = pointwise.reconstruct(waves)
    assert np.sqrt(np.mean(recon ** 2)) > 5 * np.sqrt(np.mean(quiet ** 2))


def test_the_consistency_loss_makes_the_drawn_stft_consistent(corpus):
    # The same tiny run with and without the consistency term: with it, the
    # term falls and the magnitudes drawn for prior samples come closer to
    # those of the sound produced (the benchmark's consistency row), decoded
    # with the plain inverse STFT (Griffin-Lim would mend both).
    def consistency_db(weight):
        model = AudioModel.build(ModelConfig("real_imag", CFG, TINY.replace(
            consistency_weight=weight), representation_options={"refine_iter": 0}),
            corpus, seed=0)
        history = model.train(corpus, epochs=15, batch_size=4, verbose=0).history.history
        z = model.prior_latents(8, seed=0)
        produced = magnitudes(model.decode(z), CFG)
        return history["consistency"], float(np.mean(
            metrics.spectral_convergence_db(model.intended_magnitudes(z), produced)))

    terms, with_term = consistency_db(1000.0)
    assert terms[-1] < 0.7 * terms[0]
    zeros, without = consistency_db(0.0)
    assert zeros == [0.0] * len(zeros)
    assert with_term < without - 3.0


def test_the_complex_model_saves_and_loads_with_its_losses(corpus, tmp_path):
    model = AudioModel.build(ModelConfig("real_imag", CFG, TINY.replace(
        waveform_fft_overlap=0.5)), corpus, seed=0)
    path = model.save(tmp_path / "ri.keras")
    loaded = AudioModel.load(path)
    assert loaded.network.waveform_weight == TINY.waveform_weight
    assert loaded.network.log_magnitude_weight == TINY.log_magnitude_weight
    assert model.network.waveform_fft_overlap == loaded.network.waveform_fft_overlap == 0.5
    np.testing.assert_array_equal(loaded.generate(2, seed=3), model.generate(2, seed=3))


def test_the_waveform_loss_uses_the_overlap_asked_for(corpus, monkeypatch):
    model = AudioModel.build(ModelConfig("real_imag", CFG, TINY.replace(
        waveform_fft_overlap=0.5)), corpus, seed=0)
    batch = model.representation.encode_batch(corpus.waves("train")[:2]).astype(np.float32)
    overlaps = []
    original = losses.multi_resolution_stft_loss

    def recording(*args, **kwargs):
        overlaps.append(kwargs.get("overlap"))
        return original(*args, **kwargs)

    monkeypatch.setattr(losses, "multi_resolution_stft_loss", recording)
    assert float(model.network.compute_losses(batch)["waveform"]) > 0.0
    assert overlaps == [0.5]


def test_the_waveform_loss_needs_a_complex_representation(corpus):
    with pytest.raises(ValueError, match="real_imag"):
        AudioModel.build(ModelConfig("magnitude", CFG, TINY.replace(log_magnitude_weight=0.0)),
                         corpus, seed=0)
    with pytest.raises(ValueError, match="2-channel"):
        AudioModel.build(ModelConfig("magnitude", CFG, TINY.replace(waveform_weight=0.0)),
                         corpus, seed=0)
