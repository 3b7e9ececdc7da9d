"""Pages a reader can see before running anything: executed notebooks as Markdown.

``python -m beeutils.series --render docs/`` executes the series (full mode
unless ``--fast``) and hands each executed notebook to ``render_notebook``,
which writes one Markdown page per notebook:

- markdown cells as they are, code cells as fenced Python;
- text output fenced (long output cut in the middle);
- figures (``image/png``) as PNG files beside the page;
- tables (``text/markdown`` output) as they are;
- the first few audio players (``IPython.display.Audio``, embedded WAV) as
  short OGG Vorbis files, cut to ``AUDIO_SECONDS``;
- widgets as a line saying that they need a live kernel.

Each page starts with the commit it was rendered from, the mode and the
notebook's run time, so a figure on the page is the one that commit's
notebook computes.  Rendering refuses to run while a recordings folder is
configured (``config.recordings_dir()``): the pages show the synthetic corpus
only.
"""

from __future__ import annotations

import base64
import io
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from beeutils.config import ROOT

__all__ = ["AUDIO_PER_PAGE", "AUDIO_SECONDS", "SIZE_BUDGET_MB", "commit_id", "folder_mb",
           "render_notebook", "write_index"]

#: Audio examples kept per page, and their length at most (seconds).
AUDIO_PER_PAGE = 6
AUDIO_SECONDS = 4.0
#: The whole rendered series must stay under this size.
SIZE_BUDGET_MB = 30.0
#: Text output longer than this many lines is cut in the middle.
MAX_TEXT_LINES = 40

_AUDIO_SRC = re.compile(r'src="data:audio/(?:x-)?wav;base64,([A-Za-z0-9+/=\s]+)"')


def commit_id(root: Path = ROOT, ignore: Path | None = None) -> str:
    """The repository's current commit (short hash, ``+dirty`` when tracked
    files differ from it), or ``"unknown"`` outside git.  Changes inside
    ``ignore`` (the folder the pages are written to: rendering one notebook
    rewrites it) do not count."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()

    paths = ["."]
    if ignore is not None:
        try:
            inside = Path(ignore).resolve().relative_to(Path(root).resolve())
        except ValueError:  # outside the repository: nothing of it is tracked
            inside = None
        if inside is not None and inside != Path("."):
            paths.append(f":(exclude){inside.as_posix()}")
    try:
        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", *paths)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: A progress-bar line as Keras prints it: "3/16 ━━━━ 2s 150ms/step - loss: ...".
_PROGRESS = re.compile(r"^\s*\d+/\d+\s")


def _terminal_text(text: str) -> str:
    """Text as a terminal would leave it: colour codes dropped, each
    carriage return overwriting its line, and of each run of progress-bar
    lines only the last (a Keras epoch becomes one line)."""
    lines = [line.split("\r")[-1] for line in _ANSI.sub("", text).split("\n")]
    kept: list[str] = []
    for line in lines:
        if kept and _PROGRESS.match(line) and _PROGRESS.match(kept[-1]):
            kept[-1] = line
        elif line.strip() or (kept and kept[-1].strip()):
            kept.append(line)
    return "\n".join(kept)


def _fence(text: str, lang: str = "") -> str:
    lines = text.rstrip("\n").splitlines()
    if len(lines) > MAX_TEXT_LINES:
        keep = MAX_TEXT_LINES // 2
        lines = lines[:keep] + [f"... ({len(lines) - 2 * keep} lines cut) ..."] + lines[-keep:]
    return f"```{lang}\n" + "\n".join(lines) + "\n```"


def _audio_to_ogg(html: str, path: Path) -> bool:
    """Write the first embedded WAV of an ``Audio`` output as OGG Vorbis,
    mono, at most ``AUDIO_SECONDS``; False if there is none."""
    import soundfile as sf

    found = _AUDIO_SRC.search(html)
    if not found:
        return False
    data, sr = sf.read(io.BytesIO(base64.b64decode(found.group(1))), dtype="float32")
    if data.ndim > 1:
        data = data.mean(axis=1)
    data = data[: int(AUDIO_SECONDS * sr)]
    sf.write(str(path), data, sr, format="OGG", subtype="VORBIS")
    return True


def _outputs(outputs: Sequence[Any], page_dir: Path, stem: str, counters: dict) -> list[str]:
    """Markdown for one code cell's outputs; figures and audio land in ``page_dir``."""
    parts: list[str] = []
    stdout = ""  # consecutive stdout pieces (a progress bar writes many) make one block

    def flush() -> None:
        nonlocal stdout
        text = _terminal_text(stdout)
        if text.strip():
            parts.append(_fence(text, "text"))
        stdout = ""

    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream":
            if out.get("name") != "stderr":  # stderr: library chatter, not the lesson
                stdout += "".join(out.get("text", ""))
            continue
        flush()
        if kind == "error":
            parts.append(_fence(f"{out.get('ename')}: {out.get('evalue')}", "text"))
        elif kind in ("display_data", "execute_result"):
            data = out.get("data", {})
            if "image/png" in data:
                counters["figure"] += 1
                name = f"figure_{counters['figure']:02d}.png"
                (page_dir / name).write_bytes(base64.b64decode(data["image/png"]))
                parts.append(f"![figure {counters['figure']}]({stem}/{name})")
            elif "application/vnd.jupyter.widget-view+json" in data:
                parts.append("*(an interactive widget: run the notebook to use it)*")
            elif "text/html" in data and "<audio" in "".join(data["text/html"]):
                counters["audio"] += 1
                if counters["audio"] <= AUDIO_PER_PAGE:
                    name = f"audio_{counters['audio']:02d}.ogg"
                    if _audio_to_ogg("".join(data["text/html"]), page_dir / name):
                        parts.append(f'<audio controls src="{stem}/{name}"></audio> '
                                     f"[audio {counters['audio']}]({stem}/{name})")
            elif "text/markdown" in data:
                parts.append("".join(data["text/markdown"]))
            elif "text/plain" in data:
                parts.append(_fence("".join(data["text/plain"]), "text"))
    flush()
    return parts


def render_notebook(executed: Path, out_dir: Path, commit: str, mode: str,
                    seconds: float | None = None) -> Path:
    """One executed notebook as ``out_dir/<name>.md``, its figures and audio
    in ``out_dir/<name>/``.

    Args:
        executed: an executed ``.ipynb`` (``series.run_notebook`` writes one).
        out_dir: the pages' folder (``docs/``).
        commit: the commit it was made from (``commit_id``).
        mode: ``"full"`` or ``"fast"``.
        seconds: the notebook's run time, stated on the page.

    Returns:
        The page's path.
    """
    import shutil

    import nbformat

    executed = Path(executed)
    nb = nbformat.read(executed, as_version=4)
    stem = executed.stem.removesuffix(".fast")
    out_dir = Path(out_dir)
    page_dir = out_dir / stem
    if page_dir.exists():
        shutil.rmtree(page_dir)  # no figure of an older render survives
    page_dir.mkdir(parents=True)
    took = f", run time {seconds:.0f} s" if seconds is not None else ""
    lines = [f"*Rendered from commit `{commit}` in {mode} mode{took}, synthetic corpus only. "
             f"The notebook: [notebooks/{stem}.ipynb](../notebooks/{stem}.ipynb).*", ""]
    counters = {"figure": 0, "audio": 0}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            lines += [cell.source, ""]
        elif cell.cell_type == "code" and cell.source.strip():
            lines += [_fence(cell.source, "python"), ""]
            for part in _outputs(cell.get("outputs", []), page_dir, stem, counters):
                lines += [part, ""]
    page = out_dir / f"{stem}.md"
    page.write_text("\n".join(lines))
    return page


def folder_mb(folder: Path) -> float:
    """Size of every file under ``folder``, in MB."""
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file()) / 1e6


def write_index(out_dir: Path) -> Path:
    """``out_dir/README.md``: every page in the folder, in order, each with the
    commit it was rendered from (read from its first line), so that rendering
    one notebook again (``--only 09``) keeps the others listed."""
    out_dir = Path(out_dir)
    lines = ["# The series, rendered", "",
             "Every notebook executed and written out with its figures, tables and a "
             "few sounds (synthetic corpus only). Each page names the commit it was "
             "rendered from and the mode it ran in.", ""]
    for page in sorted(out_dir.glob("[0-9][0-9]_*.md")):
        stamp = re.search(r"commit `([^`]+)`", page.read_text().split("\n", 1)[0])
        commit = f" (commit `{stamp.group(1)}`)" if stamp else ""
        lines.append(f"- [{page.stem}]({page.name}){commit}")
    index = out_dir / "README.md"
    index.write_text("\n".join(lines) + "\n")
    return index
