"""The README and the benchmark notes agree with the package, the results
files and the rendered pages."""

import re

import pytest

from beeutils.config import ROOT

PACKAGE = ROOT / "beeutils"


def _tree_modules() -> set[str]:
    return {p.relative_to(PACKAGE).with_suffix("").as_posix().replace("/", ".")
            for p in PACKAGE.rglob("*.py") if p.name != "__init__.py"}


def _table_modules() -> set[str]:
    text = (ROOT / "README.md").read_text()
    table = text[text.index("| module | holds |"):]
    table = table[: table.index("\n\n")]
    names: set[str] = set()
    for row in table.splitlines()[2:]:
        first_cell = row.split("|")[1]
        names |= set(re.findall(r"`([a-z_.]+)`", first_cell))
    return names


def test_module_table_matches_the_tree():
    tree, table = _tree_modules(), _table_modules()
    assert tree - table == set(), f"modules missing from the README table: {tree - table}"
    assert table - tree == set(), f"README names modules that do not exist: {table - tree}"


#: Every benchmark run the README or the benchmark notes (results/README.md)
#: show, in the order they show them.
RESULTS_FILES = ["bench.json", "real_bees.json", "real_bees_phase.json", "bench_prior_ceiling.json",
                 "bench_magnitude_texture.json", "bench_logmag_if_tanh.json", "bench_logmag_if_texture.json",
                 "bench_logmag_if_texture_validation.json", "bench_logmag_if_modulation_texture_validation.json",
                 "bench_logmag_if_modulation.json", "bench_logmag_if_45_epochs_validation.json",
                 "bench_logmag_if_45_epochs.json", "bench_oscillator_validation.json",
                 "bench_oscillator_f0_gate_validation.json", "bench_oscillator_gan_0.5_validation.json",
                 "bench_oscillator_f0_gate.json", "bench_griffin_lim.json", "bench_pghi_edges.json",
                 "bench_before_logmag_if_45.json", "bench_before_texture.json", "bench_before_modulation.json",
                 "bench_batch32.json", "bench_complex.json", "bench_real_imag.json",
                 "bench_real_imag_refined.json", "bench_magnitude_batch4.json",
                 "bench_logmag_if_batch4_validation.json", "bench_logmag_if_batch32_validation.json",
                 "bench_real_imag_overlap_0.75_validation.json", "bench_real_imag_overlap_0.5_validation.json",
                 "bench_real_imag_validation.json", "bench_real_imag_tanh_validation.json",
                 "bench_real_imag_log_magnitude_0.1_validation.json",
                 "bench_real_imag_log_magnitude_0.001_validation.json", "bench_real_imag_batch8_validation.json",
                 "bench_magnitude_modulation.json", "bench_magnitude_validation.json",
                 "bench_magnitude_modulation_validation.json", "bench_magnitude_modulation_0.03_validation.json",
                 "bench_logmag_if_modulation_validation.json", "bench_magnitude_ema_validation.json",
                 "real_bees_griffin_lim.json", "real_bees_pghi_edges.json", "real_bees_logmag_if_modulation.json",
                 "real_bees_before_texture.json", "real_bees_texture.json", "real_bees_logmag_if_tanh.json",
                 "real_bees_first.json", "real_bees_real_imag.json", "real_bees_adversarial.json",
                 "real_bees_oscillator_160.json", "real_bees_validation_60.json", "real_bees_validation_160.json"]


def _results_pages() -> str:
    """The README and the benchmark notes beside the results files: where
    the results tables are shown."""
    return (ROOT / "README.md").read_text() + (ROOT / "results" / "README.md").read_text()


@pytest.mark.parametrize("name", RESULTS_FILES)
def test_results_tables_are_the_ones_the_benchmark_wrote(name):
    """Each results table of the README or the benchmark notes is ``bench.results_table`` of its
    ``results/`` file, verbatim: the table and the file cannot disagree."""
    import json

    from beeutils.evaluation import bench

    results = json.loads((ROOT / "results" / name).read_text())
    assert bench.results_table(results) in _results_pages()


def test_every_results_file_is_shown_in_the_readme():
    assert sorted(p.name for p in (ROOT / "results").glob("*.json")) == sorted(RESULTS_FILES)


def _heading_anchor(heading: str) -> str:
    """The anchor a Markdown renderer such as GitHub's gives a heading."""
    text = re.sub(r"[^a-z0-9 _-]", "", heading.lower())
    return text.replace(" ", "-")


def test_links_into_the_benchmark_notes_land_on_a_heading():
    notes = (ROOT / "results" / "README.md").read_text()
    anchors = {_heading_anchor(line.lstrip("#").strip())
               for line in notes.splitlines() if line.startswith("#")}
    links = re.findall(r"\(results/README\.md#([^)]+)\)", (ROOT / "README.md").read_text())
    assert links, "the README links no section of the benchmark notes"
    assert set(links) <= anchors, f"links to no heading: {set(links) - anchors}"


def _notebook_stems() -> list[str]:
    return sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_every_rendered_page_is_stamped_and_linked_from_the_readme():
    """Each page in ``docs/`` renders a notebook of the series, names the
    commit it was rendered from, and is linked from the README's notebook
    table and from ``docs/README.md``."""
    readme = (ROOT / "README.md").read_text()
    index = (ROOT / "docs" / "README.md").read_text()
    pages = sorted((ROOT / "docs").glob("[0-9][0-9]_*.md"))
    assert pages, "no rendered pages: run python -m beeutils.series --render docs/"
    for page in pages:
        assert page.stem in _notebook_stems(), f"{page.name} renders no notebook of the series"
        first = page.read_text().splitlines()[0]
        assert re.search(r"Rendered from commit `[0-9a-f]{7,}` in full mode", first), first
        assert f"(docs/{page.stem}.md)" in readme, f"the README does not link {page.name}"
        assert f"({page.stem}.md)" in index, f"docs/README.md does not list {page.stem}"


def test_every_notebook_has_a_rendered_page():
    missing = [stem for stem in _notebook_stems()
               if not (ROOT / "docs" / f"{stem}.md").is_file()]
    assert not missing, f"not rendered: {missing} (python -m beeutils.series --render docs/)"


def test_rendered_series_is_within_its_size_budget():
    from beeutils import render

    assert render.folder_mb(ROOT / "docs") <= render.SIZE_BUDGET_MB


def test_rendered_pages_hold_their_figures():
    """Every image a page shows is a file beside it (no broken figure)."""
    for page in (ROOT / "docs").glob("*.md"):
        for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page.read_text()):
            assert (page.parent / target).is_file(), f"{page.name}: missing {target}"
