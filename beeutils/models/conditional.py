"""Conditional generation by sound kind: ask the model for "five queen toots".

The kind of each clip becomes a one-hot vector that the encoder, the decoder
and the discriminator all receive (``beeutils.models.vaegan``, ``n_classes``).  This
module holds the steps around it:

1. ``one_hot`` / ``one_hot_splits``: kind names -> one-hot rows, in the order
   of the corpus's ``kinds``;
2. ``build_conditional_vaegan``: the magnitude VAE-GAN of
   ``fit.build_magnitude_vaegan``, same defaults, conditioned;
3. ``train_conditional``: ``fit.train`` on ``(x, onehot)`` (NaN-watched
   and timed, as every other model);
4. ``generate_by_kind``: prior samples of one kind, through Griffin-Lim to
   audio;
5. ``evaluate_conditional``: the honest check.  A kind classifier
   (``beeutils.models.classify``) trained on the corpus judges whether generated
   clips are the kind that was asked for, next to its accuracy on held-out
   real clips.  Real clips go through the same crop and Griffin-Lim as
   generated ones (their own magnitudes, a fresh phase), so the classifier
   compares like with like and is not judging the phase or the missing
   upper band.

Shapes: model inputs ``(n, freq, time, 1)``; one-hot ``(n, n_kinds)``
float32; waveforms ``(n, samples)``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from beeutils.training import fit
from beeutils.models.classify import KindClassifier, conditional_accuracy
from beeutils.dsp.spectral import STFTConfig

__all__ = ["one_hot", "kind_ids", "one_hot_splits", "build_conditional_vaegan",
           "train_conditional", "generate_by_kind", "band_limited_real",
           "fit_kind_classifier", "evaluate_conditional"]


# ----------------------------------------------------------------- labels


def kind_ids(labels: Sequence[str | int], kinds: Sequence[str]) -> np.ndarray:
    """Integer ids ``(n,)`` of kind names (or ids, checked) in ``kinds`` order.

    Raises:
        ValueError: a name not in ``kinds`` or an id out of range.
    """
    kinds = [str(k) for k in kinds]
    index = {k: i for i, k in enumerate(kinds)}
    ids = []
    for label in labels:
        if isinstance(label, (int, np.integer)) and not isinstance(label, bool):
            if not 0 <= int(label) < len(kinds):
                raise ValueError(f"kind id {label} out of range 0..{len(kinds) - 1}")
            ids.append(int(label))
        elif str(label) in index:
            ids.append(index[str(label)])
        else:
            raise ValueError(f"unknown kind {label!r}; known kinds: {kinds}")
    return np.asarray(ids, dtype=np.int64)


def one_hot(labels: Sequence[str | int], kinds: Sequence[str]) -> np.ndarray:
    """One-hot rows ``(n, len(kinds))`` float32 for kind names (or ids).

    Example: ``one_hot(["queen_toot"] * 5, corpus.kinds)`` asks for five
    queen toots.
    """
    ids = kind_ids(labels, kinds)
    return np.eye(len(kinds), dtype=np.float32)[ids]


def one_hot_splits(data: Any, splits: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """One-hot labels of every split of prepared data.

    Args:
        data: ``fit.MagnitudeData`` (``labels``: split -> kind names,
            ``kinds``).
        splits: which splits (default: all that ``data`` holds).

    Returns:
        split -> ``(n, n_kinds)`` float32, rows aligned with ``data.x[split]``.
    """
    splits = list(data.labels) if splits is None else list(splits)
    return {s: one_hot(data.labels[s], data.kinds) for s in splits}


# ------------------------------------------------------------------ model


def build_conditional_vaegan(input_shape: Sequence[int], n_classes: int, seed: int = 0,
                             **options: Any) -> Any:
    """The magnitude VAE-GAN of ``fit.build_magnitude_vaegan``, conditioned
    on ``n_classes`` kinds, compiled.

    Every option and default is that builder's (``latent_dim``, ``widths``,
    loss weights, learning rates ...): the conditional and the unconditional
    model are one builder, so they cannot drift apart.

    Args:
        input_shape: ``(freq, time, 1)``.
        n_classes: number of kinds (one-hot width), at least 2.
        seed: weights and sampling noise.
        **options: any keyword of ``fit.build_magnitude_vaegan``.

    Returns:
        A compiled ``beeutils.models.vaegan.VAEGAN`` with ``n_classes`` set.
    """
    options.setdefault("name", "conditional_magnitude_vaegan")
    return fit.build_magnitude_vaegan(input_shape, seed=seed, n_classes=n_classes,
                                           **options)


def _check_pair(model: Any, x: np.ndarray, onehot: np.ndarray, what: str) -> None:
    onehot = np.asarray(onehot)
    if onehot.ndim != 2 or onehot.shape[1] != model.n_classes:
        raise ValueError(f"{what}: one-hot labels must be (n, {model.n_classes}), "
                         f"got {onehot.shape}")
    if len(onehot) != len(x):
        raise ValueError(f"{what}: {len(x)} inputs but {len(onehot)} labels")


def train_conditional(model: Any, x: np.ndarray, onehot: np.ndarray,
                      x_val: np.ndarray | None = None, onehot_val: np.ndarray | None = None,
                      epochs: int = 20, batch_size: int = 32, seed: int = 0,
                      callbacks: Sequence[Any] = (),
                      verbose: int | str = "auto") -> fit.TrainResult:
    """``fit.train`` on ``(x, onehot)``: NaN-watched, seeded, timed.

    The pairs go to ``fit`` as ``fit((x, onehot))``; Keras shuffles and
    batches both arrays together and ``VAEGAN.train_step`` splits them.

    Args:
        model: a compiled conditional ``VAEGAN`` (``build_conditional_vaegan``).
        x: ``(n, freq, time, 1)`` training inputs.
        onehot: ``(n, n_classes)`` their kinds.
        x_val, onehot_val: validation pair (losses logged as ``val_*``).
        epochs, batch_size, seed, callbacks, verbose: as ``fit.train``.

    Returns:
        ``fit.TrainResult``.
    """
    if not getattr(model, "n_classes", 0):
        raise ValueError("train_conditional needs a conditional VAEGAN (n_classes > 0)")
    _check_pair(model, x, onehot, "training data")
    val = None
    if x_val is not None and len(x_val):
        if onehot_val is None:
            raise ValueError("x_val given without onehot_val")
        _check_pair(model, x_val, onehot_val, "validation data")
        val = (np.asarray(x_val), np.asarray(onehot_val, dtype=np.float32))
    return fit.train(model, (np.asarray(x), np.asarray(onehot, dtype=np.float32)), val,
                          epochs=epochs, batch_size=batch_size, callbacks=callbacks,
                          seed=seed, verbose=verbose)


# -------------------------------------------------------------- generation


def _clip_samples(config: STFTConfig, n_samples: int | None) -> int:
    if n_samples is not None:
        return int(n_samples)
    if config.n_frames is None:
        raise ValueError("config.n_frames is None: pass n_samples")
    return int(config.n_frames * config.hop)  # 128 frames x 256 = 32768 = 2.048 s


def generate_by_kind(model: Any, normalizer: Any, config: STFTConfig, kind: str | int,
                     n: int, kinds: Sequence[str], seed: int = 0, n_iter: int = 32,
                     n_samples: int | None = None) -> np.ndarray:
    """``n`` clips of one kind: prior samples decoded with that kind's one-hot,
    un-normalised, through Griffin-Lim.

    The latents depend on ``seed`` only, so the same seed asked for two kinds
    decodes the same ``z`` twice: any difference is the label's doing.

    Args:
        model: a trained conditional ``VAEGAN``.
        normalizer: the normaliser its inputs went through.
        config: STFT settings (the crop the model sees).
        kind: kind name (or id) in ``kinds``.
        n: clips.
        kinds: the kind list the model was trained with (one-hot order).
        seed: latents and Griffin-Lim's initial phases.
        n_iter: Griffin-Lim iterations.
        n_samples: samples per clip (default ``n_frames * hop``: 32768).

    Returns:
        float32 ``(n, n_samples)``, low-passed at the crop (2 kHz by default).
    """
    if len(kinds) != model.n_classes:
        raise ValueError(f"{len(kinds)} kinds but the model has n_classes={model.n_classes}")
    labels = one_hot([kind] * int(n), kinds)
    x = model.sample(int(n), seed=seed, labels=labels)
    mags = fit.from_model_output(x, normalizer)
    return fit.griffin_lim_waves(mags, config, _clip_samples(config, n_samples),
                                      n_iter=n_iter, seed=seed)


# ---------------------------------------------------------------- the check


def band_limited_real(data: Any, split: str, n_iter: int = 32, seed: int = 0) -> np.ndarray:
    """Real clips as a magnitude model could at best render them: Griffin-Lim
    on their own cropped magnitudes, ``(n, samples)``."""
    waves = data.waves[split]
    return fit.griffin_lim_waves(data.mags[split], data.config, waves.shape[-1],
                                      n_iter=n_iter, seed=seed)


def fit_kind_classifier(data: Any, n_iter: int = 32, seed: int = 0,
                        split: str = "train") -> KindClassifier:
    """A ``KindClassifier`` fitted on ``band_limited_real(data, split)``, with
    fine log-mel statistics up to the top of the model's band."""
    cfg = data.config
    fmax = cfg.frequencies(cropped=True)[-1] + cfg.bin_hz / 2
    clf = KindClassifier(sr=cfg.sr, fmax=float(fmax), seed=seed)
    return clf.fit(band_limited_real(data, split, n_iter, seed + 3000), data.labels[split])


def evaluate_conditional(model: Any, data: Any, classifier: KindClassifier | None = None,
                         n_per_kind: int = 8, seed: int = 0, n_iter: int = 32,
                         split: str = "test",
                         return_waves: bool = False) -> dict[str, Any] | tuple[dict, dict]:
    """Does the model deliver the kind it is asked for?  Measured, with the
    classifier's own accuracy on real clips beside it.

    Args:
        model: a trained conditional ``VAEGAN``.
        data: ``fit.MagnitudeData`` it was trained on (``kinds`` order).
        classifier: a fitted ``KindClassifier``; None (or an unfitted one):
            fitted here on the training split through crop + Griffin-Lim
            (``fit_kind_classifier``).
        n_per_kind: clips generated per kind; every kind uses the same
            ``n_per_kind`` latents (the same seed), so a decoder that ignored
            its label would score exactly chance.
        seed: latents, Griffin-Lim phases, classifier.
        n_iter: Griffin-Lim iterations.
        split: held-out real split for the classifier's reference accuracy.
        return_waves: also return ``{"generated", "real"}`` waveforms and
            ``asked`` kinds.

    Returns:
        dict: ``real_accuracy``, ``real_per_kind`` (classifier on held-out
        real clips after crop + Griffin-Lim); ``gen_accuracy``,
        ``gen_per_kind``, ``gen_confusion`` (asked -> predicted -> count) on
        generated clips; ``gen_distinct_kinds_per_z`` (mean number of
        different predicted kinds among the kinds asked of one latent: 1 if
        the label did nothing); ``real_top_probability``,
        ``gen_top_probability`` (mean classifier confidence: generated clips
        far from any real kind get low values); ``chance`` (1 / kinds);
        ``n_real``, ``n_generated``, ``eval_seconds``.
    """
    start = time.perf_counter()
    kinds = tuple(data.kinds)
    if classifier is None or not classifier.is_fitted:
        classifier = fit_kind_classifier(data, n_iter=n_iter, seed=seed)
    real = band_limited_real(data, split, n_iter, seed + 4000)
    real_labels = list(data.labels[split])
    real_res = conditional_accuracy(classifier, real, real_labels)

    generated = np.concatenate([
        generate_by_kind(model, data.normalizer, data.config, kind, n_per_kind, kinds,
                         seed=seed, n_iter=n_iter, n_samples=real.shape[-1])
        for kind in kinds])
    asked = [k for k in kinds for _ in range(n_per_kind)]
    gen_res = conditional_accuracy(classifier, generated, asked)
    predicted = np.asarray(gen_res["predicted"]).reshape(len(kinds), n_per_kind)
    distinct = np.mean([len(set(predicted[:, j])) for j in range(n_per_kind)])

    out: dict[str, Any] = {
        "real_accuracy": real_res["accuracy"],
        "real_per_kind": real_res["per_kind"],
        "gen_accuracy": gen_res["accuracy"],
        "gen_per_kind": gen_res["per_kind"],
        "gen_confusion": gen_res["confusion"],
        "gen_distinct_kinds_per_z": float(distinct),
        "real_top_probability": float(classifier.predict_proba(real).max(1).mean()),
        "gen_top_probability": float(classifier.predict_proba(generated).max(1).mean()),
        "chance": 1.0 / len(kinds),
        "n_real": int(len(real)),
        "n_generated": int(len(generated)),
    }
    out["eval_seconds"] = time.perf_counter() - start
    if return_waves:
        return out, {"generated": generated, "real": real, "asked": asked}
    return out
