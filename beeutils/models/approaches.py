"""Every approach of the series behind one interface: train, listen, save, load.

The series builds four ways to make bee sounds:

==============  =================================================  ====================
name            what the decoder produces                          back to sound
==============  =================================================  ====================
``magnitude``   normalised log magnitude (notebook 04)             Griffin-Lim
``real_imag``   compressed real and imaginary parts (notebook 05)  inverse STFT
``logmag_if``   log magnitude + instantaneous frequency (05)       integrate IF, iSTFT
``oscillator``  oscillator-bank controls (notebook 06)             the bank itself
==============  =================================================  ====================

``train_approach`` trains any of them on a corpus with the same budget and
returns a ``TrainedApproach``, which speaks audio in and audio out whatever
happens inside:

- ``encode_waves(waves) -> z`` and ``decode_latents(z) -> waves``;
- ``reconstruct_waves(waves)``, ``generate_waves(n, seed, kind)``;
- ``save(path)`` / ``load(path)``: the ``.keras`` file plus a ``.json``
  description beside it (approach, representation and its statistics, kinds,
  sample rate), all ``python -m beeutils.generate`` needs.

Models conditioned on sound kind (``conditional=True``) take ``kind=`` in
every method; unconditional ones refuse it.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from beeutils.dsp.spectral import STFTConfig

__all__ = ["APPROACHES", "ModelFileError", "TrainedApproach", "train_approach",
           "evaluate_approach", "save", "load", "model_path", "bench_corpus"]

#: The approaches, in the order the series introduces them.
APPROACHES = ("magnitude", "real_imag", "logmag_if", "oscillator")
#: Marks the ``.json`` description of a saved approach.
FILE_FORMAT = "beeutils-approach"
FILE_VERSION = 1


class ModelFileError(ValueError):
    """A model file that is missing, unreadable or not a beeutils approach."""


def model_path(name: str, fast: bool | None = None) -> Path:
    """Where the notebooks save approach ``name``: ``build/models/<name>.keras``
    (``build/models/fast/`` in fast mode, so quick runs never overwrite
    properly trained models)."""
    from beeutils.config import settings

    fast = settings.fast if fast is None else fast
    folder = settings.build_dir / "models" / ("fast" if fast else "")
    return folder / f"{name}.keras"


@dataclasses.dataclass
class TrainedApproach:
    """A trained model with everything needed to turn its outputs into sound.

    Attributes:
        name: one of ``APPROACHES``.
        model: the Keras model (``VAEGAN`` or the oscillator-bank model).
        representation: the fitted ``beeutils.dsp.representations`` object the
            model reads (and, except for ``oscillator``, writes).
        kinds: kind names of the training corpus (the one-hot order of a
            conditional model).
        conditional: the model takes a kind.
        n_samples: clip length in samples.
        train_result: ``fit.TrainResult`` (``None`` after ``load``).
    """

    name: str
    model: Any
    representation: Any
    kinds: tuple[str, ...]
    conditional: bool
    n_samples: int
    train_result: Any = None

    @property
    def config(self) -> STFTConfig:
        """STFT settings (and sample rate) of the representation."""
        return self.representation.config

    @property
    def latent_dim(self) -> int:
        return int(self.model.latent_dim)

    # ------------------------------------------------------------ kinds

    def _labels(self, kind: str | Sequence[str] | None, n: int) -> np.ndarray | None:
        """One-hot ``(n, n_kinds)`` for a conditional model, ``None`` otherwise."""
        if not self.conditional:
            if kind is not None:
                raise ValueError(f"the {self.name} model was trained without kinds; "
                                 f"it cannot be asked for {kind!r}")
            return None
        if kind is None:
            raise ValueError(f"the {self.name} model is conditioned on kind: pass kind= "
                             f"one of {', '.join(self.kinds)}")
        kinds = [kind] * n if isinstance(kind, str) else list(kind)
        unknown = sorted(set(kinds) - set(self.kinds))
        if unknown:
            raise ValueError(f"unknown kind(s) {unknown}; this model knows "
                             f"{', '.join(self.kinds)}")
        if len(kinds) != n:
            raise ValueError(f"{len(kinds)} kinds for {n} clips")
        from beeutils.models.conditional import one_hot

        return one_hot(kinds, self.kinds)

    # ------------------------------------------------------- audio in/out

    def encode_waves(self, waves: np.ndarray, kind: Any = None) -> np.ndarray:
        """Posterior means ``(n, latent_dim)`` of waveforms ``(n, samples)``."""
        x = self.representation.encode_batch(np.atleast_2d(waves))
        labels = self._labels(kind, len(x))
        z_mean, _ = (self.model.encode(x) if labels is None
                     else self.model.encode(x, labels=labels))
        return z_mean

    def decode_outputs(self, z: np.ndarray, kind: Any = None) -> np.ndarray:
        """The network's raw outputs for latents ``(n, latent_dim)``."""
        z = np.asarray(z, dtype=np.float32)
        labels = self._labels(kind, len(z))
        return self.model.decode(z) if labels is None else self.model.decode(z, labels=labels)

    def decode_latents(self, z: np.ndarray, kind: Any = None) -> np.ndarray:
        """Waveforms ``(n, samples)`` for latents ``(n, latent_dim)``."""
        out = self.decode_outputs(z, kind)
        if self.name == "oscillator":
            return np.asarray(out, dtype=np.float32)
        return self.representation.decode_batch(out, self.n_samples)

    def intended_magnitudes(self, z: np.ndarray, kind: Any = None) -> np.ndarray | None:
        """Cropped magnitudes ``(n, freq, time)`` the decoder meant, ``None``
        for the oscillator bank (it writes audio, consistent by construction)."""
        if self.name == "oscillator":
            return None
        return self.representation.magnitudes(self.decode_outputs(z, kind))

    def reconstruct_waves(self, waves: np.ndarray, kind: Any = None) -> np.ndarray:
        """Encode and decode: the model's version of each clip, ``(n, samples)``."""
        return self.decode_latents(self.encode_waves(waves, kind), kind)

    def prior_latents(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` draws ``(n, latent_dim)`` from the prior N(0, I)."""
        return np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype(
            np.float32)

    def generate_waves(self, n: int, seed: int = 0, kind: Any = None) -> np.ndarray:
        """``n`` new clips ``(n, samples)`` (of ``kind`` for a conditional model)."""
        return self.decode_latents(self.prior_latents(n, seed), kind)

    def save(self, path: str | Path) -> Path:
        """Same as ``approaches.save(self, path)``."""
        return save(self, path)


# ------------------------------------------------------------------ training


def _kind_labels(corpus: Any, split: str, kinds: Sequence[str]) -> np.ndarray:
    from beeutils.models.conditional import one_hot

    return one_hot(list(corpus.labels(split)), kinds)


def train_approach(name: str, corpus: Any, config: STFTConfig | None = None, *,
                   epochs: int = 30, batch_size: int = 32, seed: int = 0,
                   conditional: bool = False, verbose: int | str = 0,
                   **model_kwargs: Any) -> TrainedApproach:
    """Train one approach on a corpus.

    Args:
        name: one of ``APPROACHES``.
        corpus: a ``datasets.Corpus`` (``waves``, ``labels``, ``metas``,
            ``kinds``) with ``train`` and ``validation`` splits.
        config: STFT settings and crop (default ``STFTConfig()``).
        epochs, batch_size, seed: the training budget, equal for all.
        conditional: condition encoder, decoder (and discriminator) on kind.
        verbose: Keras progress display.
        **model_kwargs: passed to the model builder.

    Returns:
        A ``TrainedApproach`` with its ``train_result``.
    """
    from beeutils.dsp import representations
    from beeutils.training import fit

    if name not in APPROACHES:
        raise ValueError(f"unknown approach {name!r}; choose one of {', '.join(APPROACHES)}")
    config = STFTConfig() if config is None else config
    kinds = tuple(corpus.kinds)
    train_waves, val_waves = corpus.waves("train"), corpus.waves("validation")
    rep_name = "magnitude" if name == "oscillator" else name
    rep = representations.make_representation(rep_name, config).fit(train_waves)
    x_train, x_val = rep.encode_batch(train_waves), rep.encode_batch(val_waves)
    n_classes = len(kinds) if conditional else 0
    if name == "oscillator":
        from beeutils.models import oscillator_model

        model = oscillator_model.build_oscillator_vae(
            rep.shape(train_waves.shape[-1]), n_samples=train_waves.shape[-1],
            sr=config.sr, n_classes=n_classes, seed=seed, **model_kwargs)
        train_data = oscillator_model.training_inputs(x_train, train_waves)
        val_data = oscillator_model.training_inputs(x_val, val_waves)
    else:
        model = fit.build_vaegan(x_train.shape[1:], rep, seed=seed,
                                      n_classes=n_classes, **model_kwargs)
        train_data, val_data = x_train, x_val
    if conditional:
        train_data = (train_data, _kind_labels(corpus, "train", kinds))
        val_data = (val_data, _kind_labels(corpus, "validation", kinds))
    result = fit.train(model, train_data, val_data, epochs=epochs,
                            batch_size=batch_size, seed=seed, verbose=verbose)
    return TrainedApproach(name, model, rep, kinds, conditional,
                           int(train_waves.shape[-1]), result)


def evaluate_approach(trained: TrainedApproach, corpus: Any, n_generated: int = 256,
                      seed: int = 0, split: str = "test",
                      return_waves: bool = False) -> dict[str, Any] | tuple[dict, dict]:
    """``evaluate.evaluate_waves`` on a trained approach, plus its costs.

    Prior samples of a conditional model cycle through the kinds in equal
    numbers.  Adds ``train_seconds``, ``train_examples_per_s``,
    ``nonfinite_steps`` (0 when training stayed finite; ``NaNWatch`` stops
    at the first non-finite step) and ``generate_x_realtime`` (seconds of
    audio generated per second of computing, decoding included).
    """
    from beeutils.evaluation import evaluate

    original = corpus.waves(split)
    recon = np.concatenate([
        trained.reconstruct_waves(original[i : i + 64],
                                  list(corpus.labels(split))[i : i + 64]
                                  if trained.conditional else None)
        for i in range(0, len(original), 64)])
    z = trained.prior_latents(n_generated, seed)
    kinds = ([trained.kinds[i % len(trained.kinds)] for i in range(n_generated)]
             if trained.conditional else None)
    start = time.perf_counter()
    generated = trained.decode_latents(z, kinds)
    gen_seconds = time.perf_counter() - start
    intended = trained.intended_magnitudes(z, kinds)
    out = evaluate.evaluate_waves(
        config=trained.config, original=original, recon=recon, generated=generated,
        train_waves=corpus.waves("train"), labels=list(corpus.labels(split)),
        metas=list(corpus.metas(split)), intended_gen_mag=intended, seed=seed,
        return_waves=return_waves)
    metrics, waves = out if return_waves else (out, None)
    result = trained.train_result
    n_train = len(corpus.labels("train"))
    metrics["generate_x_realtime"] = (n_generated * trained.n_samples / trained.config.sr
                                      / max(gen_seconds, 1e-9))
    if result is not None:
        metrics["train_seconds"] = float(result.seconds)
        metrics["train_examples_per_s"] = n_train * result.epochs / max(result.seconds, 1e-9)
        metrics["nonfinite_steps"] = 0 if result.finite else 1
        metrics["train_steps"] = int(result.steps)
    if return_waves:
        waves["original"] = original
        return metrics, waves
    return metrics


# --------------------------------------------------------------- persistence


def _description_path(path: Path) -> Path:
    return path.with_suffix(".json")


def save(trained: TrainedApproach, path: str | Path) -> Path:
    """Write ``<path>.keras`` and its ``.json`` description; returns the ``.keras`` path."""
    path = Path(path).with_suffix(".keras")
    path.parent.mkdir(parents=True, exist_ok=True)
    trained.model.save(path)
    description = {
        "format": FILE_FORMAT, "version": FILE_VERSION, "approach": trained.name,
        "kinds": list(trained.kinds), "conditional": bool(trained.conditional),
        "n_samples": int(trained.n_samples), "sr": int(trained.config.sr),
        "representation": trained.representation.get_config(),
    }
    _description_path(path).write_text(json.dumps(description, indent=1))
    return path


def load(path: str | Path) -> TrainedApproach:
    """Read a model written by ``save``.

    Raises:
        ModelFileError: the file is missing, has no description beside it,
            the description is not ours, or Keras cannot rebuild the model.
    """
    import os

    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    from beeutils.dsp import representations

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"no model file at {path}")
    if path.suffix != ".keras":
        raise ModelFileError(f"{path}: expected a .keras file saved by beeutils.models.approaches.save")
    desc_path = _description_path(path)
    if not desc_path.is_file():
        raise ModelFileError(f"{path} has no description {desc_path.name} beside it; "
                             "save models with beeutils.models.approaches.save")
    try:
        desc = json.loads(desc_path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ModelFileError(f"{desc_path}: unreadable description ({err})") from err
    if not isinstance(desc, dict) or desc.get("format") != FILE_FORMAT:
        raise ModelFileError(f"{desc_path} does not describe a beeutils model")
    if desc.get("version") != FILE_VERSION or desc.get("approach") not in APPROACHES:
        raise ModelFileError(f"{desc_path}: unsupported version {desc.get('version')!r} or "
                             f"approach {desc.get('approach')!r}")
    try:
        rep = representations.representation_from_config(desc["representation"])
    except (KeyError, TypeError, ValueError) as err:
        raise ModelFileError(f"{desc_path}: bad representation ({err})") from err
    import keras

    from beeutils.models import vaegan

    if desc["approach"] == "oscillator":
        from beeutils.models import oscillator_model
    try:
        model = keras.models.load_model(path)
    except Exception as err:  # noqa: BLE001 -- Keras raises many kinds; report them all alike
        raise ModelFileError(f"{path}: Keras could not load the model "
                             f"({type(err).__name__}: {err})") from err
    return TrainedApproach(desc["approach"], model, rep, tuple(desc["kinds"]),
                           bool(desc["conditional"]), int(desc["n_samples"]))


# -------------------------------------------------------------------- data


def bench_corpus(clips_per_kind: int = 40, duration: float = 2.048, seed: int = 0,
                 data_dir: str | Path | None = None) -> Any:
    """The benchmark's data: the synthetic corpus, or a folder of recordings.

    Args:
        clips_per_kind: synthetic clips per kind.
        duration: clip length in seconds (recordings are cut to it).
        seed: corpus seed (and the split of recordings).
        data_dir: read recordings from here instead (any layout
            ``readers.read_recordings`` knows); split 80/10/10.
    """
    from beeutils.data import datasets

    if data_dir is None:
        return datasets.make_corpus(clips_per_kind=clips_per_kind, duration=duration,
                                    seed=seed)
    from beeutils.data import readers

    length = int(round(duration * 16000))
    found = readers.read_recordings(data_dir, sr=16000, length=length)
    return datasets.ArrayCorpus.from_folder_data(found, seed=seed)
