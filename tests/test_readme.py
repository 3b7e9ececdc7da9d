"""The README's module table names exactly the modules in the package."""

import re

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


def test_results_table_is_the_one_the_benchmark_wrote():
    """The README's results are ``bench.results_table`` of ``results/bench.json``,
    verbatim: the table and the file cannot disagree."""
    import json

    from beeutils.evaluation import bench

    results = json.loads((ROOT / "results" / "bench.json").read_text())
    assert bench.results_table(results) in (ROOT / "README.md").read_text()


def test_real_recordings_table_is_the_one_the_benchmark_wrote():
    import json

    from beeutils.evaluation import bench

    results = json.loads((ROOT / "results" / "real_bees.json").read_text())
    assert bench.results_table(results) in (ROOT / "README.md").read_text()
