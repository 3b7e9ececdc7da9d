"""Execute the notebook series headless and time it.

    python -m beeutils.series            # every notebook, full mode
    python -m beeutils.series --fast     # every notebook, fast mode (BEE_FAST=1)
    python -m beeutils.series --fast --only 02 --only 03
    python -m beeutils.series --render docs/   # full mode, one page per notebook

Executed copies go to ``build/executed/`` (the committed notebooks stay
stripped) and a timing table to ``build/timings.md`` and ``build/timings.json``.
The test suite runs the notebooks through ``run_notebook``, the same code path.
With ``--render DIR`` each executed notebook also becomes a Markdown page
with its figures, tables and a few sounds (``beeutils.render``), under a
size budget.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from beeutils.config import ROOT

NOTEBOOK_DIR = ROOT / "notebooks"
#: Hard timeout per notebook run in fast mode (the target is under 3 minutes each;
#: tests/test_notebooks.py checks that budget).
FAST_TIMEOUT_S = 600
FULL_TIMEOUT_S = 3600


@dataclasses.dataclass
class NotebookRun:
    """Outcome of executing one notebook."""

    name: str
    fast: bool
    seconds: float
    ok: bool
    error: str = ""
    output_path: Path | None = None


def list_notebooks(only: Sequence[str] = ()) -> list[Path]:
    """Notebooks of the series in order; ``only`` keeps names starting with
    any of the given prefixes (``"02"`` or ``"02_bee_audio_and_stft"``)."""
    books = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    if only:
        books = [b for b in books if any(b.stem.startswith(p) for p in only)]
        if not books:
            raise SystemExit(f"no notebook matches {list(only)} in {NOTEBOOK_DIR}")
    return books


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    """Set environment variables for the kernel, then restore them."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_notebook(
    path: Path, fast: bool = True, timeout: int | None = None, out_dir: Path | None = None
) -> NotebookRun:
    """Execute one notebook top to bottom in a fresh kernel.

    Args:
        path: the ``.ipynb`` file (its folder is the working directory).
        fast: run with ``BEE_FAST=1``.
        timeout: seconds allowed per cell.
        out_dir: where to write the executed copy (default ``build/executed``).

    Returns:
        A ``NotebookRun`` with the wall-clock time and the first error, if any.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    timeout = timeout or (FAST_TIMEOUT_S if fast else FULL_TIMEOUT_S)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    # No MPLBACKEND here: the kernel's inline backend puts figures in the output.
    env = {"BEE_FAST": "1" if fast else "0"}
    start = time.perf_counter()
    error = ""
    with _environment(**env):
        try:
            client.execute()
        except CellExecutionError as exc:
            error = str(exc)
        except Exception as exc:  # kernel death, timeout: report, don't hide
            error = f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - start
    out_dir = Path(out_dir) if out_dir else ROOT / "build" / "executed"
    out_dir.mkdir(parents=True, exist_ok=True)
    out_path = out_dir / f"{path.stem}{'.fast' if fast else ''}.ipynb"
    nbformat.write(nb, out_path)
    return NotebookRun(path.stem, fast, seconds, not error, error, out_path)


def timing_table(runs: Sequence[NotebookRun]) -> str:
    """Markdown table of the runs."""
    lines = ["| notebook | mode | seconds | result |", "|---|---|---:|---|"]
    for run in runs:
        mode = "fast" if run.fast else "full"
        lines.append(f"| {run.name} | {mode} | {run.seconds:.1f} | {'ok' if run.ok else 'FAILED'} |")
    total = sum(r.seconds for r in runs)
    lines.append(f"| **total** | | {total:.1f} | |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m beeutils.series", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fast", action="store_true", help="fast mode (BEE_FAST=1)")
    parser.add_argument("--only", action="append", default=[], metavar="NN",
                        help="run only notebooks whose name starts with this (repeatable)")
    parser.add_argument("--timeout", type=int, default=None, help="seconds allowed per cell")
    parser.add_argument("--out", type=Path, default=ROOT / "build", help="output folder")
    parser.add_argument("--render", type=Path, metavar="DIR",
                        help="also write one Markdown page per notebook here (e.g. docs/)")
    args = parser.parse_args(argv)
    if args.render is not None:
        from beeutils.config import recordings_dir

        if recordings_dir() is not None:
            parser.error("a recordings folder is set (BEE_RECORDINGS or data/real/): the "
                         "rendered pages must show the synthetic corpus only")
        from beeutils import render

        commit = render.commit_id(ignore=args.render)
        args.render.mkdir(parents=True, exist_ok=True)

    runs, pages = [], []
    for path in list_notebooks(args.only):
        print(f"running {path.name} ({'fast' if args.fast else 'full'} mode) ...", flush=True)
        run = run_notebook(path, fast=args.fast, timeout=args.timeout,
                           out_dir=args.out / "executed")
        runs.append(run)
        print(f"  {'ok' if run.ok else 'FAILED'} in {run.seconds:.1f} s -> {run.output_path}",
              flush=True)
        if run.error:
            print(run.error[-3000:], file=sys.stderr)
        elif args.render is not None:
            pages.append(render.render_notebook(run.output_path, args.render, commit,
                                                "fast" if args.fast else "full", run.seconds))
    if args.render is not None:
        render.write_index(args.render)
        size = render.folder_mb(args.render)
        print(f"rendered {len(pages)} pages into {args.render}: {size:.1f} MB "
              f"(budget {render.SIZE_BUDGET_MB:.0f} MB)")
        if size > render.SIZE_BUDGET_MB:
            print(f"{args.render} is over the size budget", file=sys.stderr)
            return 1
    table = timing_table(runs)
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "_fast" if args.fast else ""
    (args.out / f"timings{suffix}.md").write_text(table + "\n")
    (args.out / f"timings{suffix}.json").write_text(json.dumps(
        [{"name": r.name, "fast": r.fast, "seconds": round(r.seconds, 2), "ok": r.ok}
         for r in runs], indent=2) + "\n")
    print(table)
    return 0 if all(r.ok for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
