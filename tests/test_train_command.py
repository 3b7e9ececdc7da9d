"""``python -m beeutils.train``: synthetic corpus or a folder, bad input, resume."""

import json

import keras
import numpy as np
import pytest
import soundfile as sf

from beeutils import generate, train
from beeutils.data import synth
from beeutils.models.audio_model import AudioModel

FAST = ["--epochs", "2", "--batch-size", "4", "--clips-per-kind", "3"]


class Interrupt(keras.callbacks.Callback):
    """Stops a run after its first epoch, as Ctrl-C would."""

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            raise KeyboardInterrupt


@pytest.fixture(scope="module")
def hive(tmp_path_factory):
    """A folder of wav recordings in class subfolders, 3 files per class."""
    root = tmp_path_factory.mktemp("hive")
    for label, kind in (("bee", "hum"), ("nobee", "nobee")):
        (root / label).mkdir()
        for i in range(3):
            wave, _ = synth.synthesize(kind, duration=4.2, seed=i)
            sf.write(root / label / f"{label}_{i}.wav", wave, 16000)
    return root


def _kinds(n=2):
    return ",".join(synth.KINDS[:n])


def test_trains_on_the_synthetic_corpus_and_generate_reads_it(tmp_path, capsys):
    out = tmp_path / "m.keras"
    assert train.main(["--approach", "logmag_if", "--kinds", _kinds(), "--out", str(out),
                       *FAST]) == 0
    printed = capsys.readouterr().out
    assert "wrote" in printed and "2 epochs" in printed
    model = AudioModel.load(out)
    assert model.approach == "logmag_if" and model.kinds == tuple(sorted(synth.KINDS[:2]))
    assert not train.backup_dir(out).exists()  # removed once training ended
    assert generate.main(["--model", str(out), "--n", "2", "--out", str(tmp_path / "g"),
                          "--no-png"]) == 0
    assert len(list((tmp_path / "g").glob("*.wav"))) == 2


def test_trains_a_conditional_bank_on_a_folder_of_recordings(tmp_path, hive, capsys):
    out = tmp_path / "hive.keras"
    assert train.main(["--approach", "oscillator", "--data", str(hive), "--conditional",
                       "--out", str(out), *FAST]) == 0
    printed = capsys.readouterr().out
    assert "--epochs" in printed  # a short run on a small folder says what would match the corpus
    model = AudioModel.load(out)
    assert model.conditional and model.kinds == ("bee", "nobee")
    assert generate.main(["--model", str(out), "--kind", "nobee", "--n", "1", "--out",
                          str(tmp_path / "g"), "--no-png"]) == 0
    assert [p.name for p in (tmp_path / "g").glob("*.wav")] == ["nobee_00.wav"]


def test_the_budget_in_steps_and_the_epochs_that_match_the_benchmarks():
    # 76 real-hive segments in batches of 32: 3 steps an epoch; the bank has
    # 60 epochs of 8 steps (256 corpus clips) in the benchmark: 480 steps.
    assert train.budget_text("oscillator", 76, 60, 32, on_corpus=False) == (
        "3 steps of 32 clips per epoch: 180 steps in 60 epochs; on the synthetic corpus "
        "the benchmark gives oscillator 480 steps, which --epochs 160 would give it here")
    assert train.budget_text("oscillator", 76, 160, 32, on_corpus=False) == (
        "3 steps of 32 clips per epoch: 480 steps in 160 epochs")
    # magnitude: batches of 4, 30 epochs of 64 steps
    assert train.budget_text("magnitude", 76, 30, 4, on_corpus=False).endswith(
        "gives magnitude 1920 steps, which --epochs 102 would give it here")
    assert train.budget_text("magnitude", 256, 30, 4) == (
        "64 steps of 4 clips per epoch: 1920 steps in 30 epochs")


@pytest.mark.parametrize("args, message", [
    (["--approach", "wavenet"], "unknown approach 'wavenet'"),
    (["--kinds", "hum,tuba"], "unknown kind(s) tuba"),
    (["--epochs", "0"], "must be at least 1"),
    (["--network", "modulation_weight"], "expected FIELD=VALUE"),
    (["--network", "modulation=0.01"], "VAEGANConfig has no field(s) ['modulation']"),
])
def test_bad_arguments_exit_2_with_one_line(tmp_path, capsys, args, message):
    assert train.main([*args, "--out", str(tmp_path / "m.keras")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_a_folder_with_no_readable_audio_exits_2(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no audio here")
    assert train.main(["--data", str(tmp_path / "empty"), "--out",
                       str(tmp_path / "m.keras")]) == 2
    err = capsys.readouterr().err.strip()
    assert "no audio files" in err and "\n" not in err
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "a.wav").write_bytes(b"RIFF not really a wav")
    assert train.main(["--data", str(tmp_path / "broken"), "--out",
                       str(tmp_path / "m.keras")]) == 2
    assert "error:" in capsys.readouterr().err


def test_resume_refuses_a_model_of_another_approach(tmp_path, capsys):
    out = tmp_path / "m.keras"
    assert train.main(["--approach", "magnitude", "--kinds", _kinds(), "--out", str(out),
                       "--epochs", "1", "--batch-size", "4", "--clips-per-kind", "3"]) == 0
    capsys.readouterr()
    assert train.main(["--approach", "real_imag", "--kinds", _kinds(), "--out", str(out),
                       "--resume", *FAST]) == 2
    assert "holds a magnitude model, not real_imag" in capsys.readouterr().err


def test_an_interrupted_run_resumes_to_the_same_weights(tmp_path):
    """Epoch 1 of a resumed run repeats epoch 1 of an uninterrupted one on CPU:
    same batches, same sampling noise, same optimiser state."""
    settings = dict(approach="magnitude", kinds=synth.KINDS[:2], epochs=2, batch_size=4,
                    clips_per_kind=3, seed=0, verbose=0)
    whole = AudioModel.load(train.train_command(out=tmp_path / "whole.keras", **settings))
    out = tmp_path / "resumed.keras"
    with pytest.raises(KeyboardInterrupt):
        train.train_command(out=out, callbacks=[Interrupt()], **settings)
    backup = train.backup_dir(out)
    assert json.loads((backup / "model.json").read_text())["approach"] == "magnitude"
    assert not out.exists()
    resumed = AudioModel.load(train.train_command(out=out, resume=True, **settings))
    for a, b in zip(whole.network.get_weights(), resumed.network.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_the_bank_adds_an_adversarial_stage_on_request(tmp_path, capsys):
    out = tmp_path / "bank.keras"
    assert train.main(["--approach", "oscillator", "--kinds", _kinds(), "--out", str(out),
                       "--adversarial-epochs", "1", *FAST]) == 0
    assert "3 epochs" in capsys.readouterr().out  # 2 of reconstruction, 1 adversarial
    assert AudioModel.load(out).network.stage == "adversarial"
    assert not train.backup_dir(out).exists()
    for args, message in ((["--approach", "magnitude"], "no separate adversarial stage"),
                          (["--approach", "oscillator", "--adversarial-epochs", "-1"],
                           "must be at least 0")):
        argv = [*args, "--kinds", _kinds(), "--out", str(tmp_path / "m.keras"), *FAST]
        if "--adversarial-epochs" not in args:
            argv += ["--adversarial-epochs", "1"]
        assert train.main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and "\n" not in err
    assert not train.backup_dir(tmp_path / "m.keras").exists()  # refused before any backup


def test_the_batch_size_is_the_approachs_unless_given(tmp_path, monkeypatch):
    from beeutils.models.configs import TRAINING_BATCH_SIZE

    class Stop(Exception):
        """Ends the run where training would start."""

    asked = []

    def recording_train(self, corpus, **kwargs):
        asked.append((self.approach, kwargs["batch_size"]))
        raise Stop

    monkeypatch.setattr(AudioModel, "train", recording_train)
    for approach, batch_size in (("magnitude", None), ("oscillator", None), ("magnitude", 8)):
        with pytest.raises(Stop):
            train.train_command(approach, kinds=synth.KINDS[:2], epochs=1, clips_per_kind=3,
                                batch_size=batch_size, out=tmp_path / f"{approach}.keras",
                                verbose=0)
    assert asked == [("magnitude", 4), ("oscillator", 32), ("magnitude", 8)]
    assert TRAINING_BATCH_SIZE["magnitude"] == 4 and TRAINING_BATCH_SIZE["oscillator"] == 32


def test_network_changes_reach_the_model_and_its_description(tmp_path, monkeypatch):
    class Stop(Exception):
        """Ends the run where training would start."""

    trained = []

    def recording_train(self, corpus, **kwargs):
        trained.append(self.config)
        raise Stop

    monkeypatch.setattr(AudioModel, "train", recording_train)
    out = tmp_path / "m.keras"
    with pytest.raises(Stop):
        train.main(["--kinds", _kinds(), "--epochs", "1", "--clips-per-kind", "3",
                    "--network", "modulation_weight=0.01", "--network", "latent_dim=8",
                    "--out", str(out)])
    (config,) = trained
    assert config.network.modulation_weight == 0.01 and config.network.latent_dim == 8
    assert config.network.pixel_weight == 1.0                       # the rest as by default
    described = json.loads((train.backup_dir(out) / "model.json").read_text())
    assert described["network"]["modulation_weight"] == 0.01    # --resume checks against it
