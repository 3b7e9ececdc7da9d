"""Every approach behind one interface: train, audio in/out, save, load, generate."""

import json

import numpy as np
import pytest
import soundfile as sf

from beeutils import generate
from beeutils.models import approaches
from beeutils.data import datasets
from beeutils.dsp.spectral import STFTConfig

CFG = STFTConfig(n_frames=32)  # 0.512 s clips: 32 frames of 256 samples
TINY = {"latent_dim": 4, "widths": (4, 8), "encoder_widths": (4, 8), "disc_widths": (4,),
        "dense_units": 16}
KINDS = ("hum", "queen_toot", "nobee")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return datasets.make_corpus(kinds=KINDS, clips_per_kind=5, duration=0.512, seed=0,
                                root=tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def trained(corpus):
    return {name: approaches.train_approach(name, corpus, CFG, epochs=1, batch_size=4,
                                            **TINY)
            for name in ("magnitude", "logmag_if")}


@pytest.fixture(scope="module")
def conditional(corpus):
    return approaches.train_approach("magnitude", corpus, CFG, epochs=1, batch_size=4,
                                     conditional=True, **TINY)


def test_trained_approaches_speak_audio(corpus, trained):
    waves = corpus.waves("test")
    for name, model in trained.items():
        assert model.train_result.finite
        assert model.config is model.representation.config
        z = model.encode_waves(waves)
        assert z.shape == (len(waves), 4)
        recon = model.reconstruct_waves(waves)
        assert recon.shape == waves.shape and np.all(np.isfinite(recon))
        gen = model.generate_waves(3, seed=1)
        assert gen.shape == (3, waves.shape[-1])
        assert np.array_equal(gen, model.generate_waves(3, seed=1))  # seeded
        assert not np.array_equal(gen, model.generate_waves(3, seed=2))
        assert model.intended_magnitudes(z).shape == (len(waves), CFG.n_freq_keep, 32)


def test_kinds_are_checked(trained, conditional):
    plain = trained["magnitude"]
    with pytest.raises(ValueError, match="without kinds"):
        plain.generate_waves(2, kind="hum")
    with pytest.raises(ValueError, match="pass kind="):
        conditional.generate_waves(2)
    with pytest.raises(ValueError, match="unknown kind"):
        conditional.generate_waves(2, kind="tuba")
    hum = conditional.generate_waves(2, seed=0, kind="hum")
    toot = conditional.generate_waves(2, seed=0, kind="queen_toot")
    assert hum.shape == toot.shape and not np.allclose(hum, toot)


def test_evaluate_approach_reports_costs(corpus, trained):
    out = approaches.evaluate_approach(trained["logmag_if"], corpus, n_generated=8)
    for key in ("recon_lsd_db", "recon_mrstft", "fd_ratio", "ndb_k", "consistency_sc_db",
                "train_seconds", "train_examples_per_s", "generate_x_realtime"):
        assert np.isfinite(out[key]), key
    assert out["nonfinite_steps"] == 0
    assert out["n_generated"] == 8 and out["n_test"] == len(corpus.labels("test"))


def test_save_load_round_trip(tmp_path, corpus, conditional):
    path = approaches.save(conditional, tmp_path / "m")
    assert path.suffix == ".keras" and path.with_suffix(".json").exists()
    loaded = approaches.load(path)
    assert loaded.name == "magnitude" and loaded.conditional and loaded.kinds == KINDS
    z = conditional.prior_latents(2, seed=3)
    assert np.allclose(loaded.decode_outputs(z, "hum"), conditional.decode_outputs(z, "hum"),
                       atol=1e-5)


def test_load_refuses_bad_files(tmp_path, trained):
    with pytest.raises(approaches.ModelFileError, match="no model file"):
        approaches.load(tmp_path / "missing.keras")
    path = approaches.save(trained["magnitude"], tmp_path / "m")
    desc = path.with_suffix(".json")
    desc.write_text("{not json")
    with pytest.raises(approaches.ModelFileError, match="unreadable"):
        approaches.load(path)
    desc.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(approaches.ModelFileError, match="does not describe"):
        approaches.load(path)
    desc.unlink()
    with pytest.raises(approaches.ModelFileError, match="no description"):
        approaches.load(path)
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"not a zip file")
    approaches.save(trained["magnitude"], tmp_path / "good")
    (tmp_path / "bad.json").write_text((tmp_path / "good.json").read_text())
    with pytest.raises(approaches.ModelFileError, match="Keras could not load"):
        approaches.load(bad)


def test_generate_command_end_to_end(tmp_path, conditional, capsys):
    path = approaches.save(conditional, tmp_path / "by_kind")
    out = tmp_path / "out"
    code = generate.main(["--model", str(path), "--kind", "queen_toot", "--n", "2",
                          "--out", str(out)])
    assert code == 0
    wavs = sorted(out.glob("*.wav"))
    assert [p.name for p in wavs] == ["queen_toot_00.wav", "queen_toot_01.wav"]
    assert all(p.with_suffix(".png").stat().st_size > 1000 for p in wavs)
    wave, sr = sf.read(wavs[0])
    assert sr == 16000 and wave.shape == (conditional.n_samples,)
    assert "wrote 2 clips" in capsys.readouterr().out


def test_generate_command_errors_are_clear(tmp_path, conditional, capsys):
    assert generate.main(["--model", str(tmp_path / "nope.keras"), "--out",
                          str(tmp_path)]) == 2
    assert "no model file" in capsys.readouterr().err
    path = approaches.save(conditional, tmp_path / "by_kind")
    assert generate.main(["--model", str(path), "--kind", "tuba", "--out", str(tmp_path)]) == 2
    assert "unknown kind" in capsys.readouterr().err
    assert generate.main(["--model", str(path), "--out", str(tmp_path)]) == 2
    assert "pass kind=" in capsys.readouterr().err
