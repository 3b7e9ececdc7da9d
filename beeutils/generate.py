"""Generate bee sounds from a trained model, from the command line.

    python -m beeutils.generate --model build/models/magnitude.keras --n 8 --out gen/
    python -m beeutils.generate --model build/models/magnitude_by_kind.keras \\
        --kind queen_toot --n 5 --out toots/

Writes ``<kind or sample>_<i>.wav`` (16-bit PCM at the model's sample rate)
and, unless ``--no-png``, a spectrogram ``.png`` beside each.  Models saved by
the notebooks and ``python -m beeutils.train`` (``AudioModel.save``) live in ``build/models/``: a
``.keras`` file with a ``.json`` description beside it that says how to turn
the network's output into sound.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["generate_files", "main"]


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


def generate_files(model_path: str | Path, out_dir: str | Path, n: int = 8,
                   kind: str | None = None, seed: int = 0, png: bool = True) -> list[Path]:
    """Sample ``n`` clips from a saved model and write them as wav (and png).

    Args:
        model_path: the ``.keras`` file (its ``.json`` description beside it).
        out_dir: folder for the files (created).
        n: clips to generate.
        kind: sound kind for a model conditioned on kind (``None`` for an
            unconditional model).
        seed: the same seed gives the same clips.
        png: also write a spectrogram per clip.

    Returns:
        The wav paths written.

    Raises:
        beeutils.models.audio_model.ModelFileError: missing, unreadable or
            incompatible model file, or a kind the model cannot produce.
    """
    from beeutils.data import audio
    from beeutils.models.audio_model import AudioModel

    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    model = AudioModel.load(model_path)
    waves = model.generate(n, kind=kind, seed=seed)
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
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m beeutils.generate",
                                     description="Generate bee sounds from a trained model.")
    parser.add_argument("--model", required=True, type=Path, help="the .keras model file")
    parser.add_argument("--kind", help="sound kind (models trained with kinds only)")
    parser.add_argument("--n", type=int, default=8, help="clips to generate (default 8)")
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--no-png", action="store_true", help="skip the spectrogram images")
    args = parser.parse_args(argv)

    from beeutils import config
    from beeutils.models.audio_model import ModelFileError

    config.setup(seed=args.seed)
    try:
        paths = generate_files(args.model, args.out, args.n, args.kind, args.seed,
                               png=not args.no_png)
    except (ModelFileError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {len(paths)} clips to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
