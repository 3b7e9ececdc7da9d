"""Settings and setup: fast flag, seeding, cheap package import, the recordings folder."""

import subprocess
import sys

import numpy as np
import pytest

import beeutils


def test_setup_reads_fast_flag(monkeypatch):
    monkeypatch.setenv("BEE_FAST", "1")
    cfg = beeutils.setup(seed=3, keras=False, plots=False)
    assert cfg.fast is True and cfg.seed == 3
    monkeypatch.setenv("BEE_FAST", "0")
    assert beeutils.setup(seed=3, keras=False, plots=False).fast is False


def test_setup_returns_the_shared_settings_object(monkeypatch):
    monkeypatch.setenv("BEE_FAST", "1")
    cfg = beeutils.setup(seed=0, keras=False, plots=False)
    assert cfg is beeutils.settings
    assert cfg.clip_samples == 32768 and cfg.sr == 16000


def test_setup_seeds_numpy_and_keras():
    import keras

    beeutils.setup(seed=11, plots=False)
    a = (np.random.rand(3), keras.random.uniform((3,)).numpy())
    beeutils.setup(seed=11, plots=False)
    b = (np.random.rand(3), keras.random.uniform((3,)).numpy())
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_import_does_not_load_tensorflow():
    code = "import sys, beeutils; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def test_setup_quiets_tensorflow_startup_logs():
    code = ("import beeutils; beeutils.setup(seed=0, plots=False); import tensorflow as tf; "
            "tf.constant(1.0) + 1.0")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "cpu_feature_guard" not in out.stderr
    assert "oneDNN custom operations" not in out.stderr


def test_recordings_dir_prefers_the_environment_variable(monkeypatch, tmp_path):
    from beeutils import config

    monkeypatch.setenv("BEE_RECORDINGS", str(tmp_path))
    monkeypatch.setattr(config, "DEFAULT_RECORDINGS_DIR", tmp_path / "elsewhere")
    assert config.recordings_dir() == tmp_path.resolve()


def test_recordings_dir_names_a_missing_folder(monkeypatch, tmp_path):
    from beeutils import config

    monkeypatch.setenv("BEE_RECORDINGS", str(tmp_path / "typo"))
    with pytest.raises(FileNotFoundError, match="BEE_RECORDINGS"):
        config.recordings_dir()


def test_recordings_dir_falls_back_to_data_real(monkeypatch, tmp_path):
    from beeutils import config

    monkeypatch.delenv("BEE_RECORDINGS", raising=False)
    real = tmp_path / "real"
    monkeypatch.setattr(config, "DEFAULT_RECORDINGS_DIR", real)
    assert config.recordings_dir() is None            # missing
    real.mkdir()
    assert config.recordings_dir() is None            # empty
    (real / "hive.wav").write_bytes(b"")
    assert config.recordings_dir() == real
    monkeypatch.setenv("BEE_RECORDINGS", "")          # set but empty: the default
    assert config.recordings_dir() == real


def test_default_recordings_dir_is_inside_the_repository():
    from beeutils import config

    assert config.DEFAULT_RECORDINGS_DIR == config.ROOT / "data" / "real"
