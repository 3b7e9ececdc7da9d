"""Where a model draws the latents of new sounds from.

A VAE is trained to make its posterior codes look like N(0, I), but a small
one on a few hundred clips never gets there: the codes of each kind of sound
gather in clusters, and most of the N(0, I) volume lies between them, where
the decoder was never trained and blends kinds.  Ghosh et al. (ICLR 2020,
"From variational to deterministic autoencoders") fit a Gaussian mixture to
the training codes after training and sample from it instead: the samples
land where the data are.

Two priors share one small interface:

- ``StandardNormalPrior``: N(0, I), what the VAE was trained towards;
- ``GaussianMixturePrior``: a mixture fitted (``fit``) to posterior means,
  one mixture over all codes, or one per kind for a model conditioned on
  kind (``sample(..., kinds=[...])`` draws each clip from its kind's
  mixture).

Both ``sample(n, seed, kinds=None) -> (n, latent_dim) float32``, both turn
into plain JSON (``to_dict``; back with ``prior_from_dict``) exactly, so the
description saved beside a model file carries the prior.  Neither imports
TensorFlow; fitting imports scikit-learn.

With the same seed both priors read the same noise: the standard-normal
draws ``eps`` come first from ``numpy.random.default_rng(seed)`` (so the
normal prior's samples are exactly ``rng.standard_normal((n, latent_dim))``),
and the mixture maps them through the component each clip falls in,
``mean + chol(cov) @ eps``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["COVARIANCE_TYPES", "GaussianMixturePrior", "StandardNormalPrior",
           "default_components", "prior_from_dict"]

#: Covariance shapes ``GaussianMixturePrior.fit`` accepts (scikit-learn names).
COVARIANCE_TYPES = ("diag", "full")
#: Fewest codes a mixture is fitted to (one code has no spread to measure).
MIN_POINTS = 2


def default_components(n_points: int, max_components: int = 10,
                       points_per_component: int = 5) -> int:
    """Components for a mixture over ``n_points`` codes: one per
    ``points_per_component`` codes, between 1 and ``max_components``.

    Fewer codes per component than that and each component's spread is
    guessed from a handful of points; on the codes of a benchmark model,
    fifteen components gave held-out codes barely more likelihood than ten."""
    return int(max(1, min(max_components, n_points // points_per_component)))


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a count (an int >= 0), got {n!r}")
    return int(n)


def _check_kinds(kinds: Sequence[str] | None, n: int) -> list[str] | None:
    if kinds is None:
        return None
    if isinstance(kinds, str):
        raise TypeError("kinds is one kind name per clip (a list), not a string")
    kinds = list(kinds)
    if len(kinds) != n:
        raise ValueError(f"{len(kinds)} kinds for {n} clips")
    return kinds


class StandardNormalPrior:
    """N(0, I) over ``latent_dim`` dimensions: what the VAE's KL term pulls
    its codes towards.  It does not depend on kind (``kinds`` is checked for
    length and otherwise ignored).

    Args:
        latent_dim: size of ``z``.
    """

    name = "normal"

    def __init__(self, latent_dim: int) -> None:
        if int(latent_dim) < 1:
            raise ValueError(f"latent_dim must be >= 1, got {latent_dim}")
        self.latent_dim = int(latent_dim)

    def __repr__(self) -> str:
        return f"StandardNormalPrior({self.latent_dim}-d)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StandardNormalPrior) and other.latent_dim == self.latent_dim

    def sample(self, n: int, seed: int = 0, kinds: Sequence[str] | None = None) -> np.ndarray:
        """``n`` draws ``(n, latent_dim)`` float32; the same seed, the same draws."""
        n = _check_n(n)
        _check_kinds(kinds, n)
        return np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype(
            np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.name, "latent_dim": self.latent_dim}


class _Mixture:
    """One Gaussian mixture: ``weights (k,)``, ``means (k, d)`` and
    ``covariances`` ``(k, d)`` (diagonal: variances) or ``(k, d, d)`` (full),
    float64."""

    def __init__(self, weights: Any, means: Any, covariances: Any, covariance_type: str) -> None:
        self.weights = np.asarray(weights, dtype=np.float64)
        self.means = np.asarray(means, dtype=np.float64)
        self.covariances = np.asarray(covariances, dtype=np.float64)
        k = len(self.weights)
        if self.weights.ndim != 1 or k < 1 or self.means.ndim != 2 or len(self.means) != k:
            raise ValueError(f"a mixture needs weights (k,) and means (k, d), got "
                             f"{self.weights.shape} and {self.means.shape}")
        d = self.means.shape[1]
        want = (k, d) if covariance_type == "diag" else (k, d, d)
        if self.covariances.shape != want:
            raise ValueError(f"{covariance_type} covariances must be {want}, got "
                             f"{self.covariances.shape}")
        if not (np.all(np.isfinite(self.weights)) and np.all(self.weights >= 0)
                and self.weights.sum() > 0):
            raise ValueError("mixture weights must be finite, >= 0 and not all 0")
        if not (np.all(np.isfinite(self.means)) and np.all(np.isfinite(self.covariances))):
            raise ValueError("mixture means and covariances must be finite")
        if covariance_type == "diag":
            if np.any(self.covariances <= 0):
                raise ValueError("diagonal variances must be > 0")
            self._scale = np.sqrt(self.covariances)            # (k, d)
        else:
            try:
                self._scale = np.linalg.cholesky(self.covariances)  # (k, d, d), lower
            except np.linalg.LinAlgError as err:
                raise ValueError("full covariances must be positive definite") from err
        self.covariance_type = covariance_type
        self._cumulative = np.cumsum(self.weights / self.weights.sum())

    @property
    def dim(self) -> int:
        return int(self.means.shape[1])

    def component(self, u: np.ndarray) -> np.ndarray:
        """Component index of each uniform draw ``u`` in [0, 1)."""
        return np.minimum(np.searchsorted(self._cumulative, u, side="right"),
                          len(self.weights) - 1)

    def transform(self, eps: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Standard-normal ``eps (m, d)`` and uniforms ``u (m,)`` -> samples (m, d)."""
        c = self.component(u)
        if self.covariance_type == "diag":
            return self.means[c] + eps * self._scale[c]
        return self.means[c] + np.einsum("mij,mj->mi", self._scale[c], eps)

    def to_dict(self) -> dict[str, Any]:
        return {"weights": self.weights.tolist(), "means": self.means.tolist(),
                "covariances": self.covariances.tolist()}


class GaussianMixturePrior:
    """A Gaussian mixture over a trained model's codes (Ghosh et al. 2020).

    ``fit`` it to posterior means, then ``sample``.  With ``labels`` it fits
    one mixture per kind, and ``sample(n, seed, kinds=[...])`` draws each
    clip from the mixture of its kind; without ``kinds`` such a prior draws
    from all of them together (each kind weighted by its share of the
    codes it was fitted to).  Without ``labels``, one mixture covers every
    code and ``kinds`` is ignored.

    Why diagonal covariances by default: a corpus gives each component tens
    of codes in 32 dimensions, too few to estimate 528 free numbers of a full
    covariance; scikit-learn then keeps it positive definite only through its
    ``reg_covar`` floor, and the mixture puts almost no mass off the span of
    its training codes.  With few components and all of a corpus's codes
    (one mixture over 256), a full covariance can score held-out codes
    higher (``log_likelihood``), but on the benchmark's models its samples
    were no closer to held-out clips, so diagonal stays the default.

    Args:
        mixtures: kind name -> ``(weights, means, covariances)``; the key
            ``None`` for one mixture over all codes.
        covariance_type: ``"diag"`` or ``"full"``.
        kind_weights: kind name -> share of the codes (per-kind priors;
            ``None``: equal shares).

    Attributes:
        kinds: the kinds with a mixture of their own (``None`` for one
            mixture over all codes).
        latent_dim: size of ``z``.
    """

    name = "gmm"

    def __init__(self, mixtures: Mapping[str | None, tuple[Any, Any, Any]],
                 covariance_type: str = "diag",
                 kind_weights: Mapping[str, float] | None = None) -> None:
        if covariance_type not in COVARIANCE_TYPES:
            raise ValueError(f"covariance_type must be one of {COVARIANCE_TYPES}, got "
                             f"{covariance_type!r}")
        if not mixtures:
            raise ValueError("a mixture prior needs at least one mixture")
        keys = list(mixtures)
        if None in keys and len(keys) > 1:
            raise ValueError("one mixture over all codes (key None) or one per kind, not both")
        self.covariance_type = covariance_type
        self.mixtures = {k: _Mixture(*m, covariance_type) for k, m in mixtures.items()}
        dims = {m.dim for m in self.mixtures.values()}
        if len(dims) != 1:
            raise ValueError(f"the mixtures disagree on latent_dim: {sorted(dims)}")
        self.latent_dim = dims.pop()
        self.kinds: tuple[str, ...] | None = None if None in keys else tuple(keys)  # type: ignore[arg-type]
        if self.kinds is None:
            self.kind_weights = None
        else:
            given = dict(kind_weights) if kind_weights is not None else {
                k: 1.0 for k in self.kinds}
            if set(given) != set(self.kinds):
                raise ValueError(f"kind_weights must name the kinds {list(self.kinds)}")
            self.kind_weights = {k: float(given[k]) for k in self.kinds}
            if any(not np.isfinite(w) or w < 0 for w in self.kind_weights.values()) or \
                    sum(self.kind_weights.values()) <= 0:
                raise ValueError("kind_weights must be finite, >= 0 and not all 0")

    def __repr__(self) -> str:
        per = ("one mixture" if self.kinds is None
               else f"one mixture per kind ({len(self.kinds)} kinds)")
        k = sum(len(m.weights) for m in self.mixtures.values())
        return (f"GaussianMixturePrior({self.latent_dim}-d, {per}, {k} "
                f"{self.covariance_type} components)")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GaussianMixturePrior) and other.to_dict() == self.to_dict()

    @property
    def per_kind(self) -> bool:
        """One mixture per kind (fitted with labels)."""
        return self.kinds is not None

    # ------------------------------------------------------------ fitting

    @classmethod
    def fit(cls, latents: np.ndarray, labels: Sequence[str] | None = None,
            n_components: int | None = None, covariance_type: str = "diag",
            seed: int = 0, reg_covar: float = 1e-6) -> "GaussianMixturePrior":
        """A mixture (or one per kind) fitted to codes.

        Args:
            latents: ``(n, latent_dim)`` codes (posterior means of the
                training clips).
            labels: kind of each code: one mixture per kind (``None``: one
                over all).
            n_components: components per mixture (``None``:
                ``default_components`` of that mixture's code count; always
                at most the count).
            covariance_type: ``"diag"`` (default, see the class docstring)
                or ``"full"``.
            seed: seeds scikit-learn's k-means start.
            reg_covar: added to the covariance diagonals (keeps a component
                of near-identical codes from collapsing).

        Raises:
            ValueError: latents not 2-D, not finite, fewer than 2 of them
                (overall or for a kind), ``labels`` of another length, or a
                bad ``n_components`` or ``covariance_type``.
        """
        from sklearn.mixture import GaussianMixture

        z = np.asarray(latents, dtype=np.float64)
        if z.ndim != 2 or z.shape[1] < 1:
            raise ValueError(f"latents must be (n, latent_dim), got shape {z.shape}")
        if not np.all(np.isfinite(z)):
            raise ValueError("latents contain NaN or inf")
        if covariance_type not in COVARIANCE_TYPES:
            raise ValueError(f"covariance_type must be one of {COVARIANCE_TYPES}, got "
                             f"{covariance_type!r}")
        if n_components is not None and (isinstance(n_components, bool)
                                         or int(n_components) != n_components
                                         or n_components < 1):
            raise ValueError(f"n_components must be an int >= 1 or None, got {n_components!r}")
        if labels is None:
            groups: dict[str | None, np.ndarray] = {None: z}
        else:
            labels = [str(k) for k in labels]
            if len(labels) != len(z):
                raise ValueError(f"{len(labels)} labels for {len(z)} latents")
            names = list(dict.fromkeys(labels))  # first-seen order
            arr = np.asarray(labels)
            groups = {k: z[arr == k] for k in names}
        mixtures = {}
        for key, codes in groups.items():
            what = "latents" if key is None else f"latents of kind {key!r}"
            if len(codes) < MIN_POINTS:
                raise ValueError(f"{len(codes)} {what}: a mixture needs at least {MIN_POINTS}")
            k = default_components(len(codes)) if n_components is None else int(n_components)
            k = min(k, len(codes))
            gm = GaussianMixture(k, covariance_type=covariance_type, reg_covar=reg_covar,
                                 random_state=int(seed), n_init=1).fit(codes)
            mixtures[key] = (gm.weights_, gm.means_, gm.covariances_)
        kind_weights = (None if labels is None
                        else {k: len(c) / len(z) for k, c in groups.items()})
        return cls(mixtures, covariance_type, kind_weights)  # type: ignore[arg-type]

    # ----------------------------------------------------------- sampling

    def _pooled(self) -> _Mixture:
        """Every kind's mixture as one, weighted by the kinds' shares."""
        assert self.kinds is not None and self.kind_weights is not None
        total = sum(self.kind_weights.values())
        parts = [(self.kind_weights[k] / total, self.mixtures[k]) for k in self.kinds]
        return _Mixture(np.concatenate([w * m.weights / m.weights.sum() for w, m in parts]),
                        np.concatenate([m.means for _, m in parts]),
                        np.concatenate([m.covariances for _, m in parts]),
                        self.covariance_type)

    def sample(self, n: int, seed: int = 0, kinds: Sequence[str] | None = None) -> np.ndarray:
        """``n`` draws ``(n, latent_dim)`` float32; the same seed, the same draws.

        Args:
            n: how many.
            seed: seeds ``numpy.random.default_rng``.
            kinds: one kind per clip, for a per-kind prior (``None``: all
                kinds together); a prior of one mixture ignores them.

        Raises:
            ValueError: a kind this prior has no mixture for, or not ``n``
                kinds.
        """
        n = _check_n(n)
        kinds = _check_kinds(kinds, n)
        rng = np.random.default_rng(seed)
        eps = rng.standard_normal((n, self.latent_dim))
        u = rng.random(n)
        if self.kinds is None:
            out = self.mixtures[None].transform(eps, u)
        elif kinds is None:
            out = self._pooled().transform(eps, u)
        else:
            unknown = sorted(set(kinds) - set(self.kinds))
            if unknown:
                raise ValueError(f"no mixture for kind(s) {unknown}; this prior knows "
                                 f"{', '.join(self.kinds)}")
            out = np.empty((n, self.latent_dim))
            arr = np.asarray(kinds, dtype=object)
            for k in set(kinds):
                rows = arr == k
                out[rows] = self.mixtures[k].transform(eps[rows], u[rows])
        return out.astype(np.float32)

    def log_likelihood(self, latents: np.ndarray,
                       kinds: Sequence[str] | None = None) -> np.ndarray:
        """Log density ``(n,)`` (nats) of codes ``(n, latent_dim)`` under the
        prior (each under its kind's mixture when ``kinds`` is given to a
        per-kind prior): the held-out score used to choose components."""
        z = np.atleast_2d(np.asarray(latents, dtype=np.float64))
        kinds = _check_kinds(kinds, len(z))
        if self.kinds is None or kinds is None:
            mix = self.mixtures[None] if self.kinds is None else self._pooled()
            return _mixture_log_density(mix, z)
        out = np.empty(len(z))
        arr = np.asarray(kinds, dtype=object)
        for k in set(kinds):
            out[arr == k] = _mixture_log_density(self.mixtures[k], z[arr == k])
        return out

    # -------------------------------------------------------- persistence

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON (lists of floats): ``prior_from_dict`` rebuilds it exactly."""
        keys: list[Any] = [None] if self.kinds is None else list(self.kinds)
        return {"type": self.name, "covariance_type": self.covariance_type,
                "latent_dim": self.latent_dim,
                "kinds": None if self.kinds is None else list(self.kinds),
                "kind_weights": (None if self.kind_weights is None
                                 else [self.kind_weights[k] for k in self.kinds]),  # type: ignore[union-attr]
                "mixtures": [self.mixtures[k].to_dict() for k in keys]}


def _mixture_log_density(mix: _Mixture, z: np.ndarray) -> np.ndarray:
    d = mix.dim
    diff = z[:, None, :] - mix.means[None]                     # (n, k, d)
    if mix.covariance_type == "diag":
        maha = np.sum(diff**2 / mix.covariances[None], axis=-1)
        logdet = np.sum(np.log(mix.covariances), axis=-1)
    else:
        sol = np.stack([np.linalg.solve(mix._scale[j], diff[:, j].T).T
                        for j in range(len(mix.weights))], axis=1)
        maha = np.sum(sol**2, axis=-1)
        logdet = 2 * np.sum(np.log(np.diagonal(mix._scale, axis1=1, axis2=2)), axis=-1)
    log_w = np.log(mix.weights / mix.weights.sum())
    comp = log_w[None] - 0.5 * (maha + logdet[None] + d * np.log(2 * np.pi))
    top = comp.max(axis=1, keepdims=True)
    return (top + np.log(np.exp(comp - top).sum(axis=1, keepdims=True)))[:, 0]


def prior_from_dict(d: Mapping[str, Any]) -> StandardNormalPrior | GaussianMixturePrior:
    """The prior a ``to_dict`` describes.

    Raises:
        ValueError: an unknown ``type`` or a malformed description.
    """
    if not isinstance(d, Mapping):
        raise ValueError(f"a prior description is a dict, got {type(d).__name__}")
    kind = d.get("type")
    try:
        if kind == StandardNormalPrior.name:
            return StandardNormalPrior(int(d["latent_dim"]))
        if kind == GaussianMixturePrior.name:
            kinds = d["kinds"]
            mixes = [(m["weights"], m["means"], m["covariances"]) for m in d["mixtures"]]
            if kinds is None:
                if len(mixes) != 1:
                    raise ValueError("one mixture over all codes expected")
                mixtures: dict[Any, Any] = {None: mixes[0]}
                weights = None
            else:
                if len(kinds) != len(mixes) or len(d["kind_weights"]) != len(kinds):
                    raise ValueError("one mixture and one weight per kind expected")
                mixtures = dict(zip(kinds, mixes))
                weights = dict(zip(kinds, d["kind_weights"]))
            prior = GaussianMixturePrior(mixtures, d["covariance_type"], weights)
            if "latent_dim" in d and int(d["latent_dim"]) != prior.latent_dim:
                raise ValueError(f"latent_dim {d['latent_dim']} does not match the means "
                                 f"({prior.latent_dim})")
            return prior
    except (KeyError, TypeError) as err:
        raise ValueError(f"malformed {kind} prior description ({err!r})") from err
    raise ValueError(f"unknown prior type {kind!r}; expected 'normal' or 'gmm'")
