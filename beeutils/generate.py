"""Generate bee sounds from a trained model, from the command line.

    python -m beeutils.generate --model build/models/magnitude.keras --n 8 --out gen/
    python -m beeutils.generate --model build/models/magnitude_by_kind.keras \\
        --kind queen_toot --n 5 --out toots/

Writes ``<kind or sample>_<i>.wav`` (16-bit PCM at the model's sample rate)
and, unless ``--no-png``, a spectrogram ``.png`` beside each.  Models saved by
the notebooks and ``python -m beeutils.train`` (``AudioModel.save``) live in ``build/models/``: a
``.keras`` file with a ``.json`` description beside it that says how to turn
the network's output into sound.

Every batch is checked for broken clips (``beeutils.evaluation.broken``:
silent, clipped, NaN/inf).  All clips are still written, so you can listen
to what went wrong; NaN and inf samples are written as 0 (a wav cannot hold
them).  When some clips are broken a one-line summary goes to stderr and the
exit status stays 0; when every clip is broken the command prints
``error: every clip is broken: ...`` and exits 1.  Bad arguments or model
files exit 2, and so does a spectrogram model whose output holds NaN/inf:
its representation refuses to turn that into audio at all.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from beeutils.evaluation.broken import BrokenReport, broken_report, zero_nonfinite

__all__ = ["Generated", "generate_clips", "generate_files", "main"]


@dataclass(frozen=True)
class Generated:
    """What ``generate_clips`` wrote.

    Attributes:
        paths: the wav paths, one per clip, in clip order.
        report: which clips are silent, clipped or non-finite (computed on
            the model's output, before NaN/inf were zeroed for writing).
    """

    paths: list[Path]
    report: BrokenReport


def _save_png(path: Path, wave: np.ndarray, sr: int, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from beeutils.ui import plotting
    from beeutils.dsp import spectral

    cfg = spectral.STFTConfig(sr=sr, n_freq_keep=None, n_frames=None)
    fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
    plotting.show_spectrogram(spectral.magnitude(spectral.stft(wave, cfg)), cfg, ax=ax,
                              title=title)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def generate_clips(model_path: str | Path, out_dir: str | Path, n: int = 8,
                   kind: str | None = None, seed: int = 0, png: bool = True,
                   texture: bool = False) -> Generated:
    """Sample ``n`` clips from a saved model, write them, and check them.

    Args:
        model_path: the ``.keras`` file (its ``.json`` description beside it).
        out_dir: folder for the files (created).
        n: clips to generate.
        kind: sound kind for a model conditioned on kind (``None`` for an
            unconditional model).
        seed: the same seed gives the same clips.
        png: also write a spectrogram per clip.
        texture: (spectrogram models) sample a noise's scatter around the
            decoded magnitudes (``AudioModel.decode``).

    Returns:
        The wav paths written and the ``BrokenReport`` of the clips.  Broken
        clips are written too (non-finite samples as 0), so they can be heard.

    Raises:
        beeutils.models.audio_model.ModelFileError: missing, unreadable or
            incompatible model file, or a kind the model cannot produce.
    """
    from beeutils.data import audio
    from beeutils.models.audio_model import AudioModel

    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    model = AudioModel.load(model_path)
    raw = np.asarray(model.generate(n, kind=kind, seed=seed, texture=texture))
    report = broken_report(raw)
    # The report keeps the evidence; the files must still be valid audio.
    waves = zero_nonfinite(raw)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = kind or "sample"
    paths = []
    for i, wave in enumerate(waves):
        path = out / f"{stem}_{i:02d}.wav"
        audio.save_audio(path, wave, sr=model.sr)
        if png:
            _save_png(path.with_suffix(".png"), wave, model.sr, f"{model.approach}: {stem} {i}")
        paths.append(path)
    return Generated(paths, report)


def generate_files(model_path: str | Path, out_dir: str | Path, n: int = 8,
                   kind: str | None = None, seed: int = 0, png: bool = True) -> list[Path]:
    """``generate_clips`` returning only the wav paths written (see there for
    the arguments); use ``generate_clips`` to learn which clips are broken."""
    return generate_clips(model_path, out_dir, n, kind, seed, png).paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m beeutils.generate",
                                     description="Generate bee sounds from a trained model.")
    parser.add_argument("--model", required=True, type=Path, help="the .keras model file")
    parser.add_argument("--kind", help="sound kind (models trained with kinds only)")
    parser.add_argument("--n", type=int, default=8, help="clips to generate (default 8)")
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--no-png", action="store_true", help="skip the spectrogram images")
    parser.add_argument("--texture", action="store_true",
                        help="spectrogram models: give the decoded magnitudes a noise's "
                             "scatter before they become sound (a sample, not the average)")
    args = parser.parse_args(argv)

    from beeutils import config
    from beeutils.models.audio_model import ModelFileError

    config.setup(seed=args.seed)
    try:
        result = generate_clips(args.model, args.out, args.n, args.kind, args.seed,
                                png=not args.no_png, texture=args.texture)
    except (ModelFileError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {len(result.paths)} clips to {args.out}")
    report = result.report
    if report.all_broken:
        # A script that only checks the exit status must not take these as samples.
        print(f"error: every clip is broken: {report.summary()}", file=sys.stderr)
        return 1
    if report.n_broken:
        print(f"warning: {report.summary()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
