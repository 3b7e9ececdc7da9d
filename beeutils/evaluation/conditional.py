"""Does a model conditioned on kind deliver the kind it is asked for?

A kind classifier (``beeutils.models.classify.KindClassifier``) trained on
the corpus judges the clips a conditional ``AudioModel`` generates for each
kind, next to its own accuracy on held-out real clips.  Real clips go through
the model's representation and back first (``representation.round_trip``:
for a magnitude encoder, the crop and a fresh Griffin-Lim phase), so the
classifier compares like with like and judges neither the phase nor the
missing upper band.

Shapes: waveforms ``(n, samples)``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from beeutils.models.classify import KindClassifier, conditional_accuracy

__all__ = ["model_band_real", "fit_kind_classifier", "evaluate_conditional"]


def model_band_real(model: Any, corpus: Any, split: str) -> np.ndarray:
    """Real clips of ``split`` as the model's representation renders them at
    best, ``(n, samples)``."""
    return model.representation.round_trip(corpus.waves(split))


def fit_kind_classifier(model: Any, corpus: Any, seed: int = 0,
                        split: str = "train") -> KindClassifier:
    """A ``KindClassifier`` fitted on ``model_band_real(model, corpus, split)``,
    with log-mel statistics up to the top of the model's band."""
    cfg = model.config.stft
    fmax = cfg.frequencies(cropped=True)[-1] + cfg.bin_hz / 2
    clf = KindClassifier(sr=cfg.sr, fmax=float(fmax), seed=seed)
    return clf.fit(model_band_real(model, corpus, split), list(corpus.labels(split)))


def evaluate_conditional(model: Any, corpus: Any, classifier: KindClassifier | None = None,
                         n_per_kind: int = 8, seed: int = 0, split: str = "test",
                         return_waves: bool = False,
                         texture: bool = False) -> dict[str, Any] | tuple[dict, dict]:
    """Measured kind accuracy of a conditional ``AudioModel``, with the
    classifier's own accuracy on real clips beside it.

    Args:
        model: a trained conditional ``AudioModel``.
        corpus: the corpus it was trained on.
        classifier: a fitted ``KindClassifier``; ``None`` (or an unfitted
            one): fitted here (``fit_kind_classifier``).
        n_per_kind: clips generated per kind, ``model.generate(n_per_kind,
            kind, seed)``: every kind reads the same noise (one seed), so
            with an N(0, I) prior a decoder that ignored its label would
            score exactly chance; a per-kind mixture prior moves each kind's
            latents to where its training codes lie.
        seed: latents and classifier.
        split: held-out real split for the classifier's reference accuracy.
        return_waves: also return ``{"generated", "real", "asked"}``.
        texture: render the clips with a noise's texture
            (``AudioModel.decode``; magnitude model only).

    Returns:
        dict: ``real_accuracy``, ``real_per_kind``; ``gen_accuracy``,
        ``gen_per_kind``, ``gen_confusion`` (asked -> predicted -> count);
        ``gen_distinct_kinds_per_z`` (mean number of different predicted
        kinds among the kinds asked of one latent: 1 if the label did
        nothing); ``real_top_probability``, ``gen_top_probability`` (mean
        classifier confidence); ``chance`` (1 / kinds); ``n_real``,
        ``n_generated``, ``eval_seconds``.

    Raises:
        ValueError: the model is not conditioned on kind.
    """
    if not model.conditional:
        raise ValueError("evaluate_conditional needs a model conditioned on kind")
    start = time.perf_counter()
    kinds = model.kinds
    if classifier is None or not classifier.is_fitted:
        classifier = fit_kind_classifier(model, corpus, seed=seed)
    real = model_band_real(model, corpus, split)
    real_res = conditional_accuracy(classifier, real, list(corpus.labels(split)))

    # What a user gets from generate(kind=): each kind's latents from the
    # model's prior (its own mixture, for a per-kind mixture prior), drawn
    # from the same noise, so only the kind differs between the rows.
    generated = np.concatenate([model.generate(n_per_kind, kind, seed, texture=texture)
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
        "eval_seconds": time.perf_counter() - start,
    }
    if return_waves:
        return out, {"generated": generated, "real": real, "asked": asked}
    return out
