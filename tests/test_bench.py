"""The benchmark command: JSON schema, sanity, table, on a tiny budget."""

import json

import numpy as np
import pytest

from beeutils.evaluation import bench

TINY = bench.BenchSettings(clips_per_kind=3, duration=0.512, epochs=1, batch_size=4,
                           n_generated=8, gl_clips=4, gl_iter=4, synth_repeats=1)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    path = folder / "bench.json"
    original = bench.QUICK
    bench.QUICK = TINY  # the --quick code path, with a budget a test can afford
    try:
        assert bench.main(["--quick", "--json", str(path),
                           "--save-models", str(folder / "models")]) == 0
    finally:
        bench.QUICK = original
    out = json.loads(path.read_text())
    out["_folder"] = folder
    return out


def test_trained_models_are_saved_for_the_generate_command(results):
    from beeutils.models.audio_model import AudioModel

    for name in bench.FULL.approaches:
        loaded = AudioModel.load(results["_folder"] / "models" / f"{name}.keras")
        assert loaded.approach == name
        assert loaded.generate(1, seed=0).shape == (1, int(TINY.duration * 16000))


def test_json_has_the_documented_keys(results):
    assert {"synthesis", "stft", "griffin_lim", "models", "machine", "settings",
            "seconds"} <= set(results) - {"_folder"}
    assert [m["name"] for m in results["models"]] == list(bench.FULL.approaches)
    for row in results["models"]:
        assert set(bench.MODEL_KEYS) <= set(row), row["name"]
    assert results["machine"]["device"] in ("CPU", "GPU")
    assert results["settings"]["clips_per_kind"] == TINY.clips_per_kind


def test_numbers_are_sane(results):
    assert results["synthesis"]["x_realtime_median"] > 1
    assert results["stft"]["max_relative_error"] < 1e-4
    assert results["stft"]["roundtrip_snr_db"] > 100
    gl = results["griffin_lim"]
    assert abs(gl["sc_db_ours"] - gl["sc_db_librosa"]) < 1.0
    assert gl["n_clips"] == TINY.gl_clips
    for row in results["models"]:
        assert row["nonfinite_steps"] == 0, row["name"]
        for key in ("recon_mrstft", "recon_lsd_db", "fd_ratio", "ndb_k", "train_seconds",
                    "train_examples_per_s", "generate_x_realtime"):
            assert row[key] is not None and np.isfinite(row[key]) and row[key] >= 0, key


def test_table_lists_every_approach(results):
    table = bench.results_table(results)
    header = next(line for line in table.splitlines() if line.startswith("| metric"))
    for name in bench.FULL.approaches:
        assert f" {name} |" in header
    assert "| training time | s |" in table
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
    settings = dataclasses.replace(TINY, approaches=("magnitude",))
    out = bench.run(settings, data_dir=tmp_path, parts=("models",))
    assert out["settings"]["data"] == str(tmp_path)
    (row,) = out["models"]
    assert row["name"] == "magnitude" and row["nonfinite_steps"] == 0
    assert np.isfinite(row["recon_lsd_db"])
