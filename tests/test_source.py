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
