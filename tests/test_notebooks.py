"""Every notebook runs headless in fast mode, through the same code path as
``python -m beeutils.series --fast``, within the time budget."""

import pytest

from beeutils import series

#: Each notebook must run in under 3 minutes in fast mode on 2 CPU cores.
FAST_BUDGET_S = 180

NOTEBOOKS = series.list_notebooks()


def shares_model_files(path):
    """Whether a notebook saves or loads models under ``build/models/``
    (``model_path``): those run in one worker, in order, so that no model
    folder is written by two runs at once; the others run wherever a worker
    is free."""
    return "model_path(" in path.with_suffix(".py").read_text()


def notebook_param(path):
    marks = [pytest.mark.xdist_group("notebooks")] if shares_model_files(path) else []
    return pytest.param(path, id=path.stem, marks=marks)


@pytest.mark.notebook
@pytest.mark.parametrize("path", [notebook_param(p) for p in NOTEBOOKS])
def test_notebook_runs_in_fast_mode(path, tmp_path):
    run = series.run_notebook(path, fast=True, out_dir=tmp_path)
    assert run.ok, f"{path.name} failed:\n{run.error[-4000:]}"
    assert run.seconds < FAST_BUDGET_S, f"{path.name} took {run.seconds:.0f} s in fast mode"


def test_the_notebooks_that_share_model_files_run_together():
    sharing = [p.stem[:2] for p in NOTEBOOKS if shares_model_files(p)]
    assert sharing == ["05", "06", "09", "10"]

