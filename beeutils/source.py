"""Reading the package inside a notebook: ``show_source`` prints the essential
lines of a function or class the first time a notebook uses it."""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any


def source_lines(obj: Any, start: str | None = None, stop: str | None = None) -> list[str]:
    """Source lines of ``obj`` with its docstring folded to ``\"\"\"...\"\"\"``.

    Args:
        obj: a function, method or class.
        start: keep only the lines from the first one containing this text ...
        stop: ... up to (not including) the next one containing this text.

    Returns:
        The lines, without trailing newlines; an excerpt is framed by ``...``.

    Raises:
        ValueError: ``start`` or ``stop`` is in no line of the source: the
            excerpt went stale when the code moved, and a notebook that
            prints it stops there instead of showing the wrong lines.
    """
    src = textwrap.dedent(inspect.getsource(obj))
    node = ast.parse(src).body[0]
    lines = src.splitlines()
    if ast.get_docstring(node):
        doc = node.body[0]
        lines[doc.lineno - 1 : doc.end_lineno] = [" " * doc.col_offset + '"""..."""']
    if start is not None:
        name = getattr(obj, "__qualname__", repr(obj))
        first = next((i for i, line in enumerate(lines) if start in line), None)
        if first is None:
            raise ValueError(f"{name}: no line contains the start marker {start!r}")
        last = next((i for i, line in enumerate(lines[first + 1 :], first + 1)
                     if stop is not None and stop in line), None)
        if last is None:
            if stop is not None:
                raise ValueError(f"{name}: no line after {start!r} contains the stop "
                                 f"marker {stop!r}")
            last = len(lines)
        lines = ["    ..."] + lines[first:last] + ["    ..."]
    return lines


def show_source(obj: Any, start: str | None = None, stop: str | None = None) -> None:
    """Print ``source_lines(obj, start, stop)``."""
    print("\n".join(source_lines(obj, start, stop)))
