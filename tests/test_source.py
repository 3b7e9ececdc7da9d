"""show_source: docstrings folded, excerpts framed."""

from beeutils.source import source_lines


def _example(x):
    """A docstring
    over two lines."""
    y = x + 1
    z = y * 2
    return z


def test_docstring_is_folded():
    lines = source_lines(_example)
    assert lines[0].startswith("def _example")
    assert lines[1].strip() == '"""..."""'
    assert "over two lines" not in "\n".join(lines)


def test_excerpt_between_markers():
    lines = source_lines(_example, start="y = x", stop="return")
    assert lines == ["    ...", "    y = x + 1", "    z = y * 2", "    ..."]


def test_a_stale_marker_stops_the_excerpt_with_its_name():
    import pytest

    with pytest.raises(ValueError, match="_example: no line contains the start marker 'w = '"):
        source_lines(_example, start="w = ")
    with pytest.raises(ValueError, match="stop marker 'yield'"):
        source_lines(_example, start="y = x", stop="yield")


def test_every_excerpt_the_notebooks_print_is_current():
    """Each ``show_source(obj, start, stop)`` of the notebooks resolves against
    the package as it is now, without running the notebooks: a moved line
    fails here by name."""
    import ast

    from beeutils.config import ROOT

    checked = 0
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")):
        tree = ast.parse(path.read_text())
        namespace: dict = {}
        for node in tree.body:  # the notebook's own imports
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                exec(compile(ast.Module([node], []), str(path), "exec"), namespace)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "show_source":
                try:
                    obj = eval(ast.unparse(node.args[0]), namespace)
                except NameError:
                    continue  # a function the notebook defines itself
                markers = [ast.literal_eval(a) for a in node.args[1:]]
                assert source_lines(obj, *markers), (path.name, ast.unparse(node))
                checked += 1
    assert checked >= 30
