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


def test_render_writes_a_page_with_figures_audio_and_the_commit(tmp_path):
    """A tiny executed notebook with text, a figure, a table, a widget and
    two sounds becomes one Markdown page with files beside it."""
    import soundfile as sf

    from beeutils import render

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 99 · A tiny page\n\nWhy before how."),
        nbformat.v4.new_code_cell(
            "%matplotlib inline\n"
            "import numpy as np, matplotlib.pyplot as plt\n"
            "from IPython.display import Audio, Markdown, display\n"
            "import ipywidgets as w\n"
            "print('hello from the kernel')\n"
            "plt.plot([0, 1], [1, 0]); plt.xlabel('time (s)'); plt.show()\n"
            "display(Markdown('| a | b |\\n|---|---|\\n| 1 | 2 |'))\n"
            "display(w.IntSlider())\n"
            "t = np.arange(48000) / 8000  # 6 s\n"
            "display(Audio(np.sin(2 * np.pi * 230 * t), rate=8000))\n"
            "display(Audio(np.sin(2 * np.pi * 460 * t), rate=8000))"),
    ]
    path = tmp_path / "99_tiny.ipynb"
    nbformat.write(nb, path)
    run = series.run_notebook(path, fast=True, out_dir=tmp_path / "executed")
    assert run.ok, run.error
    page = render.render_notebook(run.output_path, tmp_path / "docs", "abc1234", "fast",
                                  run.seconds)
    text = page.read_text()
    assert page.name == "99_tiny.md"
    assert "commit `abc1234` in fast mode" in text and "# 99 · A tiny page" in text
    assert "hello from the kernel" in text and "| 1 | 2 |" in text
    assert "![figure 1](99_tiny/figure_01.png)" in text
    assert "interactive widget" in text
    figure = tmp_path / "docs" / "99_tiny" / "figure_01.png"
    assert figure.read_bytes()[:4] == b"\x89PNG"
    clips = sorted((tmp_path / "docs" / "99_tiny").glob("audio_*.ogg"))
    assert len(clips) == 2
    data, sr = sf.read(str(clips[0]))
    assert sr == 8000 and len(data) == int(render.AUDIO_SECONDS * sr)  # cut to the limit
    older = tmp_path / "docs" / "01_older.md"  # a page of an earlier render stays listed
    older.write_text("*Rendered from commit `def5678` in full mode.*\n")
    index = render.write_index(tmp_path / "docs").read_text()
    assert "[01_older](01_older.md) (commit `def5678`)" in index
    assert "[99_tiny](99_tiny.md) (commit `abc1234`)" in index
    assert index.index("01_older") < index.index("99_tiny")
    assert 0 < render.folder_mb(tmp_path / "docs") < 1


def test_render_keeps_one_line_per_epoch_of_a_progress_bar(tmp_path):
    """Keras writes a progress bar as hundreds of coloured stdout pieces; the
    page shows the text a terminal would end with: one line per epoch."""
    from beeutils import render

    bar = [nbformat.v4.new_output("stream", name="stdout", text="Epoch 1/2\n")]
    for epoch in (1, 2):
        bar += [nbformat.v4.new_output("stream", name="stdout",
                                       text=f"\r\x1b[1m{step}/16\x1b[0m - loss: {epoch}.{step}\n")
                for step in range(1, 17)]
        if epoch == 1:
            bar.append(nbformat.v4.new_output("stream", name="stdout", text="Epoch 2/2\n"))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("model.fit(...)", outputs=bar)]
    path = tmp_path / "98_bar.ipynb"
    nbformat.write(nb, path)
    text = render.render_notebook(path, tmp_path / "docs", "abc1234", "full").read_text()
    block = text[text.index("```text"):]
    block = block[: block.index("```", 3) + 3]
    assert block == "```text\nEpoch 1/2\n16/16 - loss: 1.16\nEpoch 2/2\n16/16 - loss: 2.16\n```"


def test_render_refuses_while_recordings_are_configured(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BEE_RECORDINGS", str(tmp_path))
    with pytest.raises(SystemExit):
        series.main(["--fast", "--only", "02", "--render", str(tmp_path / "docs")])
    assert "synthetic corpus only" in capsys.readouterr().err


def test_commit_id_is_dirty_for_changed_code_but_not_for_the_pages_folder(tmp_path):
    import subprocess

    from beeutils import render

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text("old page\n")
    (tmp_path / "code.py").write_text("x = 1\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start")
    clean = render.commit_id(tmp_path)
    assert clean != "unknown" and not clean.endswith("+dirty")
    (tmp_path / "docs" / "page.md").write_text("new page\n")  # what a render writes
    assert render.commit_id(tmp_path) == clean + "+dirty"
    assert render.commit_id(tmp_path, ignore=tmp_path / "docs") == clean
    (tmp_path / "code.py").write_text("x = 2\n")              # the code itself changed
    assert render.commit_id(tmp_path, ignore=tmp_path / "docs") == clean + "+dirty"
    assert render.commit_id(tmp_path / "missing") == "unknown"
