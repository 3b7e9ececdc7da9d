"""One way to train every model of the series: ``train``.

``train`` is Keras' ``fit`` with what a long run on a laptop needs:

- a progress bar (Keras' own);
- ``NaNWatch`` (``beeutils.training.diagnostics``): training stops at the
  first inf or NaN loss term or gradient, with the last finite weights;
- ``keras.callbacks.BackupAndRestore`` when ``backup_dir`` is given: the
  weights, optimiser state and epoch are written at the end of every epoch,
  and a run started again with the same ``backup_dir`` carries on from there;
- batches in an order that depends on ``(seed, epoch)`` alone
  (``SeededBatches``), so that a resumed run sees the very batches the
  uninterrupted one would have seen.

Inputs are whatever the model's ``train_step`` reads: an array
``(n, freq, time, channels)``, a dict of arrays with one row per clip (the
oscillator-bank model), or ``(inputs, one-hot labels)`` for a model
conditioned on kind.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from beeutils.training.diagnostics import NaNWatch

__all__ = ["SeededBatches", "TrainResult", "n_rows", "train"]


def n_rows(inputs: Any) -> int:
    """Examples in an array, or in a dict of arrays (its first value)."""
    return len(next(iter(inputs.values())) if isinstance(inputs, dict) else inputs)


class SeededBatches(keras.utils.PyDataset):
    """Mini-batches whose order is a function of ``(seed, epoch)`` alone.

    Keras' own ``shuffle=True`` draws from generators whose state a resumed
    run cannot recover; here the epoch number picks the permutation.  Keras
    reads the batches of an epoch in index order (``fit(shuffle=False)``),
    and may start reading the next epoch before that epoch begins, so each
    read of batch 0 starts the next epoch's order.

    Args:
        inputs: an array, or a dict of arrays, with one row per example.
        labels: ``(n, ...)`` array or ``None``.
        batch_size: examples per batch (the last batch may be smaller).
        seed: seed of the permutations.
    """

    def __init__(self, inputs: Any, labels: np.ndarray | None, batch_size: int,
                 seed: int = 0) -> None:
        super().__init__()
        self.inputs, self.labels = inputs, labels
        self.n = n_rows(inputs)
        if self.n == 0:
            raise ValueError("no training examples")
        self.batch_size, self.seed = int(batch_size), int(seed)
        self.next_epoch = 0
        self.order = self.permutation(0)

    def permutation(self, epoch: int) -> np.ndarray:
        """The order of the examples in ``epoch``."""
        return np.random.default_rng([self.seed, int(epoch)]).permutation(self.n)

    def __len__(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def __getitem__(self, index: int) -> Any:
        if index == 0:
            self.order = self.permutation(self.next_epoch)
            self.next_epoch += 1
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        x = ({k: v[rows] for k, v in self.inputs.items()} if isinstance(self.inputs, dict)
             else self.inputs[rows])
        return x if self.labels is None else (x, self.labels[rows])


class _EpochSeeds(keras.callbacks.Callback):
    """At the start of each epoch, make its randomness a function of
    ``(seed, epoch)`` alone: the first epoch of the batch order
    (``SeededBatches``) and the state of every Keras ``SeedGenerator`` in the model (the VAE's sampling
    noise), which backups do not hold.  A resumed run then repeats the
    uninterrupted one step for step."""

    def __init__(self, batches: SeededBatches, seed: int) -> None:
        super().__init__()
        self.batches, self.seed = batches, int(seed)
        self.first_epoch: int | None = None

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.first_epoch is None:
            # Keras has only read the batches it probes for their shapes;
            # the first epoch's own reading starts after this call.
            self.first_epoch = self.batches.next_epoch = epoch
        states = [v for v in self.model.non_trainable_variables
                  if v.path.endswith("seed_generator_state")]
        draws = np.random.default_rng([self.seed, int(epoch), 1]).integers(
            1, 2**31 - 1, len(states))
        for state, draw in zip(states, draws):
            # A SeedGenerator's state is (seed, counter): a new seed, counter 0.
            state.assign(np.array([draw, 0], dtype=state.dtype))


@dataclasses.dataclass
class TrainResult:
    """What ``train`` returns.

    Attributes:
        history: the ``keras.callbacks.History`` (``.history``: name -> list
            per epoch, ``val_*`` for the validation split).
        seconds: wall-clock training time.
        event: ``NaNWatch``'s ``NonFiniteEvent``, or ``None`` if every loss
            term and gradient norm stayed finite.
        steps: training steps run.
        epochs: epochs run in this call.
        first_epoch: the epoch this call started from (0, or where a
            resumed run picked up).
    """

    history: Any
    seconds: float
    event: Any
    steps: int
    epochs: int
    first_epoch: int = 0

    @property
    def finite(self) -> bool:
        """True when no loss term or gradient norm went inf or NaN."""
        return self.event is None

    def then(self, later: "TrainResult") -> "TrainResult":
        """This run followed by ``later`` (a second stage) as one result:
        seconds, steps and epochs added, ``later``'s event, and one history
        with ``later``'s keys, one value per epoch of both stages (NaN
        where the first stage did not log the key)."""
        first = len(next(iter(self.history.history.values()), []))
        joined = {key: [*self.history.history.get(key, [math.nan] * first), *values]
                  for key, values in later.history.history.items()}
        history = copy.copy(later.history)
        history.history = joined
        return TrainResult(history, self.seconds + later.seconds, later.event,
                           self.steps + later.steps, self.epochs + later.epochs,
                           self.first_epoch)

    def __str__(self) -> str:
        status = "all finite" if self.finite else f"stopped: {self.event}"
        return (f"{self.epochs} epochs, {self.steps} steps in {self.seconds:.1f} s "
                f"({self.seconds / max(self.steps, 1):.2f} s/step); {status}")


def _inputs_and_labels(data: Any) -> tuple[Any, Any]:
    """``x`` -> ``(x, None)``; ``(x, labels)`` -> ``(x, labels)``."""
    if isinstance(data, (tuple, list)):
        if len(data) != 2:
            raise ValueError(f"expected inputs or (inputs, labels), got a sequence of "
                             f"{len(data)} items")
        return data[0], data[1]
    return data, None


def train(model: Any, train_data: Any, validation_data: Any = None, epochs: int = 40,
          batch_size: int = 32, seed: int = 0, backup_dir: str | Path | None = None,
          callbacks: Sequence[Any] = (), verbose: int | str = "auto") -> TrainResult:
    """Fit ``model`` with a progress bar, ``NaNWatch`` and, optionally, resume.

    Args:
        model: a compiled Keras model (``VAEGAN``, ``OscillatorVAE``, ...).
        train_data: the inputs its ``train_step`` reads, or ``(inputs,
            one-hot labels (n, n_kinds))``.
        validation_data: the same for the validation split (losses logged as
            ``val_*`` each epoch), or ``None``.
        epochs: the total number of passes over ``train_data``.
        batch_size: examples per step.
        seed: picks the batch order of every epoch (``SeededBatches``).
        backup_dir: keep a backup here after every epoch
            (``keras.callbacks.BackupAndRestore``); a run that finds one
            resumes from it.  The backup is removed when training ends.
        callbacks: extra Keras callbacks.
        verbose: Keras progress display (1: progress bar, 2: a line per
            epoch, 0: silent).

    Returns:
        ``TrainResult``.  Training stops at the first non-finite value, with
        the weights of the last finite step restored.
    """
    x, y = _inputs_and_labels(train_data)
    batches = SeededBatches(x, None if y is None else np.asarray(y), batch_size, seed)
    validation = None
    if validation_data is not None:
        xv, yv = _inputs_and_labels(validation_data)
        if n_rows(xv):
            validation = (xv,) if yv is None else (xv, yv)
    watch, numbering = NaNWatch(verbose=True), _EpochSeeds(batches, seed)
    extra = [numbering, watch]
    if backup_dir is not None:
        extra.append(keras.callbacks.BackupAndRestore(str(backup_dir)))
    start = time.perf_counter()
    history = model.fit(batches, epochs=epochs, validation_data=validation, shuffle=False,
                        callbacks=[*extra, *callbacks], verbose=verbose)
    seconds = time.perf_counter() - start
    n_epochs = len(next(iter(history.history.values()), []))
    return TrainResult(history, seconds, watch.event, watch.steps_seen, n_epochs,
                       first_epoch=numbering.first_epoch or 0)
