"""Broken clips (silent, clipped, NaN/inf) are reported, never passed on quietly."""

import json

import numpy as np
import pytest
import soundfile as sf

from beeutils import generate
from beeutils.data import datasets
from beeutils.dsp.spectral import STFTConfig
from beeutils.evaluation.broken import (
    CLIPPED_FRACTION,
    SILENT_PEAK,
    BrokenReport,
    broken_report,
    zero_nonfinite,
)
from beeutils.models.audio_model import AudioModel
from beeutils.models.configs import ModelConfig, OscillatorConfig, VAEGANConfig

N = 4000
TONE = (0.5 * np.sin(2 * np.pi * 440 * np.arange(N) / 16000)).astype(np.float32)


# ------------------------------------------------------------- the report


def test_each_kind_of_broken_clip_lands_in_its_bin():
    clipped = np.clip(3 * TONE, -1, 1)  # flattened tops: most samples at full scale
    nan = TONE.copy()
    nan[10] = np.nan
    inf = np.zeros(N, np.float32)
    inf[0] = np.inf  # otherwise silent: counted non-finite only
    waves = np.stack([TONE, np.zeros(N), 0.5 * SILENT_PEAK * TONE, clipped, nan, inf])
    report = broken_report(waves)
    assert report == BrokenReport(n=6, silent=(1, 2), clipped=(3,), nonfinite=(4, 5))
    assert report.n_broken == 5 and report.ok == (0,) and not report.all_broken
    assert report.summary() == ("5 of 6 clips broken: 2 silent (peak < 0.0001), 1 clipped "
                                "(|x| >= 1 at > 0.1% of samples), 2 non-finite (NaN/inf)")
    assert json.loads(json.dumps(report.to_dict())) == {
        "n": 6, "n_broken": 5, "n_ok": 1, "silent": 2, "clipped": 1, "nonfinite": 2}
    with pytest.raises(AttributeError):
        report.n = 3  # type: ignore[misc]


def test_fine_clips_and_the_clipping_threshold():
    report = broken_report(np.stack([TONE, -TONE, 2 * SILENT_PEAK * TONE / 0.5]))
    assert report.n_broken == 0 and report.ok == (0, 1, 2)
    assert report.summary() == "0 of 3 clips broken"
    few = TONE.copy()
    few[: int(CLIPPED_FRACTION * N)] = 1.0  # exactly the allowed fraction: still fine
    many = TONE.copy()
    many[: int(CLIPPED_FRACTION * N) + 1] = -1.0
    assert broken_report(np.stack([few, many])).clipped == (1,)


def test_one_clip_and_bad_shapes():
    report = broken_report(np.zeros(N))
    assert report == BrokenReport(n=1, silent=(0,)) and report.all_broken
    assert report.summary().startswith("1 of 1 clip broken: 1 silent")
    assert broken_report(TONE).ok == (0,)
    assert broken_report(np.zeros((0, N))).all_broken is False  # nothing to judge
    for bad in (np.float32(0.5), np.zeros((2, 3, N))):
        with pytest.raises(ValueError, match=r"\(n, samples\)"):
            broken_report(bad)


def test_zero_nonfinite_keeps_the_finite_samples():
    wave = np.array([0.25, np.nan, -np.inf, np.inf, -0.5])
    out = zero_nonfinite(wave)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [0.25, 0, 0, 0, -0.5])
    assert np.isnan(wave[1])  # the input is left alone


# ------------------------------------------------- the generate command

CFG = STFTConfig(n_frames=32)  # 0.512 s clips
TINY = VAEGANConfig(latent_dim=4, widths=(4, 8), encoder_widths=(4, 8), disc_widths=(4,),
                    dense_units=16)
TINY_BANK = OscillatorConfig(latent_dim=4, encoder_widths=(4, 8), dense_units=16,
                             decoder_width=8, f0_width=4, n_harmonics=8, n_noise_bands=9)


def _poison(model, value):
    """Set every weight of ``model`` (a Keras model) to ``value``."""
    for layer in model.layers:
        if layer.get_weights():
            layer.set_weights([np.full_like(w, value) for w in layer.get_weights()])


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Untrained tiny models saved as they are, silenced and poisoned.

    - ``fine``: an untrained oscillator bank (peaks near 0.06: quiet, but
      sound; an untrained real/imag decoder is near-silent, below 1e-5);
    - ``silent``: a real/imag model whose last convolution is all zeros, so
      it outputs 0 (tanh(0)); 0 in that representation is an all-zero
      spectrum, i.e. silence;
    - ``nan``: an oscillator bank with NaN control-decoder weights: the bank
      writes the audio itself, so every sample comes out NaN;
    - ``nan_spectrogram``: the real/imag model with a NaN last convolution,
      which the representation refuses to invert.
    """
    root = tmp_path_factory.mktemp("broken_models")
    corpus = datasets.make_corpus(kinds=("hum", "nobee"), clips_per_kind=2, duration=0.512,
                                  seed=0, root=root / "corpus")
    bank = AudioModel.build(ModelConfig("oscillator", CFG, TINY_BANK), corpus, seed=0)
    paths = {"fine": bank.save(root / "fine")}
    _poison(bank.network.control_decoder, np.nan)
    paths["nan"] = bank.save(root / "nan")
    model = AudioModel.build(ModelConfig("real_imag", CFG, TINY), corpus, seed=0)
    last = model.network.decoder.get_layer("to_output")
    for name, value in (("silent", 0.0), ("nan_spectrogram", np.nan)):
        last.set_weights([np.full_like(w, value) for w in last.get_weights()])
        paths[name] = model.save(root / name)
    return paths


def _run(model, out, n=3, png=False):
    return generate.main(["--model", str(model), "--n", str(n), "--out", str(out),
                          *([] if png else ["--no-png"])])


def test_a_silent_model_exits_1_and_says_why(tmp_path, models, capsys):
    assert _run(models["silent"], tmp_path, n=2, png=True) == 1
    err = capsys.readouterr().err.strip()
    assert err == "error: every clip is broken: 2 of 2 clips broken: 2 silent (peak < 0.0001)"
    # Still written, so the silence can be checked by ear (and by eye).
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "sample_00.png", "sample_00.wav", "sample_01.png", "sample_01.wav"]


def test_a_nan_model_exits_1_and_writes_valid_wavs(tmp_path, models, capsys):
    result = generate.generate_clips(models["nan"], tmp_path / "direct", n=2, png=False)
    assert result.report.nonfinite == (0, 1) and result.report.all_broken
    assert _run(models["nan"], tmp_path / "cli") == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: every clip is broken: 3 of 3 clips broken: 3 non-finite")
    assert "\n" not in err
    wave, _ = sf.read(tmp_path / "cli" / "sample_00.wav")
    assert np.all(wave == 0)  # NaN written as 0: a valid, silent file


def test_nan_spectrograms_are_refused_before_any_audio(tmp_path, models, capsys):
    """A spectrogram model's NaN never becomes audio: the representation
    refuses to invert it, and the command says so as for any bad model."""
    assert _run(models["nan_spectrogram"], tmp_path) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "inf or NaN" in err and "\n" not in err


def test_some_broken_clips_warn_and_exit_0(tmp_path, models, capsys, monkeypatch):
    real_generate = AudioModel.generate

    def partly_broken(self, n, kind=None, seed=0, texture=False):
        waves = real_generate(self, n, kind=kind, seed=seed, texture=texture)
        waves[0] = 0.0
        waves[2, 5] = np.nan
        return waves

    monkeypatch.setattr(AudioModel, "generate", partly_broken)
    assert _run(models["fine"], tmp_path, n=4) == 0
    out, err = capsys.readouterr()
    assert "wrote 4 clips" in out
    assert err.strip() == ("warning: 2 of 4 clips broken: 1 silent (peak < 0.0001), "
                           "1 non-finite (NaN/inf)")
    assert len(list(tmp_path.glob("*.wav"))) == 4
    assert generate.generate_files(models["fine"], tmp_path / "again", n=4,
                                   png=False)[0].name == "sample_00.wav"


def test_a_fine_model_prints_no_warning(tmp_path, models, capsys):
    assert _run(models["fine"], tmp_path, n=2) == 0
    assert capsys.readouterr().err == ""


# ------------------------------------------------------------ the widget


class HalfSilent:
    """A stand-in model: clip 0 silent, clip 1 NaN, the rest a tone."""

    sr = 16000
    kinds = ("hum",)
    conditional = False
    draws_spectrograms = False

    def generate(self, n, kind=None, seed=0, texture=False):
        waves = np.tile(TONE, (n, 1))
        waves[0] = 0.0
        waves[1, :3] = np.nan
        return waves


def test_the_panel_reports_a_silent_model(tmp_path, models):
    from beeutils.ui.generator_widgets import GeneratorPanel

    panel = GeneratorPanel(AudioModel.load(models["silent"]), out_dir=tmp_path, render=False)
    assert panel.last_report is None
    panel.n.value = 2
    panel.generate_button.click()
    assert panel.last_report == BrokenReport(n=2, silent=(0, 1))
    assert "2 of 2 clips broken: 2 silent" in panel.status.value


def test_the_panel_plays_and_saves_nan_clips_as_zeros(tmp_path):
    from beeutils.ui.generator_widgets import GeneratorPanel

    panel = GeneratorPanel(HalfSilent(), out_dir=tmp_path, n=4, render=False)
    waves = panel.generate()
    assert panel.last_report.silent == (0,) and panel.last_report.nonfinite == (1,)
    assert panel.last_report.ok == (2, 3)
    assert "4 x sample" in panel.status.value and "2 of 4 clips broken" in panel.status.value
    assert np.all(np.isfinite(waves)) and np.all(waves[1, :3] == 0)
    assert len(panel.save()) == 4  # no AudioError on the NaN clip
    panel.model.generate = lambda n, kind=None, seed=0, texture=False: np.tile(TONE, (n, 1))
    panel.generate()
    assert panel.last_report.n_broken == 0 and "broken" not in panel.status.value
