"""Every notebook runs headless in fast mode, through the same code path as
``python -m beeutils.series --fast``, within the time budget."""

import pytest

from beeutils import series

#: Each notebook must run in under 3 minutes in fast mode on 2 CPU cores.
FAST_BUDGET_S = 180

NOTEBOOKS = series.list_notebooks()


@pytest.mark.notebook
@pytest.mark.xdist_group("notebooks")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_fast_mode(path, tmp_path):
    run = series.run_notebook(path, fast=True, out_dir=tmp_path)
    assert run.ok, f"{path.name} failed:\n{run.error[-4000:]}"
    assert run.seconds < FAST_BUDGET_S, f"{path.name} took {run.seconds:.0f} s in fast mode"
