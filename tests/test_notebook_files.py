"""Notebook hygiene: the fixed series names exist, outputs are stripped, and
each ``.ipynb`` has a ``py:percent`` twin with the same cells."""

import json
import re
from pathlib import Path

import jupytext
import pytest

from beeutils.config import ROOT

NOTEBOOK_DIR = ROOT / "notebooks"
IPYNBS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


def _cells(notebook) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in notebook.cells]


def test_series_has_the_planned_notebooks_in_order():
    names = [p.stem for p in IPYNBS]
    assert names == ["01_mnist_vaegan", "02_bee_audio_and_stft", "03_naive_port_and_nan",
                     "04_nan_causes_and_fixes", "05_magnitude_vaegan", "06_complex_vs_magnitude",
                     "07_phase_decoding_and_onsets", "08_prony_and_esprit",
                     "09_oscillator_bank_vae", "10_evaluate_and_generate"]


@pytest.mark.parametrize("path", IPYNBS, ids=[p.stem for p in IPYNBS])
def test_outputs_are_stripped(path: Path):
    cells = json.loads(path.read_text())["cells"]
    dirty = [i for i, c in enumerate(cells)
             if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; strip them before committing"


@pytest.mark.parametrize("path", IPYNBS, ids=[p.stem for p in IPYNBS])
def test_py_percent_twin_in_sync(path: Path):
    twin = path.with_suffix(".py")
    assert twin.exists(), f"{path.name} has no py:percent twin"
    assert "format_name: percent" in twin.read_text()
    assert _cells(jupytext.read(path)) == _cells(jupytext.read(twin)), (
        f"{path.name} and {twin.name} differ: run `jupytext --sync {twin}`"
    )


@pytest.mark.parametrize("path", IPYNBS, ids=[p.stem for p in IPYNBS])
def test_notebook_opens_with_title_and_setup(path: Path):
    cells = jupytext.read(path).cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# ")
    first_code = next(c.source for c in cells if c.cell_type == "code")
    assert 'os.environ.setdefault("KERAS_BACKEND", "tensorflow")' in first_code
    assert "beeutils.setup(seed=" in first_code
    last_markdown = [c.source for c in cells if c.cell_type == "markdown"][-1]
    assert "What we learned" in last_markdown or "what we learned" in last_markdown.lower()


@pytest.mark.parametrize("path", IPYNBS, ids=[p.stem for p in IPYNBS])
def test_title_and_next_link_carry_the_file_numbers(path: Path):
    """The title's number is the file's, and the closing link names the next
    notebook by its own number and file (numbers drift when notebooks split)."""
    cells = jupytext.read(path).cells
    number = path.stem[:2]
    assert cells[0].source.startswith(f"# {number} · "), cells[0].source.splitlines()[0]
    text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    links = re.findall(r"\*\*Next:\*\* \[(\d\d) · [^\]]*\]\(([^)]+)\.ipynb\)", text)
    later = [p.stem for p in IPYNBS if p.stem > path.stem]
    if not later:
        assert not links
        return
    assert links == [(later[0][:2], later[0])], links
