"""Spectrogram normalisers fitted on training data and stored with the model.

A generator must be able to undo the scaling of what it produces, so every
statistic here comes from the *training set* at fit time, never from the clip
being transformed (a per-clip min/max, as some tutorials use, is a number the
generator cannot know when it samples from the prior).

Two normalisers, same API (``fit``, ``transform``, ``inverse``,
``transform_tf``, ``inverse_tf``, ``get_config``/``from_config``,
``save``/``load``):

- ``PerFrequencyNormalizer`` (SpecGAN, Donahue et al. 2019): per frequency
  bin mean and std of ``log(|X| + eps)`` over the training set;
  ``(x - mean) / std / 3`` clipped to ``[-1, 1]`` (a ``tanh`` output's range).
- ``DbRangeNormalizer``: one global decibel range ``[min_db, max_db]``
  (``max_db`` from the training set, ``min_db = max_db - top_db`` unless
  fixed), mapped linearly onto ``[-1, 1]``.

Arrays are ``(..., freq, time)`` magnitudes by default; Keras image tensors
``(batch, freq, time, 1)`` work with ``freq_axis=-3``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["PerFrequencyNormalizer", "DbRangeNormalizer", "load_normalizer"]


class _Normalizer:
    """Shared persistence for the normalisers (JSON-able configs)."""

    #: The constructor's arguments: what ``get_config`` writes.
    _CONFIG_KEYS: tuple[str, ...] = ()

    def get_config(self) -> dict[str, Any]:
        """JSON-able settings and fitted statistics (arrays and tuples as lists)."""
        def jsonable(value: Any) -> Any:
            return value.tolist() if isinstance(value, np.ndarray) else (
                list(value) if isinstance(value, tuple) else value)

        return {"class": type(self).__name__,
                **{key: jsonable(getattr(self, key)) for key in self._CONFIG_KEYS}}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "_Normalizer":
        """Rebuild from ``get_config()`` output (ignores the ``class`` key)."""
        config = {k: v for k, v in config.items() if k != "class"}
        return cls(**config)

    def save(self, path: str | Path) -> Path:
        """Write ``get_config()`` as JSON; returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.get_config(), indent=1))
        return path

    @classmethod
    def load(cls, path: str | Path) -> "_Normalizer":
        """Read a normaliser saved with ``save``."""
        config = json.loads(Path(path).read_text())
        name = config.get("class", cls.__name__)
        if name != cls.__name__:
            raise ValueError(f"{path} holds a {name}, not a {cls.__name__}")
        return cls.from_config(config)

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit(train_mags) first")

    @property
    def is_fitted(self) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError


def _freq_shape(ndim: int, n_freq: int, freq_axis: int) -> list[int]:
    """Broadcast shape putting ``n_freq`` on ``freq_axis`` of an ``ndim`` array."""
    axis = freq_axis % ndim
    shape = [1] * ndim
    shape[axis] = n_freq
    return shape


class PerFrequencyNormalizer(_Normalizer):
    """SpecGAN-style per-frequency standardisation of log magnitudes.

    ``transform``: ``clip((log(|X| + eps) - mean_f) / std_f / n_std, -1, 1)``;
    ``inverse``: ``exp(y * n_std * std_f + mean_f) - eps`` (clipped values
    come back at ``n_std`` standard deviations from the mean).

    Attributes:
        eps: added to magnitudes before the log (keeps silent bins finite).
        n_std: standard deviations mapped to +-1 (SpecGAN: 3).
        min_std: floor of each bin's std in nats, so a bin constant in the
            training set (e.g. always silent) does not divide by zero.
        mean, std: ``(freq,)`` float64 arrays after ``fit`` (else ``None``).
    """

    _CONFIG_KEYS = ("eps", "n_std", "min_std", "mean", "std")

    def __init__(self, eps: float = 1e-6, n_std: float = 3.0, min_std: float = 1e-3,
                 mean: Any = None, std: Any = None) -> None:
        if eps <= 0 or n_std <= 0 or min_std <= 0:
            raise ValueError("eps, n_std and min_std must be positive")
        self.eps = float(eps)
        self.n_std = float(n_std)
        self.min_std = float(min_std)
        self.mean = None if mean is None else np.asarray(mean, dtype=np.float64)
        self.std = None if std is None else np.asarray(std, dtype=np.float64)

    @property
    def is_fitted(self) -> bool:
        return self.mean is not None and self.std is not None

    @property
    def n_freq(self) -> int | None:
        """Number of frequency bins fitted (``None`` before ``fit``)."""
        return None if self.mean is None else len(self.mean)

    def fit(self, mags: np.ndarray, freq_axis: int = -2) -> "PerFrequencyNormalizer":
        """Learn per-bin mean and std of ``log(|X| + eps)`` from training magnitudes.

        Args:
            mags: training magnitudes ``(n, freq, time)`` (any shape with a
                frequency axis); statistics pool every other axis.
            freq_axis: axis holding frequency.

        Returns:
            ``self``.
        """
        logs = np.log(np.abs(np.asarray(mags, dtype=np.float64)) + self.eps)
        logs = np.moveaxis(logs, freq_axis, -1).reshape(-1, logs.shape[freq_axis])
        self.mean = logs.mean(axis=0)
        self.std = np.maximum(logs.std(axis=0), self.min_std)
        return self

    def _stats(self, ndim: int, n_freq: int, freq_axis: int) -> tuple[np.ndarray, np.ndarray]:
        self._check_fitted()
        if n_freq != self.n_freq:
            raise ValueError(f"input has {n_freq} frequency bins, the normaliser was "
                             f"fitted on {self.n_freq}")
        shape = _freq_shape(ndim, n_freq, freq_axis)
        return self.mean.reshape(shape), self.std.reshape(shape)

    def transform(self, mags: np.ndarray, freq_axis: int = -2) -> np.ndarray:
        """Magnitudes ``(..., freq, time)`` -> normalised log magnitudes in [-1, 1], float32."""
        mags = np.abs(np.asarray(mags, dtype=np.float64))
        mean, std = self._stats(mags.ndim, mags.shape[freq_axis], freq_axis)
        normed = (np.log(mags + self.eps) - mean) / (std * self.n_std)
        return np.clip(normed, -1.0, 1.0).astype(np.float32)

    def inverse(self, normed: np.ndarray, freq_axis: int = -2, clip: bool = True) -> np.ndarray:
        """Normalised values (e.g. a generator's ``tanh`` output) -> magnitudes, float32.

        Args:
            normed: ``(..., freq, time)`` values, nominally in [-1, 1].
            freq_axis: axis holding frequency.
            clip: clip the input to [-1, 1] first (the range the training
                data was mapped to), so a stray output cannot explode in ``exp``.
        """
        normed = np.asarray(normed, dtype=np.float64)
        if clip:
            normed = np.clip(normed, -1.0, 1.0)
        mean, std = self._stats(normed.ndim, normed.shape[freq_axis], freq_axis)
        mags = np.exp(normed * std * self.n_std + mean) - self.eps
        return np.maximum(mags, 0.0).astype(np.float32)

    def transform_tf(self, mags: Any, freq_axis: int = -2) -> Any:
        """``transform`` for TensorFlow tensors (float32, differentiable, in-graph)."""
        import tensorflow as tf

        mags = tf.abs(tf.convert_to_tensor(mags, dtype=tf.float32))
        mean, std = self._stats(mags.shape.rank, int(mags.shape[freq_axis]), freq_axis)
        normed = (tf.math.log(mags + self.eps) - mean.astype(np.float32)) / (
            std * self.n_std).astype(np.float32)
        return tf.clip_by_value(normed, -1.0, 1.0)

    def inverse_tf(self, normed: Any, freq_axis: int = -2, clip: bool = True) -> Any:
        """``inverse`` for TensorFlow tensors (float32, differentiable, in-graph)."""
        import tensorflow as tf

        normed = tf.convert_to_tensor(normed, dtype=tf.float32)
        if clip:
            normed = tf.clip_by_value(normed, -1.0, 1.0)
        mean, std = self._stats(normed.shape.rank, int(normed.shape[freq_axis]), freq_axis)
        logs = normed * (std * self.n_std).astype(np.float32) + mean.astype(np.float32)
        return tf.maximum(tf.exp(logs) - self.eps, 0.0)

    def __repr__(self) -> str:
        return (f"PerFrequencyNormalizer(eps={self.eps}, n_std={self.n_std}, "
                f"n_freq={self.n_freq})")


class DbRangeNormalizer(_Normalizer):
    """Global decibel range mapped linearly onto [-1, 1].

    ``db = 20 log10(max(|X|, amin))`` clipped to ``[min_db, max_db]``, then
    ``2 (db - min_db) / (max_db - min_db) - 1``.  ``fit`` takes ``max_db``
    from the training set's loudest bin and sets ``min_db = max_db - top_db``;
    either can be fixed instead (then it is not fitted).  -1 decodes to the
    floor amplitude ``10**(min_db/20)``, not exactly zero.

    Attributes:
        top_db: dynamic range kept below the loudest training bin, dB.
        min_db, max_db: the range in dB re amplitude 1 (fitted or fixed).
        amin: smallest amplitude considered (silence becomes ``20 log10(amin)``).
    """

    _CONFIG_KEYS = ("top_db", "min_db", "max_db", "amin", "fixed")

    def __init__(self, top_db: float = 80.0, min_db: float | None = None,
                 max_db: float | None = None, amin: float = 1e-10,
                 fixed: tuple[bool, bool] | list[bool] | None = None) -> None:
        if top_db <= 0 or amin <= 0:
            raise ValueError("top_db and amin must be positive")
        if min_db is not None and max_db is not None and not min_db < max_db:
            raise ValueError(f"min_db ({min_db}) must be below max_db ({max_db})")
        self.top_db = float(top_db)
        self.amin = float(amin)
        self.min_db = None if min_db is None else float(min_db)
        self.max_db = None if max_db is None else float(max_db)
        # Which ends the user fixed (kept through save/load; fit leaves them alone).
        self.fixed = tuple(bool(f) for f in fixed) if fixed is not None else (
            min_db is not None, max_db is not None)

    @property
    def is_fitted(self) -> bool:
        return self.min_db is not None and self.max_db is not None

    def fit(self, mags: np.ndarray) -> "DbRangeNormalizer":
        """Learn ``max_db`` (and ``min_db = max_db - top_db``) from training magnitudes.

        Args:
            mags: training magnitudes, any shape.

        Returns:
            ``self``.
        """
        peak = float(np.max(np.abs(np.asarray(mags, dtype=np.float64)), initial=0.0))
        fixed_min, fixed_max = self.fixed
        if not fixed_max:
            self.max_db = 20.0 * np.log10(max(peak, self.amin))
        if not fixed_min:
            self.min_db = self.max_db - self.top_db
        if not self.min_db < self.max_db:
            raise ValueError(f"empty dB range: min_db={self.min_db}, max_db={self.max_db}")
        return self

    def transform(self, mags: np.ndarray) -> np.ndarray:
        """Magnitudes (any shape) -> values in [-1, 1], float32."""
        self._check_fitted()
        mags = np.abs(np.asarray(mags, dtype=np.float64))
        db = 20.0 * np.log10(np.maximum(mags, self.amin))
        db = np.clip(db, self.min_db, self.max_db)
        return (2.0 * (db - self.min_db) / (self.max_db - self.min_db) - 1.0).astype(np.float32)

    def inverse(self, normed: np.ndarray, clip: bool = True) -> np.ndarray:
        """Values in [-1, 1] -> magnitudes, float32 (``clip`` the input first)."""
        self._check_fitted()
        normed = np.asarray(normed, dtype=np.float64)
        if clip:
            normed = np.clip(normed, -1.0, 1.0)
        db = (normed + 1.0) / 2.0 * (self.max_db - self.min_db) + self.min_db
        return (10.0 ** (db / 20.0)).astype(np.float32)

    def transform_tf(self, mags: Any) -> Any:
        """``transform`` for TensorFlow tensors (float32, in-graph)."""
        import tensorflow as tf

        self._check_fitted()
        mags = tf.abs(tf.convert_to_tensor(mags, dtype=tf.float32))
        # amin below float32's range would underflow; the clip to min_db makes
        # any floor below 10**(min_db/20) equivalent.
        floor = max(self.amin, 10.0 ** (self.min_db / 20.0), float(np.finfo(np.float32).tiny))
        db = 20.0 / np.log(10.0) * tf.math.log(tf.maximum(mags, floor))
        db = tf.clip_by_value(db, self.min_db, self.max_db)
        return 2.0 * (db - self.min_db) / (self.max_db - self.min_db) - 1.0

    def inverse_tf(self, normed: Any, clip: bool = True) -> Any:
        """``inverse`` for TensorFlow tensors (float32, in-graph)."""
        import tensorflow as tf

        self._check_fitted()
        normed = tf.convert_to_tensor(normed, dtype=tf.float32)
        if clip:
            normed = tf.clip_by_value(normed, -1.0, 1.0)
        db = (normed + 1.0) / 2.0 * (self.max_db - self.min_db) + self.min_db
        return tf.exp(db * (np.log(10.0) / 20.0))

    def __repr__(self) -> str:
        return (f"DbRangeNormalizer(min_db={self.min_db}, max_db={self.max_db}, "
                f"top_db={self.top_db})")


_CLASSES = {cls.__name__: cls for cls in (PerFrequencyNormalizer, DbRangeNormalizer)}


def load_normalizer(path: str | Path) -> PerFrequencyNormalizer | DbRangeNormalizer:
    """Load whichever normaliser ``save`` wrote to ``path`` (JSON with a ``class`` key)."""
    config = json.loads(Path(path).read_text())
    name = config.get("class")
    if name not in _CLASSES:
        raise ValueError(f"{path}: unknown normaliser class {name!r}")
    return _CLASSES[name].from_config(config)
