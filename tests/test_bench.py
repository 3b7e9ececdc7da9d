"""The benchmark command: JSON schema, sanity, table, on a tiny budget."""

import dataclasses
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from beeutils.evaluation import bench
from beeutils.models import configs
from beeutils.models.configs import APPROACHES

TINY = bench.BenchSettings(clips_per_kind=3, duration=0.512, epochs=1, batch_size=4,
                           n_generated=8, n_per_kind=2, gl_clips=4, gl_iter=4, synth_repeats=1)
#: Two seeds of the two quickest approaches: the multi-seed path in seconds.
TINY_PAIR = dataclasses.replace(TINY, approaches=("magnitude", "logmag_if"), conditional=())


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    path = folder / "bench.json"
    original = bench.QUICK
    bench.QUICK = TINY  # the --quick code path, with a budget a test can afford
    try:
        with warnings.catch_warnings():
            # One training clip per kind is too few for a mixture prior: the
            # model says so and keeps N(0, I), as it should on a tiny budget.
            warnings.filterwarnings("ignore", message="kept the normal prior")
            assert bench.main(["--quick", "--json", str(path),
                               "--save-models", str(folder / "models")]) == 0
    finally:
        bench.QUICK = original
    out = json.loads(path.read_text())
    out["_folder"] = folder
    return out


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """``--quick --seeds 0 1`` on ``TINY_PAIR``."""
    path = tmp_path_factory.mktemp("bench_seeds") / "bench.json"
    original = bench.QUICK
    bench.QUICK = TINY_PAIR
    try:
        assert bench.main(["--quick", "--seeds", "0", "1", "--json", str(path)]) == 0
    finally:
        bench.QUICK = original
    return json.loads(path.read_text())


def test_trained_models_are_saved_for_the_generate_command(results):
    from beeutils.models.audio_model import AudioModel

    for name in bench.FULL.approaches:
        loaded = AudioModel.load(results["_folder"] / "models" / f"{name}.keras")
        assert loaded.approach == name
        assert loaded.generate(1, seed=0).shape == (1, int(TINY.duration * 16000))


def test_json_has_the_documented_keys(results):
    assert {"synthesis", "stft", "griffin_lim", "models", "machine", "code", "settings",
            "seconds"} <= set(results) - {"_folder"}
    by_kind = [f"{name}_by_kind" for name in TINY.conditional]
    assert [m["name"] for m in results["models"]] == list(bench.FULL.approaches) + by_kind
    for row in results["models"]:
        assert set(bench.MODEL_KEYS) <= set(row), row["name"]
        conditional = row["name"].endswith("_by_kind")
        assert (set(bench.CONDITIONAL_KEYS) <= set(row)) == conditional, row["name"]
        if conditional:
            assert 0 <= row["cond_min_kind_accuracy"] <= row["cond_accuracy"] <= 1
            assert set(row["cond_per_kind"]) == set(row["data_kind_share"])
        assert 0 <= row["gen_kind_share_error"] <= 1
        assert sum(row["gen_kind_share"].values()) == pytest.approx(1.0)
        # the default grid holds 0.9 of every kind's energy
        assert row["band_share_min"] >= 0.9
    assert results["machine"]["device"] in ("CPU", "GPU")
    assert results["settings"]["clips_per_kind"] == TINY.clips_per_kind


def test_the_machine_line_names_the_processor_model_when_it_is_known(monkeypatch):
    machine = bench.machine_info()
    model = bench.cpu_model()
    assert machine["cpu_model"] == model
    assert model is None or (isinstance(model, str) and model and model == model.strip())

    def machine_line(machine: dict) -> str:
        return bench.results_table({"machine": machine}).splitlines()[0]

    named = {**machine, "device": "CPU", "cpu": "x86_64", "cpu_count": 2,
             "cpu_model": "Example CPU 9000"}
    assert machine_line(named).startswith("Machine: CPU (2 cores, x86_64, Example CPU 9000), ")
    # results written before the model was recorded keep their line
    unnamed = {key: value for key, value in named.items() if key != "cpu_model"}
    assert machine_line(unnamed).startswith("Machine: CPU (2 cores, x86_64), TensorFlow ")
    # no /proc/cpuinfo: what platform knows, never the bare architecture again
    def no_file(*args, **kwargs):
        raise OSError("no such file")

    monkeypatch.setattr("builtins.open", no_file)
    monkeypatch.setattr(bench.platform, "processor", lambda: "x86_64")
    monkeypatch.setattr(bench.platform, "machine", lambda: "x86_64")
    assert bench.cpu_model() is None
    monkeypatch.setattr(bench.platform, "processor", lambda: "Example CPU 9000")
    assert bench.cpu_model() == "Example CPU 9000"


def test_the_realisation_reference_is_measured_on_the_held_out_clips(results):
    ref = results["realisation"]
    assert ref["seed"] == 0 and ref["split"] == "test"
    from beeutils.data.synth import KINDS

    assert set(ref["lsd_db_per_kind"]) == set(KINDS)
    assert ref["n_clips"] == len(KINDS)  # one test clip per kind in a corpus of 3 per kind
    # two realisations differ by their noise (a 0.5 s clip fills a quarter
    # of the grid's frames, and the empty ones agree: a smaller figure)
    assert 1.0 < ref["lsd_db"] < 15.0 and ref["mrstft"] > 0.1
    assert np.mean(list(ref["lsd_db_per_kind"].values())) == pytest.approx(ref["lsd_db"])
    assert (f"- Another realisation of each of the {ref['n_clips']} test clips of seed 0"
            in bench.results_table(results))


def test_the_realisation_reference_is_the_models_own_yardstick():
    from beeutils.data import synth
    from beeutils.data.readers import training_corpus
    from beeutils.evaluation.evaluate import realisation_metrics, reconstruction_metrics
    from beeutils.models.configs import ModelConfig

    settings = dataclasses.replace(TINY, seeds=(3,), eval_split="validation")
    ref = bench.bench_realisation(settings)
    corpus = training_corpus(None, TINY.clips_per_kind, TINY.duration, 3)
    waves, labels, metas = (corpus.waves("validation"), corpus.labels("validation"),
                            corpus.metas("validation"))
    assert ref["seed"] == 3 and ref["split"] == "validation" and ref["n_clips"] == len(labels)
    again = np.stack([synth.resynthesize(m, seed=m["seed"] + 1)[0] for m in metas])
    expected = reconstruction_metrics(ModelConfig().stft, waves, again, labels, metas)
    assert ref["lsd_db"] == pytest.approx(expected["recon_lsd_db"])
    assert ref["mrstft"] == pytest.approx(expected["recon_mrstft"])
    assert realisation_metrics(ModelConfig().stft, waves, labels, metas) == expected
    # the clip itself would score a perfect reconstruction: the reference is
    # the noise, not the measurement
    itself = reconstruction_metrics(ModelConfig().stft, waves, waves, labels, metas)
    assert itself["recon_lsd_db"] < 0.1 * ref["lsd_db"]
    with pytest.raises(ValueError, match="no clips"):
        realisation_metrics(ModelConfig().stft, waves[:0], [], [])


def test_quick_runs_one_seed_and_reports_no_spread(results):
    assert results["seeds"] == [0] and results["settings"]["seeds"] == [0]
    (run,) = results["runs"]
    assert run["seed"] == 0 and run["models"] == results["models"]
    for entry in results["aggregate"]:
        for key in ("recon_lsd_db", "silent_clips", "train_examples_per_s"):
            assert entry[key]["sd"] is None and len(entry[key]["values"]) == 1, key
    assert "±" not in bench.results_table(results)


def test_seeded_json_has_per_seed_rows_and_an_aggregate(seeded):
    names = list(TINY_PAIR.approaches)
    assert seeded["seeds"] == [0, 1] and seeded["settings"]["seeds"] == [0, 1]
    assert {"synthesis", "stft", "griffin_lim", "machine", "settings", "seconds", "seeds",
            "runs", "aggregate", "models"} <= set(seeded)
    assert [run["seed"] for run in seeded["runs"]] == [0, 1]
    for run in seeded["runs"]:
        assert [row["name"] for row in run["models"]] == names
        for row in run["models"]:
            assert set(bench.MODEL_KEYS) <= set(row), (run["seed"], row["name"])
            assert 0 <= row["silent_clips"] <= row["n_generated"]
            assert 0 <= row["nonfinite_clips"] <= row["n_generated"]
    assert [entry["name"] for entry in seeded["aggregate"]] == names
    for entry in seeded["aggregate"]:
        for key in bench.MODEL_KEYS[1:]:
            assert set(entry[key]) == {"mean", "sd", "values"}, key
            assert len(entry[key]["values"]) == 2, key
    # The seed reaches the corpus and the weights: the two runs differ.
    lsd = seeded["aggregate"][0]["recon_lsd_db"]["values"]
    assert lsd[0] != lsd[1]
    # ``models`` keeps one scalar row per approach: the means.
    for row, entry in zip(seeded["models"], seeded["aggregate"]):
        assert row["name"] == entry["name"]
        assert row["fd_ratio"] == pytest.approx(entry["fd_ratio"]["mean"])


def test_aggregate_is_numpys_mean_and_sample_sd(seeded):
    for entry in seeded["aggregate"]:
        for key, summary in entry.items():
            if key == "name":
                continue
            per_seed = [next(r[key] for r in run["models"] if r["name"] == entry["name"])
                        for run in seeded["runs"]]
            assert summary["values"] == per_seed, key
            if any(v is None for v in per_seed):  # NaN in a seed: no mean claimed
                assert summary["mean"] is None and summary["sd"] is None, key
                continue
            assert summary["mean"] == pytest.approx(np.mean(per_seed)), key
            assert summary["sd"] == pytest.approx(np.std(per_seed, ddof=1)), key


def test_aggregate_of_one_seed_and_of_a_missing_value():
    runs = [{"seed": k, "models": [{"name": "a", "x": x, "c": c, "label": "t"}]}
            for k, x, c in ((0, 1.0, float("nan")), (1, 2.0, 1.0), (2, 4.0, 2.0))]
    (entry,) = bench.aggregate_runs(runs)
    assert "label" not in entry
    assert entry["x"]["mean"] == pytest.approx(7 / 3)
    assert entry["x"]["sd"] == pytest.approx(np.std([1.0, 2.0, 4.0], ddof=1))
    assert np.isnan(entry["c"]["mean"]) and np.isnan(entry["c"]["sd"])
    (single,) = bench.aggregate_runs(runs[:1])
    assert single["x"] == {"mean": 1.0, "sd": None, "values": [1.0]}


def test_table_shows_mean_and_sd_for_several_seeds(seeded):
    table = bench.results_table(seeded)
    assert "Mean ± sd over 2 seeds" in table
    lsd = next(line for line in table.splitlines()
               if line.startswith("| reconstruction: log-spectral distance"))
    assert lsd.count("±") == len(TINY_PAIR.approaches)
    entry = seeded["aggregate"][0]["recon_lsd_db"]
    digits = 3 if abs(entry["mean"]) < 10 else 1
    assert f"{entry['mean']:.{digits}f} ± {entry['sd']:.{digits}f}" in lsd
    assert "| generation: silent clips" in table and "| generation: clips with NaN" in table
    # The run's own settings and length close the table, so no prose has to type them.
    settings = seeded["settings"]
    spent = sum(row["train_seconds"] + row["eval_seconds"]
                for run in seeded["runs"] for row in run["models"]) / 60
    assert (f"batches of {settings['batch_size']}; {settings['epochs']} epochs for every model; "
            f"the whole run took {seeded['seconds'] / 60:.0f} minutes, of which training and "
            f"measuring the {len(settings['approaches'])} approaches took {spent:.0f}."
            ) in table


def test_model_minutes_split_the_approaches_from_the_models_conditioned_on_kind():
    runs = [{"models": [{"name": "magnitude", "train_seconds": 600.0, "eval_seconds": 60.0},
                        {"name": "magnitude_by_kind", "train_seconds": 240.0,
                         "eval_seconds": 0.0}]},
            {"models": [{"name": "magnitude", "train_seconds": 540.0, "eval_seconds": 0.0}]}]
    assert bench.model_minutes({"runs": runs}) == {"approaches": 20.0, "conditioned": 4.0}
    table = bench.results_table({"runs": runs, "models": runs[0]["models"], "seconds": 1800.0,
                                 "seeds": [0, 1], "settings": {
                                     "approaches": ["magnitude"], "clips_per_kind": 4,
                                     "duration": 2.048, "batch_size": 8, "epochs": 3}})
    assert ("the whole run took 30 minutes, of which training and measuring the 1 approach "
            "took 20 and the models conditioned on kind 4.") in table


def test_the_oscillator_bank_and_logmag_if_train_longer_in_the_runs_that_say_so():
    # Same CPU minutes, not the same steps: FULL and QUICK double the bank's
    # epochs and give logmag_if half as many again, for the models
    # conditioned on kind too (epochs_for takes the approach).
    for settings in (bench.FULL, bench.QUICK):
        assert settings.epochs_for("oscillator") == 2 * settings.epochs
        assert settings.epochs_for("logmag_if") == 1.5 * settings.epochs
        assert settings.epochs_for("magnitude") == settings.epochs
        assert settings.epochs_for("real_imag") == settings.epochs
    assert TINY.epochs_for("oscillator") == TINY.epochs == 1   # unless told, all alike
    line = bench.epochs_text(dataclasses.asdict(bench.FULL))
    assert line == ("30 epochs (60 for oscillator then 20 adversarial, 45 for logmag_if, "
                    "with or without kinds)")
    # A run without the oscillator bank says nothing of its budget.
    without = dataclasses.asdict(dataclasses.replace(
        bench.FULL, approaches=("magnitude", "logmag_if"), conditional=()))
    assert bench.epochs_text(without) == "30 epochs (45 for logmag_if, with or without kinds)"
    alike = dataclasses.asdict(dataclasses.replace(
        bench.FULL, approaches=("magnitude", "real_imag"), conditional=()))
    assert bench.epochs_text(alike) == "30 epochs for every model"
    # JSON hands the mapping back as a dict of numbers; settings rebuild from it.
    again = bench.BenchSettings(**json.loads(json.dumps(dataclasses.asdict(bench.FULL))))
    assert again.epochs_for("oscillator") == 60 and again.seeds == (0, 1, 2)
    assert again.adversarial_epochs_for("oscillator") == 20


def test_only_the_approaches_named_train_an_adversarial_stage():
    for settings in (bench.FULL, bench.QUICK):
        assert settings.adversarial_epochs_for("oscillator") > 0
        for name in ("magnitude", "real_imag", "logmag_if"):
            assert settings.adversarial_epochs_for(name) == 0
    assert TINY.adversarial_epochs_for("oscillator") == 0
    # A run saved before the stage existed still reads as it did.
    old = {"epochs": 30, "epochs_by_approach": {"oscillator": 60}}
    assert bench.epochs_text(old) == "30 epochs (60 for oscillator, with or without kinds)"
    only_adversarial = {"epochs": 8, "adversarial_epochs_by_approach": {"oscillator": 3}}
    assert (bench.epochs_text(only_adversarial)
            == "8 epochs (8 then 3 adversarial for oscillator, with or without kinds)")


def test_bench_models_trains_the_adversarial_stage_and_batches_it_is_given(monkeypatch):
    import math

    from beeutils.data.readers import training_corpus
    from beeutils.models.audio_model import AudioModel

    asked = []
    original_train = AudioModel.train

    def recording_train(self, *args, **kwargs):
        asked.append((kwargs.get("adversarial_epochs"), kwargs.get("batch_size")))
        return original_train(self, *args, **kwargs)

    monkeypatch.setattr(AudioModel, "train", recording_train)
    settings = dataclasses.replace(TINY, approaches=("oscillator", "magnitude"),
                                   conditional=(), batch_size_by_approach={"oscillator": 8},
                                   adversarial_epochs_by_approach={"oscillator": 1})
    one_stage = dataclasses.replace(settings, approaches=("oscillator",),
                                    adversarial_epochs_by_approach={})
    two, one = bench.bench_models(settings), bench.bench_models(one_stage)
    # The magnitude model is asked for no second stage, and for the common batch.
    assert asked == [(1, 8), (0, 4), (0, 8)]
    # The adversarial epoch doubles the oscillator bank's steps, and its
    # time counts in train_seconds; each model takes as many steps an epoch
    # as its batch size gives.
    n_train = len(training_corpus(None, TINY.clips_per_kind, TINY.duration,
                                  TINY.seed).labels("train"))
    assert two[0]["train_steps"] == 2 * one[0]["train_steps"] == 2 * math.ceil(n_train / 8)
    assert two[1]["train_steps"] == math.ceil(n_train / 4)


def test_seed_cells_format():
    from beeutils.evaluation.evaluate import format_value

    assert format_value({"mean": 4.8912, "sd": 0.3104, "values": [4.6, 5.2]}) == "4.891 ± 0.310"
    assert format_value({"mean": 12.71, "sd": 0.282, "values": [12.5, 12.9]}) == "12.7 ± 0.3"
    assert format_value({"mean": 0.0, "sd": 0.0, "values": [0, 0, 0]}) == "0"
    assert format_value({"mean": 2.5, "sd": None, "values": [2.5]}) == "2.500"
    assert format_value({"mean": None, "sd": None, "values": [None, None]}) == "n/a"


@pytest.mark.parametrize("argv, seeds", [
    ([], (0, 1, 2)),
    (["--quick"], (0,)),
    (["--seeds", "0", "1"], (0, 1)),
    (["--quick", "--seeds", "3", "5", "7"], (3, 5, 7)),
    (["--seeds", "4"], (4,)),
])
def test_seeds_on_the_command_line(argv, seeds):
    _, settings = bench.parse_args(argv)
    assert settings.seeds == seeds and settings.seed == seeds[0]
    start = bench.QUICK if "--quick" in argv else bench.FULL
    assert settings.epochs == start.epochs
    assert settings.epochs_for("oscillator") == start.epochs_for("oscillator")


@pytest.mark.parametrize("argv", [["--seeds"], ["--seeds", "0", "0"], ["--seeds", "x"]])
def test_bad_seeds_are_refused(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        bench.parse_args(argv)
    assert exit_info.value.code == 2
    assert "--seeds" in capsys.readouterr().err


def _one_seed(results, index, seconds):
    """The run of ``results`` with seed number ``index`` alone, as a
    ``--seeds K`` run of the same benchmark would have written it."""
    run = results["runs"][index]
    part = {key: value for key, value in results.items() if key not in ("aggregate", "models")}
    part.update(seeds=[run["seed"]], settings={**results["settings"], "seeds": [run["seed"]]},
                runs=[run], models=run["models"], seconds=seconds)
    return json.loads(json.dumps(part))


def test_runs_of_one_seed_each_combine_into_the_run_of_both(seeded, tmp_path, capsys):
    first, second = _one_seed(seeded, 0, 100.0), _one_seed(seeded, 1, 140.0)
    paths = [tmp_path / "s0.json", tmp_path / "s1.json"]
    for path, part in zip(paths, (first, second)):
        path.write_text(json.dumps(part))
    out = tmp_path / "both.json"
    assert bench.main(["--combine", *map(str, paths), "--json", str(out)]) == 0
    combined = json.loads(out.read_text())
    assert combined["seeds"] == [0, 1] and combined["settings"] == seeded["settings"]
    assert combined["runs"] == seeded["runs"]
    assert combined["aggregate"] == seeded["aggregate"]
    assert combined["models"] == seeded["models"]
    assert combined["griffin_lim"] == first["griffin_lim"] and combined["parts"] == 2
    assert combined["code"] == seeded["code"] == bench.code_fingerprint()
    assert combined["seconds"] == 240.0
    table = bench.results_table(combined)
    assert "Mean ± sd over 2 seeds (0, 1; sample sd)" in table
    assert "the 2 runs joined took 4 minutes, of which training and measuring" in table
    assert table in capsys.readouterr().out
    # Listed the other way round, the seeds follow the files.
    assert bench.combine_results([second, first])["seeds"] == [1, 0]


def test_code_fingerprint_follows_the_package_source(tmp_path, monkeypatch):
    import shutil

    import beeutils

    fingerprint = bench.code_fingerprint()
    assert len(fingerprint) == 64 and fingerprint == bench.code_fingerprint()
    copy = tmp_path / "beeutils"
    shutil.copytree(Path(beeutils.__file__).parent, copy,
                    ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(beeutils, "__file__", str(copy / "__init__.py"))
    assert bench.code_fingerprint() == fingerprint          # the same source
    with (copy / "train.py").open("a") as source:
        source.write("\n")
    assert bench.code_fingerprint() != fingerprint          # one byte more


def test_parts_that_do_not_belong_together_are_refused(seeded):
    first, second = _one_seed(seeded, 0, 1.0), _one_seed(seeded, 1, 1.0)
    other_budget = {**second, "settings": {**second["settings"], "epochs": 99}}
    other_machine = {**second, "machine": {**second["machine"], "cpu": "elsewhere"}}
    other_code = {**second, "code": "0" * 64}
    no_code = {key: value for key, value in second.items() if key != "code"}
    no_models = {key: value for key, value in second.items() if key != "runs"}
    for parts, message in (([first], "two results or more"),
                           ([first, first], "seed 0 is in more than one part"),
                           ([first, other_budget], "differ from the first's in epochs"),
                           ([first, other_machine], "another machine"),
                           ([first, other_code], "part 2 ran other code"),
                           ([first, no_code], "part 2 ran other code"),
                           ([first, no_models], "part 2 has no models")):
        with pytest.raises(ValueError, match=message):
            bench.combine_results(parts)


@pytest.mark.parametrize("argv, message", [
    (["--combine", "a.json", "--seeds", "1"], "--seeds does not go with it"),
    (["--combine", "a.json", "--quick"], "--quick does not go with it"),
    (["--combine", "a.json", "--split", "validation"], "--split does not go with it")])
def test_combine_takes_no_training_option(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        bench.parse_args(argv)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_combine_of_a_missing_file_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        bench.main(["--combine", str(tmp_path / "none.json"), str(tmp_path / "none.json")])
    assert exit_info.value.code == 2 and "none.json" in capsys.readouterr().err


@pytest.mark.parametrize("argv, approaches, conditional", [
    ([], ("magnitude", "real_imag", "logmag_if", "oscillator"), ("magnitude", "oscillator")),
    (["--approaches", "magnitude", "logmag_if"], ("magnitude", "logmag_if"), ("magnitude",)),
    (["--approaches", "magnitude", "logmag_if", "--conditional"], ("magnitude", "logmag_if"), ()),
    (["--quick", "--conditional", "oscillator"], bench.QUICK.approaches, ("oscillator",)),
])
def test_which_models_on_the_command_line(argv, approaches, conditional):
    _, settings = bench.parse_args(argv)
    assert settings.approaches == approaches and settings.conditional == conditional


@pytest.mark.parametrize("argv, epochs", [
    ([], bench.FULL.adversarial_epochs_for("oscillator")),
    (["--quick"], bench.QUICK.adversarial_epochs_for("oscillator")),
    (["--adversarial-epochs", "7"], 7),
    (["--quick", "--adversarial-epochs", "0"], 0),
    (["--data", "."], bench.RECORDINGS_ADVERSARIAL_EPOCHS),
    (["--data", ".", "--adversarial-epochs", "12"], 12),
])
def test_adversarial_epochs_on_the_command_line(argv, epochs):
    _, settings = bench.parse_args(argv)
    assert settings.adversarial_epochs_for("oscillator") == epochs
    assert all(v > 0 for v in settings.adversarial_epochs_by_approach.values())
    assert bench.FULL.adversarial_epochs_for("oscillator") > 0   # FULL itself untouched


@pytest.mark.parametrize("base, epochs, oscillator", [
    ([], 80, 2 * 80),
    (["--quick"], 4, 8),
    (["--data", "."], 5, 10),
])
def test_epochs_on_the_command_line_keep_each_approachs_ratio(base, epochs, oscillator):
    _, default = bench.parse_args(base)
    _, settings = bench.parse_args(base + ["--epochs", str(epochs)])
    assert default.epochs_for("magnitude") != epochs
    assert settings.epochs_for("magnitude") == settings.epochs_for("real_imag") == epochs
    assert settings.epochs_for("oscillator") == oscillator
    assert settings.epochs_for("logmag_if") == round(
        epochs * default.epochs_for("logmag_if") / default.epochs)
    # The adversarial second stage keeps its own budget.
    assert settings.adversarial_epochs_for("oscillator") == \
        default.adversarial_epochs_for("oscillator")


def test_batch_size_on_the_command_line_changes_only_the_batch():
    _, default = bench.parse_args([])
    _, settings = bench.parse_args(["--batch-size", "16"])
    assert [default.batch_size_for(name) for name in APPROACHES] == [4, 32, 4, 32]
    # One size for every approach, whatever the default gave each.
    assert [settings.batch_size_for(name) for name in APPROACHES] == [16] * 4
    assert dataclasses.replace(settings, batch_size=32,
                               batch_size_by_approach=default.batch_size_by_approach) == default


def test_the_spectrogram_models_train_in_small_batches_and_the_settings_say_so():
    for settings in (bench.FULL, bench.QUICK):
        assert {settings.batch_size_for(name) for name in ("magnitude", "logmag_if")} == {4}
        assert {settings.batch_size_for(name) for name in ("real_imag", "oscillator")} == {32}
    assert TINY.batch_size_for("oscillator") == TINY.batch_size == 4   # unless told, all alike
    assert (bench.batches_text(dataclasses.asdict(bench.FULL))
            == "batches of 32 (4 for magnitude and logmag_if)")
    # Only the approaches a run trained are named; sizes alike are named together.
    without = dataclasses.asdict(dataclasses.replace(
        bench.FULL, approaches=("real_imag", "oscillator"), conditional=()))
    assert bench.batches_text(without) == "batches of 32"
    both = dataclasses.asdict(dataclasses.replace(
        bench.FULL, batch_size_by_approach={"magnitude": 4, "logmag_if": 4, "oscillator": 8}))
    assert bench.batches_text(both) == "batches of 32 (4 for magnitude and logmag_if; 8 for oscillator)"
    assert bench.batches_text({"batch_size": 32}) == "batches of 32"   # saved before the mapping
    again = bench.BenchSettings(**json.loads(json.dumps(dataclasses.asdict(bench.FULL))))
    assert again == bench.FULL


@pytest.mark.parametrize("argv, message", [
    (["--epochs", "0"], "must be at least 1"), (["--adversarial-epochs", "-1"], "at least 0"),
    (["--batch-size", "0"], "must be at least 1"), (["--batch-size", "x"], "invalid int value")])
def test_too_few_epochs_or_clips_per_step_are_refused(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        bench.parse_args(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert argv[0] in err and message in err


# Three clips per kind leave one training latent of some kind: too few for its mixture prior.
@pytest.mark.filterwarnings("ignore:kept the normal prior")
def test_network_changes_on_the_command_line_reach_the_models_and_the_settings(monkeypatch):
    from beeutils.models.audio_model import AudioModel

    _, default = bench.parse_args([])
    assert default.network_changes == {} and bench.network_text(dataclasses.asdict(default)) == ""
    _, settings = bench.parse_args(["--network", "magnitude.modulation_weight=0.03",
                                    "--network", "magnitude.encoder_widths=[8, 16]"])
    assert settings.network_changes == {
        "magnitude": {"modulation_weight": 0.03, "encoder_widths": [8, 16]}}
    network = settings.network_for("magnitude")
    assert network.modulation_weight == 0.03 and network.encoder_widths == (8, 16)
    assert settings.network_for("logmag_if") == configs.default_network("logmag_if")  # only the one named
    saved = json.loads(json.dumps(dataclasses.asdict(settings)))
    assert bench.BenchSettings(**saved) == settings
    assert bench.network_text(saved) == ("; magnitude network with modulation_weight 0.03, "
                                         "encoder_widths [8, 16]")
    built = []
    original_build = AudioModel.build

    def recording_build(cls, config, *args, **kwargs):
        built.append((config.conditional, config.network))
        return original_build(config, *args, **kwargs)

    monkeypatch.setattr(AudioModel, "build", classmethod(recording_build))
    tiny = dataclasses.replace(TINY, approaches=("magnitude",), conditional=("magnitude",),
                               network_changes={"magnitude": {"modulation_weight": 0.03}})
    bench.bench_models(tiny)
    assert [(c, n.modulation_weight) for c, n in built] == [(False, 0.03), (True, 0.03)]


@pytest.mark.filterwarnings("ignore:kept the normal prior")
def test_texture_renders_only_the_spectrogram_models_samples_with_noise(monkeypatch):
    from beeutils.evaluation import conditional, evaluate

    _, default = bench.parse_args([])
    _, settings = bench.parse_args(["--texture"])
    assert not default.texture and settings.texture
    saved = json.loads(json.dumps(dataclasses.asdict(settings)))
    assert bench.BenchSettings(**saved) == settings
    assert (bench.network_text(saved)
            == "; spectrogram models' samples rendered with a noise's texture")
    asked = []
    original_model, original_conditional = evaluate.evaluate_model, conditional.evaluate_conditional

    def recording_model(model, *args, texture=False, **kwargs):
        asked.append((model.approach, model.conditional, "samples", texture))
        return original_model(model, *args, texture=texture, **kwargs)

    def recording_conditional(model, *args, texture=False, **kwargs):
        asked.append((model.approach, model.conditional, "kinds", texture))
        return original_conditional(model, *args, texture=texture, **kwargs)

    monkeypatch.setattr(evaluate, "evaluate_model", recording_model)
    monkeypatch.setattr(conditional, "evaluate_conditional", recording_conditional)
    tiny = dataclasses.replace(TINY, approaches=("magnitude", "logmag_if", "oscillator"),
                               conditional=("magnitude",), texture=True)
    bench.bench_models(tiny)
    assert asked == [("magnitude", False, "samples", True), ("logmag_if", False, "samples", True),
                     ("oscillator", False, "samples", False),
                     ("magnitude", True, "samples", True), ("magnitude", True, "kinds", True)]


@pytest.mark.parametrize("argv, message", [
    (["--network", "magnitude.modulation_weight"], "expected FIELD=VALUE"),
    (["--network", "magnitude=0.01"], "expected APPROACH.FIELD=VALUE"),
    (["--network", "magnitude.modulation_weight=lots"], "the value in JSON"),
    (["--network", "magnitude.modulation=0.01"], "has no field(s) ['modulation']"),
    (["--network", "wavenet.modulation_weight=0.01"], "unknown approach 'wavenet'")])
def test_bad_network_changes_are_refused(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        bench.parse_args(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--approaches", "wavenet"], ["--conditional", "magnitud"]])
def test_unknown_approaches_are_refused(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        bench.parse_args(argv)
    assert exit_info.value.code == 2
    assert argv[0] in capsys.readouterr().err


def test_numbers_are_sane(results):
    assert results["synthesis"]["x_realtime_median"] > 1
    assert results["stft"]["max_relative_error"] < 1e-4
    assert results["stft"]["roundtrip_snr_db"] > 100
    gl = results["griffin_lim"]
    assert abs(gl["sc_db_ours"] - gl["sc_db_librosa"]) < 1.0
    # PGHI's start is measured beside them, and starts closer than chance
    assert gl["sc_db_pghi"] < gl["sc_db_librosa"]
    assert gl["seconds_pghi"] > 0 and gl["pghi_time_ratio"] > 0
    assert gl["n_clips"] == TINY.gl_clips
    for row in results["models"]:
        assert row["nonfinite_steps"] == 0, row["name"]
        assert row["nonfinite_clips"] == 0, row["name"]
        for key in ("recon_mrstft", "recon_lsd_db", "fd_ratio", "ndb_k", "train_seconds",
                    "train_examples_per_s", "generate_x_realtime"):
            assert row[key] is not None and np.isfinite(row[key]) and row[key] >= 0, key


def test_table_lists_every_approach(results):
    table = bench.results_table(results)
    header = next(line for line in table.splitlines() if line.startswith("| metric"))
    for name in bench.FULL.approaches:
        assert f" {name} |" in header
    assert "| asked for a kind: clips judged that kind, worst kind |" in table
    assert "Griffin-Lim from PGHI" in table
    assert "| training time | s |" in table
    assert "| generation: silent clips" in table and "| training speed |" in table
    assert "Griffin-Lim" in table and "Machine: " in table


def test_bad_data_folder_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        bench.main(["--data", str(tmp_path / "missing")])
    assert "no such folder" in capsys.readouterr().err


def test_models_on_a_folder_of_recordings(tmp_path):
    import dataclasses

    from beeutils.data import audio
    from beeutils.data import synth

    for label, kind in (("bee", "hum"), ("nobee", "nobee")):
        for i in range(3):  # 3 files per label (one per split) x 3 s -> 5 segments each
            wave, _ = synth.synthesize(kind, duration=3.0, seed=i)
            audio.save_audio(tmp_path / label / f"{kind}_{i}.wav", wave, sr=16000)
    settings = dataclasses.replace(TINY, approaches=("magnitude",), conditional=())
    out = bench.run(settings, data_dir=tmp_path,
                    parts=("synthesis", "griffin_lim", "realisation", "models"))
    assert out["settings"]["data"] == (f"6 recordings in {tmp_path.name}/ "
                                       "(3.0 s each, 16000 Hz each)")
    # phase retrieval on the recordings' own clips, no synthesiser speed or recipes
    assert "synthesis" not in out and "realisation" not in out
    assert out["griffin_lim"]["n_clips"] == TINY.gl_clips  # training segments
    assert "64 clips" not in bench.results_table(out)
    assert "clips of the recordings" in bench.results_table(out)
    # and again above the rumble, on the same clips
    hum = out["griffin_lim_hum"]
    assert hum["high_pass_hz"] == bench.HUM_HIGH_PASS_HZ and hum["n_clips"] == TINY.gl_clips
    assert hum["sc_db_pghi"] != out["griffin_lim"]["sc_db_pghi"]
    assert abs(hum["energy_share_removed"]) < 0.05  # the synthetic kinds hold ~nothing under 60 Hz
    assert "clips of the recordings high-passed at 60 Hz (which removes" in bench.results_table(out)
    (row,) = out["models"]
    assert row["name"] == "magnitude" and row["nonfinite_steps"] == 0
    assert np.isfinite(row["recon_lsd_db"])


def test_phase_retrieval_above_the_rumble_reports_what_the_high_pass_removed():
    sr, n = 16000, 8192
    t = np.arange(n) / sr
    rumble = np.sin(2 * np.pi * 31.25 * t)  # energy 0.5 per sample
    hum = 0.5 * np.sin(2 * np.pi * 250 * t + np.arange(4)[:, None])  # 0.125
    out = bench.bench_griffin_lim((rumble + hum).astype(np.float32), n_iter=2, high_pass_hz=60.0)
    assert out["high_pass_hz"] == 60.0 and out["n_clips"] == 4
    assert out["energy_share_removed"] == pytest.approx(0.8, abs=0.01)
    assert "sc_db_pghi" in out and "energy_share_removed" not in bench.bench_griffin_lim(
        hum.astype(np.float32), n_iter=2)


def test_a_run_can_be_measured_on_the_validation_split(monkeypatch, capsys):
    from beeutils.evaluation import evaluate

    splits = []
    original = evaluate.evaluate_model

    def recording_evaluate(*args, **kwargs):
        splits.append(kwargs.get("split", "test"))
        return original(*args, **kwargs)

    monkeypatch.setattr(evaluate, "evaluate_model", recording_evaluate)
    _, settings = bench.parse_args(["--split", "validation"])
    assert settings.eval_split == "validation" and bench.FULL.eval_split == "test"
    tiny = dataclasses.replace(TINY, approaches=("magnitude",), conditional=(),
                               eval_split="validation")
    out = bench.run(tiny, parts=("models",))
    assert splits == ["validation"]
    assert "measured on the validation split, not the test split" in bench.results_table(out)
    assert "validation" not in bench.results_table(
        {**out, "settings": {**out["settings"], "eval_split": "test"}})
    with pytest.raises(ValueError, match="eval_split"):
        dataclasses.replace(TINY, eval_split="train")
    with pytest.raises(SystemExit) as exit_info:
        bench.parse_args(["--split", "train"])
    assert exit_info.value.code == 2 and "--split" in capsys.readouterr().err
