"""A small sound-kind classifier, the judge of conditional generation.

A model conditioned on sound kind is asked for "five queen toots"; whether it
delivered is a question about the audio, so we ask a classifier trained on the
corpus.  Its verdict on generated clips only means something next to its
accuracy on held-out *real* clips: a classifier that is right 60 % of the time
on real clips cannot certify a generator at 90 %.

The classifier is deliberately plain, so that a reader can trust it:

- features: ``metrics.feature_embedding`` (log-mel band means and standard
  deviations, MFCC means and standard deviations, MFCC-delta spreads; 140
  numbers per clip) plus, when ``fmax`` is set, finer log-mel band statistics
  below ``fmax`` (a model that sees only 0-2 kHz leaves the upper mel bands of
  the embedding empty, and its 40 bands put only a dozen below 2 kHz);
- model: standardisation, then multinomial logistic regression
  (scikit-learn, L-BFGS: deterministic for the same data).

Shapes: waveforms ``(n, samples)`` float32 at ``sr`` Hz; labels are kind names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["KindClassifier", "clip_features", "conditional_accuracy"]


def clip_features(waves: np.ndarray, sr: int = 16000, fmax: float | None = None,
                  n_mels: int = 32, n_fft: int = 1024, hop: int = 256) -> np.ndarray:
    """One feature row per clip.

    Args:
        waves: ``(n, samples)`` or ``(samples,)`` float waveforms.
        sr: sample rate in Hz.
        fmax: if set, append log-mel statistics of ``n_mels`` bands between 0
            and ``fmax`` Hz: band means and standard deviations over time (dB),
            and the mean absolute frame-to-frame change per band (dB per frame:
            pulsed sounds change, steady hum does not).
        n_mels, n_fft, hop: settings of those extra bands.

    Returns:
        float64 ``(n, d)``: the 140 numbers of ``metrics.feature_embedding``,
        then ``3 * n_mels`` more when ``fmax`` is set.
    """
    import librosa

    from beeutils.evaluation import metrics

    waves = np.atleast_2d(np.asarray(waves, dtype=np.float32))
    feats = [metrics.feature_embedding(waves, sr)]
    if fmax is not None:
        mel = librosa.feature.melspectrogram(y=waves, sr=sr, n_fft=n_fft, hop_length=hop,
                                             n_mels=n_mels, fmin=0.0, fmax=float(fmax),
                                             power=2.0)
        # A fixed reference keeps level differences between clips; -100 dB floor.
        log_mel = librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None)
        change = np.abs(np.diff(log_mel, axis=-1)).mean(-1)
        feats += [log_mel.mean(-1), log_mel.std(-1), change]
    return np.concatenate(feats, axis=-1).astype(np.float64)


class KindClassifier:
    """Standardised clip features -> multinomial logistic regression.

    Args:
        sr: sample rate of the clips in Hz.
        fmax: add fine log-mel statistics below this frequency (Hz); set it
            to the top of a model's band (2000 Hz for the default crop) when
            judging band-limited audio.  ``None``: the embedding alone.
        C: inverse L2 regularisation strength of the logistic regression.
        seed: ``random_state`` of the estimator (L-BFGS itself is
            deterministic; kept for solvers that are not).

    Attributes:
        classes_: kind names, in the column order of ``predict_proba``.
    """

    def __init__(self, sr: int = 16000, fmax: float | None = None, C: float = 1.0,
                 seed: int = 0) -> None:
        self.sr = int(sr)
        self.fmax = None if fmax is None else float(fmax)
        self.C = float(C)
        self.seed = int(seed)
        self._pipeline: Any = None

    def __repr__(self) -> str:
        state = f"{len(self.classes_)} kinds" if self.is_fitted else "not fitted"
        return f"KindClassifier(sr={self.sr}, fmax={self.fmax}, C={self.C}; {state})"

    @property
    def is_fitted(self) -> bool:
        return self._pipeline is not None

    @property
    def classes_(self) -> np.ndarray:
        """Kind names the classifier knows, ``(n_kinds,)``."""
        self._check_fitted()
        return self._pipeline.classes_

    def _check_fitted(self) -> None:
        if self._pipeline is None:
            raise RuntimeError("KindClassifier is not fitted yet: call fit(waves, labels)")

    def features(self, waves: np.ndarray) -> np.ndarray:
        """``clip_features`` with this classifier's settings, ``(n, d)``."""
        return clip_features(waves, self.sr, self.fmax)

    def fit(self, waves: np.ndarray, labels: Sequence[str]) -> "KindClassifier":
        """Fit on clips ``(n, samples)`` and their kind names ``(n,)``."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        labels = np.asarray(labels)
        feats = self.features(waves)
        if len(labels) != len(feats):
            raise ValueError(f"{len(feats)} clips but {len(labels)} labels")
        if len(np.unique(labels)) < 2:
            raise ValueError("need clips of at least two kinds to fit a classifier")
        self._pipeline = make_pipeline(
            StandardScaler(),
            LogisticRegression(C=self.C, max_iter=5000, random_state=self.seed),
        )
        self._pipeline.fit(feats, labels)
        return self

    def predict_proba(self, waves: np.ndarray) -> np.ndarray:
        """Class probabilities ``(n, n_kinds)``, columns in ``classes_`` order."""
        self._check_fitted()
        return self._pipeline.predict_proba(self.features(waves))

    def predict(self, waves: np.ndarray) -> np.ndarray:
        """The most probable kind name of each clip, ``(n,)``."""
        self._check_fitted()
        return self._pipeline.predict(self.features(waves))

    def score(self, waves: np.ndarray, labels: Sequence[str]) -> float:
        """Accuracy: the share of clips whose predicted kind is ``labels``."""
        labels = np.asarray(labels)
        predicted = self.predict(waves)
        if len(labels) != len(predicted):
            raise ValueError(f"{len(predicted)} clips but {len(labels)} labels")
        return float(np.mean(predicted == labels))


def conditional_accuracy(classifier: KindClassifier, waves: np.ndarray,
                         asked_kinds: Sequence[str]) -> dict[str, Any]:
    """How often clips are classified as the kind that was asked for.

    Args:
        classifier: a fitted ``KindClassifier``.
        waves: ``(n, samples)`` clips (generated, or real for the reference).
        asked_kinds: ``(n,)`` the kind each clip was meant to be.

    Returns:
        dict with ``accuracy`` (overall share), ``per_kind`` (asked kind ->
        share classified as it), ``confusion`` (asked kind -> {predicted kind
        -> count}, every known kind listed), ``predicted`` (list of kind names)
        and ``n``.
    """
    asked = np.asarray(asked_kinds)
    predicted = classifier.predict(waves)
    if len(asked) != len(predicted):
        raise ValueError(f"{len(predicted)} clips but {len(asked)} asked kinds")
    known = [str(k) for k in classifier.classes_]
    unknown = sorted(set(asked.tolist()) - set(known))
    if unknown:
        raise ValueError(f"asked for kinds the classifier does not know: {unknown}; "
                         f"it knows {known}")
    order = [k for k in known if k in set(asked.tolist())]
    per_kind = {k: float(np.mean(predicted[asked == k] == k)) for k in order}
    confusion = {k: {p: int(np.sum((asked == k) & (predicted == p))) for p in known}
                 for k in order}
    return {
        "accuracy": float(np.mean(predicted == asked)) if len(asked) else float("nan"),
        "per_kind": per_kind,
        "confusion": confusion,
        "predicted": [str(p) for p in predicted],
        "n": int(len(asked)),
    }
