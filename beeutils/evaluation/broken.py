"""Spot generated clips nobody should have to listen to: silent, clipped, NaN.

A model can go wrong in ways no loss curve shows: a decoder that collapsed
to zero writes silence, one that diverged writes NaN, one driven past full
scale writes square waves.  ``broken_report`` sorts a batch of clips into
those three bins so the command line, the widgets and the benchmark can say
so instead of writing the clips quietly.

The rules, for one clip ``x`` (floats, full scale = 1.0):

- *non-finite*: any sample is NaN or +-inf.  Such a clip is counted here
  only, not also as silent or clipped (its peak means nothing);
- *silent*: ``max |x| < SILENT_PEAK`` (1e-4, -80 dBFS: below what 16-bit PCM
  can tell from rounding noise, about 3e-5, only by a few steps);
- *clipped*: ``|x| >= CLIPPED_PEAK`` (1.0) at more than ``CLIPPED_FRACTION``
  (0.1 %) of its samples.  A lone sample touching full scale is inaudible
  once written; one in a thousand or more is a flattened waveform you hear
  as distortion.

NumPy only, so the benchmark and tests can use it without TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "CLIPPED_FRACTION",
    "CLIPPED_PEAK",
    "SILENT_PEAK",
    "BrokenReport",
    "broken_report",
    "zero_nonfinite",
]

SILENT_PEAK = 1e-4
"""A clip whose absolute peak is below this (full scale 1.0) is silent."""

CLIPPED_PEAK = 1.0
"""Samples with ``|x| >= CLIPPED_PEAK`` are at (or past) full scale."""

CLIPPED_FRACTION = 1e-3
"""A clip is clipped when more than this fraction of its samples are at full scale."""


@dataclass(frozen=True)
class BrokenReport:
    """Which clips of a batch are broken, and how.

    Attributes:
        n: clips checked.
        silent: indices of silent clips (peak below ``SILENT_PEAK``).
        clipped: indices of clipped clips (see the module docstring).
        nonfinite: indices of clips holding NaN or inf (never also in
            ``silent`` or ``clipped``).
    """

    n: int
    silent: tuple[int, ...] = ()
    clipped: tuple[int, ...] = ()
    nonfinite: tuple[int, ...] = ()

    @property
    def n_broken(self) -> int:
        """Number of clips that are silent, clipped or non-finite."""
        return len(set(self.silent) | set(self.clipped) | set(self.nonfinite))

    @property
    def all_broken(self) -> bool:
        """True when there was at least one clip and none of them is usable."""
        return self.n > 0 and self.n_broken == self.n

    @property
    def ok(self) -> tuple[int, ...]:
        """Indices of the clips that are not broken, ascending."""
        bad = set(self.silent) | set(self.clipped) | set(self.nonfinite)
        return tuple(i for i in range(self.n) if i not in bad)

    def summary(self) -> str:
        """One line, e.g. ``"3 of 8 clips broken: 2 silent (peak < 1e-4), 1 non-finite"``."""
        clips = "clip" if self.n == 1 else "clips"
        if not self.n_broken:
            return f"0 of {self.n} {clips} broken"
        parts = []
        if self.silent:
            parts.append(f"{len(self.silent)} silent (peak < {SILENT_PEAK:g})")
        if self.clipped:
            parts.append(f"{len(self.clipped)} clipped (|x| >= {CLIPPED_PEAK:g} at > "
                         f"{CLIPPED_FRACTION:.1%} of samples)")
        if self.nonfinite:
            parts.append(f"{len(self.nonfinite)} non-finite (NaN/inf)")
        return f"{self.n_broken} of {self.n} {clips} broken: " + ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """Counts only (JSON-ready): ``n``, ``n_broken``, ``n_ok``, ``silent``,
        ``clipped``, ``nonfinite``."""
        return {"n": self.n, "n_broken": self.n_broken, "n_ok": self.n - self.n_broken,
                "silent": len(self.silent), "clipped": len(self.clipped),
                "nonfinite": len(self.nonfinite)}


def _as_batch(waves: Any) -> np.ndarray:
    waves = np.asarray(waves)
    if waves.ndim == 1:
        waves = waves[None]
    if waves.ndim != 2:
        raise ValueError(f"waves must be (n, samples) or (samples,), got shape {waves.shape}")
    if not (np.issubdtype(waves.dtype, np.floating) or np.issubdtype(waves.dtype, np.integer)):
        raise ValueError(f"waves must hold real numbers, got dtype {waves.dtype}")
    return waves.astype(np.float64, copy=False)


def broken_report(waves: Any) -> BrokenReport:
    """Sort clips into silent, clipped and non-finite (rules: module docstring).

    Args:
        waves: ``(n, samples)`` clips or one ``(samples,)`` clip, floats with
            full scale 1.0.  A clip of zero samples counts as silent.

    Returns:
        A ``BrokenReport``; a single clip is reported as index 0 of ``n = 1``.

    Raises:
        ValueError: ``waves`` is not 1-D or 2-D, or not real numbers.
    """
    waves = _as_batch(waves)
    finite = np.isfinite(waves).all(axis=-1)
    # Zero the bad samples so the peaks below are defined; those clips are
    # reported as non-finite and skipped by the other two tests.
    mag = np.abs(np.where(np.isfinite(waves), waves, 0.0))
    peak = np.max(mag, axis=-1, initial=0.0)
    n_samples = max(waves.shape[-1], 1)
    full_scale = np.count_nonzero(mag >= CLIPPED_PEAK, axis=-1) / n_samples
    silent = finite & (peak < SILENT_PEAK)
    clipped = finite & (full_scale > CLIPPED_FRACTION)
    return BrokenReport(
        n=len(waves),
        silent=tuple(int(i) for i in np.flatnonzero(silent)),
        clipped=tuple(int(i) for i in np.flatnonzero(clipped)),
        nonfinite=tuple(int(i) for i in np.flatnonzero(~finite)),
    )


def zero_nonfinite(waves: Any) -> np.ndarray:
    """A float32 copy of ``waves`` (any shape) with NaN and +-inf set to 0, so
    it can be written as a valid wav or drawn; report on the originals."""
    waves = np.asarray(waves, dtype=np.float32)
    return np.where(np.isfinite(waves), waves, np.float32(0.0))
