"""Train a model from the command line, on the synthetic corpus or your recordings.

    python -m beeutils.train --approach magnitude --epochs 30
    python -m beeutils.train --approach oscillator --data ~/hive --out build/models/hive.keras
    python -m beeutils.train --approach oscillator --conditional --epochs 60 --adversarial-epochs 30
    python -m beeutils.train --approach magnitude --conditional --kinds hum,queen_toot,hiss
    python -m beeutils.train --approach magnitude --epochs 30 --resume   # after an interruption
    python -m beeutils.train --approach magnitude --network modulation_weight=0   # without that loss

Writes ``--out`` (default ``build/models/<approach>.keras``) with its ``.json``
description beside it: what ``python -m beeutils.generate`` and notebook 10
read.  While training, a backup is kept in ``<out>.backup/`` after every
epoch; ``--resume`` carries on from it with the same settings.  Bad input
(a folder with no readable audio, an unknown approach or kind, a backup or
model file of another approach on ``--resume``, a ``--network`` change to a
field the approach's network does not have) gets a one-line error and exit
status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["UsageError", "backup_dir", "budget_text", "train_command", "main"]


class UsageError(ValueError):
    """Input the command cannot work with; reported in one line, exit 2."""


def backup_dir(out: Path) -> Path:
    """Where the epoch-end backups of a model written to ``out`` are kept."""
    return out.with_suffix(".backup")


def _corpus(data: Path | None, kinds: Sequence[str] | None, clips_per_kind: int,
            seed: int) -> Any:
    from beeutils.data import datasets, readers, synth
    from beeutils.data.audio import AudioError

    if data is None:
        unknown = sorted(set(kinds or ()) - set(synth.KINDS))
        if unknown:
            raise UsageError(f"unknown kind(s) {', '.join(unknown)}; the synthetic corpus has "
                             f"{', '.join(synth.KINDS)}")
        return datasets.make_corpus(kinds=kinds, clips_per_kind=clips_per_kind, seed=seed)
    try:
        corpus = readers.training_corpus(data, seed=seed)
    except AudioError as err:
        raise UsageError(str(err)) from err
    if kinds:
        unknown = sorted(set(kinds) - set(corpus.kinds))
        if unknown:
            raise UsageError(f"{data}: no recordings labelled {', '.join(unknown)} (labels: "
                             f"{', '.join(corpus.kinds)})")
        corpus = corpus.only(kinds, seed=seed)
    return corpus


def _check_resume(out: Path, config: Any) -> None:
    """A resumed run must continue the same model: same approach, same settings."""
    from beeutils.models.audio_model import AudioModel, ModelFileError

    if out.exists():
        try:
            saved = AudioModel.read_description(out)["config"]
        except ModelFileError as err:
            raise UsageError(f"--resume: {err}") from err
        if saved.approach != config.approach:
            raise UsageError(f"--resume: {out} holds a {saved.approach} model, not "
                             f"{config.approach}")
    described = backup_dir(out) / "model.json"
    if described.is_file():
        saved = json.loads(described.read_text())
        if saved != config.to_dict():
            raise UsageError(f"--resume: the backup in {backup_dir(out)} is of a "
                             f"{saved.get('approach')} model with other settings; "
                             "start without --resume")


def budget_text(approach: str, n_train: int, epochs: int, batch_size: int,
                on_corpus: bool = True) -> str:
    """The run's budget in steps, and for your recordings how it compares
    with what the benchmark gives ``approach`` on the synthetic corpus.

    ``--epochs`` counts passes over the data, so a small folder makes few
    steps of them: 76 clips in batches of 32 are 3 steps an epoch, against
    8 on the corpus.  When the run would make fewer steps than the
    benchmark's, the text names the ``--epochs`` that would make as many.
    (For the oscillator bank, the reconstruction stage only.)
    """
    from beeutils.data import datasets
    from beeutils.evaluation.bench import FULL

    per_epoch = math.ceil(n_train / batch_size)
    text = (f"{per_epoch} steps of {batch_size} clips per epoch: {epochs * per_epoch} steps "
            f"in {epochs} epochs")
    if on_corpus:
        return text
    corpus_train = datasets.split_sizes(FULL.clips_per_kind)["train"]
    benchmark = FULL.epochs_for(approach) * math.ceil(corpus_train / batch_size)
    if epochs * per_epoch >= benchmark:
        return text
    return (f"{text}; on the synthetic corpus the benchmark gives {approach} {benchmark} "
            f"steps, which --epochs {math.ceil(benchmark / per_epoch)} would give it here")


def train_command(approach: str = "magnitude", data: Path | None = None,
                  kinds: Sequence[str] | None = None, conditional: bool = False,
                  epochs: int = 30, batch_size: int | None = None, clips_per_kind: int = 40,
                  seed: int = 0, out: Path | None = None, resume: bool = False,
                  callbacks: Sequence[Any] = (), verbose: int | str = 1,
                  adversarial_epochs: int = 0,
                  network_changes: dict[str, Any] | None = None) -> Path:
    """What ``python -m beeutils.train`` does; returns the ``.keras`` path.

    ``batch_size`` None takes the approach's
    (``models.configs.TRAINING_BATCH_SIZE``, as the benchmark does);
    ``network_changes`` ``{field: value}`` change fields of the approach's
    default network (``models.configs.network_with``).

    Raises:
        UsageError: unusable input (see the module docstring).
    """
    from beeutils.models.audio_model import APPROACHES, AudioModel
    from beeutils.models.configs import TRAINING_BATCH_SIZE, ModelConfig, network_with

    if approach not in APPROACHES:
        raise UsageError(f"unknown approach {approach!r}; choose one of {', '.join(APPROACHES)}")
    if batch_size is None:
        batch_size = TRAINING_BATCH_SIZE[approach]
    if epochs < 1 or batch_size < 1 or clips_per_kind < 1:
        raise UsageError("--epochs, --batch-size and --clips-per-kind must be at least 1")
    if adversarial_epochs < 0:
        raise UsageError("--adversarial-epochs must be at least 0")
    out = Path(out or Path("build/models") / f"{approach}.keras").with_suffix(".keras")
    try:  # before the corpus is read or synthesised: a typo fails at once
        network = network_with(approach, network_changes)
    except (TypeError, ValueError) as err:
        raise UsageError(f"--network: {err}") from err
    corpus = _corpus(data, kinds, clips_per_kind, seed)
    config = ModelConfig(approach, network=network, conditional=conditional)
    backup = backup_dir(out)
    if resume:
        _check_resume(out, config)
    model = AudioModel.build(config, corpus, seed=seed)
    if adversarial_epochs and not model.has_adversarial_stage:
        raise UsageError(f"--adversarial-epochs: the {approach} model has no separate "
                         "adversarial stage (its discriminator trains from the first step)")
    if not resume and backup.exists():
        shutil.rmtree(backup)  # a fresh run must not pick up an old backup
    backup.mkdir(parents=True, exist_ok=True)
    (backup / "model.json").write_text(json.dumps(config.to_dict()))
    n_train = len(corpus.labels("train"))
    print(f"training {approach}{' by kind' if conditional else ''} on "
          f"{data or 'the synthetic corpus'}: {n_train} training clips "
          f"of {', '.join(corpus.kinds)}", flush=True)
    print(budget_text(approach, n_train, epochs, batch_size, on_corpus=data is None),
          flush=True)
    result = model.train(corpus, epochs=epochs, batch_size=batch_size, seed=seed,
                         backup_dir=backup, callbacks=callbacks, verbose=verbose,
                         adversarial_epochs=adversarial_epochs)
    path = model.save(out)
    shutil.rmtree(backup, ignore_errors=True)
    print(f"{result}\nwrote {path}", flush=True)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    from beeutils.models.configs import APPROACHES, TRAINING_BATCH_SIZE, parse_change

    parser = argparse.ArgumentParser(prog="python -m beeutils.train",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--approach", default="magnitude",
                        help=f"one of {', '.join(APPROACHES)} (default magnitude)")
    parser.add_argument("--data", type=Path,
                        help="folder of recordings (NU-Hive, BUZZ or subfolders as labels); "
                             "default: the synthetic corpus")
    parser.add_argument("--kinds", help="comma-separated kinds (or labels) to train on")
    parser.add_argument("--conditional", action="store_true",
                        help="condition the model on kind (generate --kind then works)")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--adversarial-epochs", type=int, default=0,
                        help="oscillator bank: epochs of a second, adversarial stage after "
                             "--epochs of reconstruction (default 0)")
    parser.add_argument("--batch-size", type=int,
                        help="clips per training step (default: "
                             + ", ".join(f"{n} for {a}" for a, n in TRAINING_BATCH_SIZE.items())
                             + ")")
    parser.add_argument("--clips-per-kind", type=int, default=40,
                        help="synthetic corpus size (default 40)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="model file (default build/models/APPROACH.keras)")
    parser.add_argument("--resume", action="store_true",
                        help="carry on from the backup an interrupted run left")
    parser.add_argument("--network", action="append", metavar="FIELD=VALUE",
                        help="change a field of the approach's default network, e.g. "
                             "modulation_weight=0.03 (the value is read as JSON); repeat "
                             "for several")
    args = parser.parse_args(argv)

    from beeutils import config

    config.setup(seed=args.seed, plots=False)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()] if args.kinds else None
    try:
        changes = {}
        for item in args.network or ():
            try:
                field, value = parse_change(item)
            except ValueError as err:
                raise UsageError(f"--network {item}: {err}") from err
            changes[field] = value
        train_command(args.approach, args.data, kinds, args.conditional, args.epochs,
                      args.batch_size, args.clips_per_kind, args.seed, args.out, args.resume,
                      adversarial_epochs=args.adversarial_epochs, network_changes=changes)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
