"""Shared test setup: headless plots, the TensorFlow backend, quiet start-up logs."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# One core per test process (the notebooks' kernels inherit it): two workers
# that each spread TensorFlow and BLAS over every core only thrash, and
# TensorFlow's reductions over several threads are not bit-reproducible,
# which the resume tests need (a resumed run ends with the very weights of
# an uninterrupted one), also under `pytest -n 0`.
for name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS",
             "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(name, "1")

from beeutils.config import ROOT, quiet_tensorflow  # noqa: E402

quiet_tensorflow()

#: Real hive recordings shipped beside the repository (absent on most clones).
REAL_BEES = ROOT.parent / "shared" / "real-bees"


@pytest.fixture
def real_bees_dir() -> Path:
    """The real-recordings folder, or skip the test when it is absent."""
    if not REAL_BEES.is_dir() or not any(REAL_BEES.iterdir()):
        pytest.skip(f"no real recordings at {REAL_BEES}")
    return REAL_BEES


def pytest_configure(config):
    """librosa's numba kernels cache their machine code beside their source.
    Two processes that compile the same gufunc at once can leave a mismatched
    pair of cache files, and every later process that loads the pair crashes
    (numba issue 10128: the notebook kernels died one after another).  Each
    test worker, and the kernels it starts one at a time, keeps its own cache;
    this runs before the test modules import librosa."""
    worker = getattr(config, "workerinput", {}).get("workerid", "main")
    os.environ["NUMBA_CACHE_DIR"] = str(ROOT / "build" / "numba-cache" / worker)


# tryfirst: the marks must be there when pytest-xdist reads them into groups
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Tests that share a module-scoped fixture (a trained model, a benchmark
    run) run in one worker, so that the fixture is built once rather than once
    per worker.  Tests already in a group (the notebooks that share model
    files) keep theirs."""
    for item in items:
        if any(item.iter_markers("xdist_group")):
            continue
        fixtures = getattr(item, "_fixtureinfo", None)
        defs = fixtures.name2fixturedefs.values() if fixtures else ()
        if any(d.scope == "module" for group in defs for d in group):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
