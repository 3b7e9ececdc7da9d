"""The headless runner: selection, timing table, failure reporting."""

import nbformat
import pytest

from beeutils import series


def test_only_selects_by_prefix():
    books = series.list_notebooks(["02"])
    assert [b.stem for b in books] == ["02_bee_audio_and_stft"]


def test_unknown_selection_is_a_clear_error():
    with pytest.raises(SystemExit, match="no notebook matches"):
        series.list_notebooks(["99"])


def _tiny_notebook(path, source):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source)]
    nbformat.write(nb, path)
    return path


def test_run_notebook_sees_fast_flag_and_reports_errors(tmp_path):
    ok = _tiny_notebook(tmp_path / "ok.ipynb",
                        "import os\nassert os.environ['BEE_FAST'] == '1'")
    run = series.run_notebook(ok, fast=True, out_dir=tmp_path / "out")
    assert run.ok, run.error
    assert run.output_path.exists()

    bad = _tiny_notebook(tmp_path / "bad.ipynb", "raise RuntimeError('broken cell')")
    run = series.run_notebook(bad, fast=True, out_dir=tmp_path / "out")
    assert not run.ok and "broken cell" in run.error


def test_timing_table_lists_each_run_and_total():
    runs = [series.NotebookRun("01_x", True, 12.0, True),
            series.NotebookRun("02_y", True, 3.5, False, "boom")]
    table = series.timing_table(runs)
    assert "| 01_x | fast | 12.0 | ok |" in table
    assert "| 02_y | fast | 3.5 | FAILED |" in table
    assert "15.5" in table
