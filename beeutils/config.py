"""Settings and the one-call notebook setup.

``setup(seed)`` is the first thing every notebook calls.  It seeds every
random number generator the series uses, sets plotting defaults, quiets
TensorFlow's start-up logs and reads the fast-mode flag (``BEE_FAST=1``).
``recordings_dir()`` says where your own recordings are: the folder named by
``BEE_RECORDINGS``, else ``data/real/`` in the repository.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import random
from pathlib import Path

import numpy as np

#: Repository root (the folder holding ``beeutils/``).
ROOT = Path(__file__).resolve().parent.parent


#: Environment variable naming a folder of your own recordings.
RECORDINGS_ENV = "BEE_RECORDINGS"
#: Where your recordings go when ``BEE_RECORDINGS`` is not set (not committed).
DEFAULT_RECORDINGS_DIR = ROOT / "data" / "real"


def recordings_dir() -> Path | None:
    """The folder of your own bee recordings, or ``None`` when there is none.

    One rule for every notebook and command: the folder named by the
    ``BEE_RECORDINGS`` environment variable if it is set (and not empty),
    else ``data/real/`` inside the repository if that folder exists and
    holds anything.  Nothing outside those two places is looked at.

    Returns:
        The folder as an absolute ``Path``, or ``None`` when
        ``BEE_RECORDINGS`` is unset and ``data/real/`` is missing or empty
        (a notebook then skips its real-recordings part).

    Raises:
        FileNotFoundError: ``BEE_RECORDINGS`` is set but is not a folder
            (a typo should not silently fall back to something else).
    """
    named = os.environ.get(RECORDINGS_ENV, "").strip()
    if named:
        folder = Path(named).expanduser().resolve()
        if not folder.is_dir():
            raise FileNotFoundError(
                f"{RECORDINGS_ENV}={named!r} is not a folder; point it at a folder of "
                f"recordings or unset it to use {DEFAULT_RECORDINGS_DIR}"
            )
        return folder
    folder = DEFAULT_RECORDINGS_DIR
    if folder.is_dir() and any(folder.iterdir()):
        return folder
    return None


def _env_flag(name: str) -> bool:
    """True when the environment variable is set to a truthy value."""
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclasses.dataclass
class Settings:
    """Run-wide settings shared by the notebooks and the package.

    Attributes:
        fast: tiny corpus and a few training steps (``BEE_FAST=1``); the test
            suite runs every notebook this way.
        seed: the seed ``setup`` applied.
        sr: default sample rate in Hz.
        clip_seconds: default clip duration in seconds (32768 samples at 16 kHz).
        data_dir: where corpora live (``data/``; ``BEE_DATA_DIR`` overrides).
        build_dir: executed notebooks, timing tables, checkpoints (``build/``).
    """

    fast: bool = False
    seed: int = 0
    sr: int = 16000
    clip_seconds: float = 2.048
    data_dir: Path = ROOT / "data"
    build_dir: Path = ROOT / "build"

    @property
    def clip_samples(self) -> int:
        """Default clip length in samples."""
        return int(round(self.sr * self.clip_seconds))

    @property
    def synthetic_dir(self) -> Path:
        """Cache folder of the generated synthetic corpus."""
        return self.data_dir / "synthetic"


def _read_settings() -> Settings:
    data_dir = os.environ.get("BEE_DATA_DIR")
    return Settings(
        fast=_env_flag("BEE_FAST"),
        data_dir=Path(data_dir) if data_dir else ROOT / "data",
    )


#: The settings object; ``setup`` refreshes it in place and returns it.
settings = _read_settings()


def _has_nvidia_device() -> bool:
    """True when the machine exposes an NVIDIA (or WSL GPU) device node."""
    dev = Path("/dev")
    return any(dev.glob("nvidia[0-9]*")) or (dev / "dxg").exists()


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ start-up chatter (oneDNN, CPU feature notes).

    Must run before TensorFlow is imported to affect the C++ logs.  Python
    warnings are left alone: real problems must still be seen.
    """
    # Level 2 hides TensorFlow's INFO and WARNING start-up lines (oneDNN,
    # CPU features).  On a machine with no NVIDIA device at all, the only
    # ERROR line at start-up is "failed call to cuInit", which says just that;
    # level 3 hides it there.  With a GPU present, C++ errors stay visible.
    level = "2" if _has_nvidia_device() else "3"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", level)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)


def set_plot_defaults() -> None:
    """Readable, consistent matplotlib defaults for the series."""
    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "figure.figsize": (9.0, 3.6),
            "figure.dpi": 100,
            "axes.grid": False,
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "image.cmap": "magma",
            "figure.constrained_layout.use": True,
        }
    )


def seed_everything(seed: int, with_keras: bool = True) -> None:
    """Seed Python, NumPy and (when installed) Keras/TensorFlow.

    ``keras.utils.set_random_seed`` seeds Python, NumPy and the backend in one
    call; the plain seeds are also set so that code without Keras is seeded.
    """
    random.seed(seed)
    np.random.seed(seed)
    if with_keras:
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        quiet_tensorflow()
        import keras

        keras.utils.set_random_seed(seed)


def setup(seed: int = 0, *, keras: bool = True, plots: bool = True) -> Settings:
    """Prepare a notebook or script: seeds, plots, quiet logs, fast mode.

    Args:
        seed: seed for Python, NumPy and Keras/TensorFlow.
        keras: also import and seed Keras (set False for NumPy-only work).
        plots: set the matplotlib defaults.

    Returns:
        The package ``settings`` object, refreshed from the environment
        (``BEE_FAST``, ``BEE_DATA_DIR``).
    """
    quiet_tensorflow()
    fresh = _read_settings()
    for field in dataclasses.fields(Settings):
        setattr(settings, field.name, getattr(fresh, field.name))
    settings.seed = seed
    seed_everything(seed, with_keras=keras)
    if plots:
        set_plot_defaults()
    return settings
