"""Every approach of the series behind one contract: audio in, audio out.

The series builds four ways to make bee sounds:

==============  =================================================  ====================
approach        what the decoder produces                          back to sound
==============  =================================================  ====================
``magnitude``   normalised log magnitude (notebook 05)             Griffin-Lim
``real_imag``   compressed real and imaginary parts (notebook 06)  inverse STFT
``logmag_if``   log magnitude + instantaneous frequency (06)       integrate IF, iSTFT
``oscillator``  oscillator-bank controls (notebook 09)             the bank itself
==============  =================================================  ====================

An ``AudioModel`` holds the network, the fitted representation its encoder
reads, and the ``ModelConfig`` that built them.  Whatever happens inside, it
speaks audio::

    model = AudioModel.build(ModelConfig("magnitude"), corpus, seed=0)
    model.train(corpus, epochs=30)            # fit, progress bar, NaN watch, resume
    z = model.encode(waves)                   # (n, samples) -> (n, latent_dim)
    waves = model.decode(z)                   # (n, latent_dim) -> (n, samples)
    waves = model.reconstruct(waves)
    waves = model.generate(8, kind="queen_toot", seed=1)   # kind: conditional models
    z = model.prior_latents(8, seed=1, prior="normal")     # or "gmm" (the default after train)
    model.save("build/models/magnitude.keras"); AudioModel.load(...)

The network says how its arrays relate to sound (``training_inputs``,
``decode_waves``, ``intended_magnitudes``): the spectrogram VAE-GAN inverts
its representation, the oscillator bank plays its controls.  Nothing here
asks which approach it holds.

New sounds start from latents drawn from ``model.prior``
(``beeutils.models.priors``): N(0, I) for a fresh model, and after
``train`` a Gaussian mixture fitted to the training clips' codes
(``fit_prior``), which samples where the data are instead of between the
clusters of kinds.  ``prior="normal"`` or ``prior="gmm"`` picks one for a
single call (``prior_latents``, ``generate``,
``evaluate.evaluate_model``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from beeutils.models.configs import APPROACHES, ModelConfig
from beeutils.models.priors import (
    GaussianMixturePrior,
    StandardNormalPrior,
    prior_from_dict,
)

__all__ = ["APPROACHES", "AudioModel", "ModelFileError", "model_path", "one_hot"]

#: Marks the ``.json`` description of a saved model.
FILE_FORMAT = "beeutils-audio-model"
FILE_VERSION = 2


class ModelFileError(ValueError):
    """A model file that is missing, unreadable or not a beeutils model."""


def model_path(name: str, fast: bool | None = None) -> Path:
    """Where the notebooks save model ``name``: ``build/models/<name>.keras``
    (``build/models/fast/`` in fast mode, so quick runs never overwrite
    properly trained models)."""
    from beeutils.config import settings

    fast = settings.fast if fast is None else fast
    folder = settings.build_dir / "models" / ("fast" if fast else "")
    return folder / f"{name}.keras"


def one_hot(labels: Sequence[str], kinds: Sequence[str]) -> np.ndarray:
    """Kind names -> one-hot rows ``(n, len(kinds))`` float32, in ``kinds`` order.

    Raises:
        ValueError: a label that is not one of ``kinds``.
    """
    kinds = list(kinds)
    unknown = sorted(set(labels) - set(kinds))
    if unknown:
        raise ValueError(f"unknown kind(s) {unknown}; this model knows {', '.join(kinds)}")
    out = np.zeros((len(labels), len(kinds)), np.float32)
    out[np.arange(len(labels)), [kinds.index(k) for k in labels]] = 1.0
    return out


class AudioModel:
    """A network, the representation it reads, and the config that made them.

    Args:
        config: the ``ModelConfig``.
        network: the compiled Keras model (``VAEGAN`` or ``OscillatorVAE``).
        representation: the fitted ``beeutils.dsp.representations`` object
            the encoder reads.
        kinds: the corpus's kind names (the one-hot order of a conditional
            model).
        n_samples: clip length in samples.

        prior: where ``prior_latents`` draws from (``None``: N(0, I)).

    Attributes:
        train_result: the last ``training.fit.TrainResult`` (``None`` until
            ``train`` runs, and after ``load``).
        prior: a ``StandardNormalPrior`` or ``GaussianMixturePrior``
            (``beeutils.models.priors``); ``train`` ends by fitting the
            mixture, ``save`` writes it, ``load`` restores it.
    """

    def __init__(self, config: ModelConfig, network: Any, representation: Any,
                 kinds: Sequence[str], n_samples: int, prior: Any = None) -> None:
        self.config = config
        self.network = network
        self.representation = representation
        self.kinds = tuple(kinds)
        self.n_samples = int(n_samples)
        self.train_result: Any = None
        self.prior = StandardNormalPrior(self.latent_dim) if prior is None else prior
        if self.prior.latent_dim != self.latent_dim:
            raise ValueError(f"a {self.prior.latent_dim}-d prior for a {self.latent_dim}-d "
                             "latent space")

    def __repr__(self) -> str:
        conditional = ", conditional on kind" if self.conditional else ""
        return (f"AudioModel({self.approach}{conditional}: {self.latent_dim}-d latent, "
                f"{self.n_samples} samples at {self.sr} Hz)")

    # ------------------------------------------------------------ building

    @classmethod
    def build(cls, config: ModelConfig, corpus: Any, seed: int = 0) -> "AudioModel":
        """A new, untrained model for ``corpus``.

        The representation is fitted on the training split only, so held-out
        clips are scaled with numbers the model could have known.  ``seed``
        seeds Keras (the initial weights) and the model's sampling noise.

        Args:
            config: approach, STFT grid, network, conditional or not.
            corpus: a corpus with ``waves(split)``, ``labels(split)``,
                ``kinds`` and a ``"train"`` split (``beeutils.data.datasets``).
            seed: the same seed builds the same weights.
        """
        import keras

        from beeutils.dsp.representations import make_representation

        waves = corpus.waves("train")
        n_samples = int(waves.shape[-1])
        representation = make_representation(config.representation, config.stft,
                                             **(config.representation_options or {})).fit(waves)
        kinds = tuple(corpus.kinds)
        if config.conditional and len(kinds) < 2:
            raise ValueError(f"a model conditioned on kind needs at least two kinds, the "
                             f"corpus has {len(kinds)}")
        keras.utils.set_random_seed(int(seed))
        network = config.network.build(  # type: ignore[union-attr]
            representation.shape(n_samples), representation, n_samples,
            len(kinds) if config.conditional else 0, int(seed))
        return cls(config, network, representation, kinds, n_samples)

    # ------------------------------------------------------------ properties

    @property
    def approach(self) -> str:
        return self.config.approach

    @property
    def conditional(self) -> bool:
        return bool(self.config.conditional)

    @property
    def latent_dim(self) -> int:
        return int(self.network.latent_dim)

    @property
    def has_adversarial_stage(self) -> bool:
        """Whether ``train(adversarial_epochs=)`` applies: a network trained
        by reconstruction first that can add a discriminator afterwards."""
        return hasattr(self.network, "start_adversarial")

    @property
    def draws_spectrograms(self) -> bool:
        """Whether ``decode(texture=True)`` applies: the decoder draws
        magnitudes that are then made into sound (every approach but the
        oscillator bank, which writes its audio itself)."""
        return self.approach != "oscillator"

    @property
    def sr(self) -> int:
        return int(self.config.stft.sr)

    # ------------------------------------------------------------ training

    def training_data(self, corpus: Any, split: str) -> Any:
        """What ``fit`` reads for one split of ``corpus`` (with one-hot kinds
        for a conditional model)."""
        waves = corpus.waves(split)
        data = self.network.training_inputs(self.representation.encode_batch(waves), waves)
        if not self.conditional:
            return data
        return data, one_hot(list(corpus.labels(split)), self.kinds)

    def train(self, corpus: Any, epochs: int = 30, batch_size: int = 32, seed: int = 0,
              backup_dir: str | Path | None = None, callbacks: Sequence[Any] = (),
              verbose: int | str = "auto", adversarial_epochs: int = 0) -> Any:
        """Fit on ``corpus``'s training split, validating on ``"validation"``.

        ``training.fit.train``: a progress bar, ``NaNWatch``, batches ordered
        by ``(seed, epoch)``; with ``backup_dir`` an interrupted run started
        again resumes where it stopped.

        Args:
            corpus: the corpus to learn from (a conditional model: the
                same kinds, in the same order, as the one it was built for).
            epochs: total passes over the training split.
            batch_size: clips per step.
            seed: batch order.
            backup_dir: folder of the epoch-end backups (``None``: none).
            callbacks: extra Keras callbacks.
            verbose: Keras progress display.
            adversarial_epochs: the oscillator bank only: after ``epochs``
                of reconstruction, this many epochs of its adversarial stage
                (``OscillatorVAE.start_adversarial``: encoder frozen, a
                discriminator added; batch order from ``seed + 1``).  The
                VAE-GANs are adversarial from their first step.

        Ends by fitting the latent prior to the training split
        (``fit_prior``, seconds); if the split is too small for a mixture
        the model keeps the prior it had, with a warning.

        Returns:
            ``TrainResult`` (also kept as ``train_result``); with an
            adversarial stage, both stages together (``TrainResult.then``).

        Raises:
            ValueError: another kind list than the model's (conditional),
                or ``adversarial_epochs`` for a model without that stage.
        """
        from beeutils.training.fit import train

        if self.conditional and tuple(corpus.kinds) != self.kinds:
            # Another kind list would give every one-hot column another meaning.
            raise ValueError(f"the model was built for kinds {list(self.kinds)}, the corpus "
                             f"has {list(corpus.kinds)}")
        if adversarial_epochs and not self.has_adversarial_stage:
            raise ValueError(f"the {self.approach} model has no separate adversarial stage: "
                             "its discriminator trains from the first step")
        # An unconditional model reads no label: it may go on learning from
        # other recordings (fine-tuning), and then knows their kinds.
        self.kinds = tuple(corpus.kinds)
        data = self.training_data(corpus, "train")
        val = (self.training_data(corpus, "validation") if len(corpus.labels("validation"))
               else None)
        kw = {"batch_size": batch_size, "callbacks": callbacks, "verbose": verbose}
        if not adversarial_epochs:
            self.train_result = train(self.network, data, val, epochs=epochs, seed=seed,
                                      backup_dir=backup_dir, **kw)
        else:
            self.train_result = self._train_two_stages(data, val, epochs, adversarial_epochs,
                                                       seed, backup_dir, kw)
        try:
            self.fit_prior(corpus, seed=seed)
        except ValueError as err:
            # Hours of training are not thrown away over a split too small
            # for a mixture; the old prior still generates.
            import warnings

            warnings.warn(f"kept the {self.prior.name} prior: {err}", stacklevel=2)
        return self.train_result

    def _train_two_stages(self, data: Any, val: Any, epochs: int, adversarial_epochs: int,
                          seed: int, backup_dir: str | Path | None, kw: dict) -> Any:
        """Reconstruction, then the adversarial stage, each resumable.

        Each stage keeps its epoch-end backups in a subfolder of
        ``backup_dir`` (Keras removes a stage's folder when the stage ends);
        the weights the first stage ended with are kept beside them, so a
        run interrupted in the second stage resumes there.
        """
        from beeutils.training.fit import train

        def inside(name: str) -> Path | None:
            return None if backup_dir is None else Path(backup_dir) / name

        stage_one_done = inside("reconstruction.weights.h5")
        if stage_one_done is not None and stage_one_done.is_file():
            self.network.load_weights(stage_one_done)
            first = None
        else:
            first = train(self.network, data, val, epochs=epochs, seed=seed,
                          backup_dir=inside("reconstruction"), **kw)
            if not first.finite:
                return first  # no adversary for a model that broke
            if stage_one_done is not None:
                self.network.save_weights(stage_one_done)
        self.network.start_adversarial()
        second = train(self.network, data, val, epochs=adversarial_epochs, seed=seed + 1,
                       backup_dir=inside("adversarial"), **kw)
        return second if first is None else first.then(second)

    def fit_prior(self, corpus: Any, split: str = "train", n_components: int | None = None,
                  covariance_type: str = "diag", seed: int = 0) -> GaussianMixturePrior:
        """Fit ``prior`` to the posterior means of ``corpus``'s ``split``.

        A Gaussian mixture (Ghosh et al. 2020) over the codes; for a model
        conditioned on kind one mixture per kind, so a clip asked of a kind
        starts from where that kind's codes lie.  Cheap: one encoder pass
        and scikit-learn on ``(n, latent_dim)`` numbers.

        Args:
            corpus: the corpus (its ``split`` clips and, for a conditional
                model, their kinds).
            split: which clips.
            n_components: per mixture (``None``: ``priors.default_components``).
            covariance_type: ``"diag"`` or ``"full"``
                (``priors.GaussianMixturePrior`` says why diagonal).
            seed: seeds the mixture's k-means start.

        Returns:
            The fitted prior (also kept as ``prior``).

        Raises:
            ValueError: fewer than 2 clips (per kind, for a conditional
                model) in ``split``.
        """
        waves = corpus.waves(split)
        labels = list(corpus.labels(split)) if self.conditional else None
        z = (self.encode(waves, labels) if len(waves)
             else np.zeros((0, self.latent_dim), np.float32))
        self.prior = GaussianMixturePrior.fit(z, labels, n_components=n_components,
                                              covariance_type=covariance_type, seed=seed)
        return self.prior

    # ------------------------------------------------------------- kinds

    def labels(self, kind: str | Sequence[str] | None, n: int) -> np.ndarray | None:
        """One-hot ``(n, n_kinds)`` for a conditional model, ``None`` otherwise.

        Args:
            kind: one kind name for all ``n`` clips, or one per clip.

        Raises:
            ValueError: a kind for an unconditional model, none for a
                conditional one, an unknown kind or the wrong count.
        """
        if not self.conditional:
            if kind is not None:
                raise ValueError(f"the {self.approach} model was trained without kinds; "
                                 f"it cannot be asked for {kind!r}")
            return None
        if kind is None:
            raise ValueError(f"the {self.approach} model is conditioned on kind: pass kind= "
                             f"one of {', '.join(self.kinds)}")
        kinds = [kind] * n if isinstance(kind, str) else list(kind)
        if len(kinds) != n:
            raise ValueError(f"{len(kinds)} kinds for {n} clips")
        return one_hot(kinds, self.kinds)

    # ------------------------------------------------------- audio in/out

    def encode(self, waves: np.ndarray, kind: Any = None) -> np.ndarray:
        """Posterior means ``(n, latent_dim)`` of waveforms ``(n, samples)``."""
        x = self.representation.encode_batch(np.atleast_2d(waves))
        z_mean, _ = self.network.encode(x, self.labels(kind, len(x)))
        return z_mean

    def decode(self, z: np.ndarray, kind: Any = None, texture: bool = False) -> np.ndarray:
        """Waveforms ``(n, samples)`` for latents ``(n, latent_dim)``.

        ``texture`` (spectrogram models only): sample the scatter of the
        noise around the decoded magnitudes (``representations.noise_texture``)
        before they become sound (Griffin-Lim, or a complex model's decoded
        phase), instead of rendering their smooth average.
        """
        z = np.asarray(z, dtype=np.float32)
        labels = self.labels(kind, len(z))
        if texture:
            return self._texturing().decode_textured(self.network.decode(z, labels),
                                                     self.n_samples)
        return np.asarray(self.network.decode_waves(z, labels, self.representation,
                                                    self.n_samples), dtype=np.float32)

    def _texturing(self) -> Any:
        """The representation that adds a noise texture, or a clear error."""
        if not self.draws_spectrograms:
            raise ValueError("texture=True needs a spectrogram model (magnitudes drawn, then "
                             "made into sound); the oscillator bank writes its audio itself")
        return self.representation

    def reconstruct(self, waves: np.ndarray, kind: Any = None,
                    batch_size: int = 64) -> np.ndarray:
        """Encode and decode: the model's version of each clip, ``(n, samples)``.
        Runs in batches of ``batch_size`` clips (bounded memory)."""
        waves = np.atleast_2d(waves)
        if not len(waves):
            return np.zeros((0, self.n_samples), np.float32)
        kinds = ([kind] * len(waves) if kind is None or isinstance(kind, str)
                 else list(kind))
        parts = []
        for i in range(0, len(waves), batch_size):
            k = kinds[i : i + batch_size]
            k = None if k[0] is None else k
            parts.append(self.decode(self.encode(waves[i : i + batch_size], k), k))
        return np.concatenate(parts)

    def get_prior(self, prior: Any = None) -> Any:
        """The prior a call asks for.

        Args:
            prior: ``None`` (the model's ``prior``), ``"normal"`` (N(0, I)),
                ``"gmm"`` (the fitted mixture) or a prior object.

        Raises:
            ValueError: ``"gmm"`` before a mixture was fitted, or an unknown
                name.
        """
        if prior is None:
            return self.prior
        if prior == "normal":
            return StandardNormalPrior(self.latent_dim)
        if prior == "gmm":
            if not isinstance(self.prior, GaussianMixturePrior):
                raise ValueError("this model has no fitted mixture prior: train it or call "
                                 "fit_prior(corpus) first")
            return self.prior
        if isinstance(prior, str):
            raise ValueError(f"unknown prior {prior!r}; expected 'normal' or 'gmm'")
        return prior

    def prior_latents(self, n: int, seed: int = 0, kind: Any = None,
                      prior: Any = None) -> np.ndarray:
        """``n`` latents ``(n, latent_dim)`` float32 drawn from the prior.

        Args:
            n: how many.
            seed: the same seed (and kinds), the same latents.
            kind: a conditional model's kind (one name, or one per clip):
                a per-kind mixture draws each clip from its kind's
                mixture; ``None`` draws from all kinds together.
            prior: ``None`` (``self.prior``), ``"normal"`` or ``"gmm"``
                (``get_prior``).
        """
        kinds = None
        if kind is not None:
            self.labels(kind, n)  # the kind errors of generate
            kinds = [kind] * n if isinstance(kind, str) else list(kind)
        return self.get_prior(prior).sample(n, seed, kinds)

    def generate(self, n: int, kind: Any = None, seed: int = 0, prior: Any = None,
                 texture: bool = False) -> np.ndarray:
        """``n`` new clips ``(n, samples)``; ``kind`` (one name, or one per
        clip) for a conditional model.  The latents depend on ``seed``, the
        prior and (per-kind mixture) the kinds (``prior_latents``);
        ``texture`` as in ``decode``."""
        return self.decode(self.prior_latents(n, seed, kind, prior), kind, texture)

    def intended_magnitudes(self, z: np.ndarray, kind: Any = None,
                            texture: bool = False) -> np.ndarray | None:
        """Cropped magnitudes ``(n, freq, time)`` the decoder meant for ``z``
        (with ``texture``, the textured ones made into sound); ``None``
        for a network that writes audio (consistent by construction)."""
        z = np.asarray(z, dtype=np.float32)
        labels = self.labels(kind, len(z))
        if texture:
            return self._texturing().textured_magnitudes(self.network.decode(z, labels))
        return self.network.intended_magnitudes(z, labels, self.representation)

    # --------------------------------------------------------- persistence

    def description(self) -> dict[str, Any]:
        """The JSON saved beside the ``.keras`` file."""
        return {"format": FILE_FORMAT, "version": FILE_VERSION,
                "config": self.config.to_dict(), "kinds": list(self.kinds),
                "n_samples": self.n_samples,
                "representation": self.representation.get_config(),
                "prior": self.prior.to_dict()}

    def save(self, path: str | Path) -> Path:
        """Write ``<path>.keras`` and its ``.json`` description beside it.

        Returns:
            The ``.keras`` path.
        """
        path = Path(path).with_suffix(".keras")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.network.save(path)
        path.with_suffix(".json").write_text(json.dumps(self.description(), indent=1))
        return path

    @staticmethod
    def read_description(path: str | Path) -> dict[str, Any]:
        """The checked description of a saved model, without loading Keras.

        Returns:
            The JSON dict, with ``config`` as a ``ModelConfig``.

        Raises:
            ModelFileError: the file is missing, has no description beside
                it, or the description is not ours.
        """
        path = Path(path)
        if not path.is_file():
            raise ModelFileError(f"no model file at {path}")
        if path.suffix != ".keras":
            raise ModelFileError(f"{path}: expected a .keras file saved by AudioModel.save")
        desc_path = path.with_suffix(".json")
        if not desc_path.is_file():
            raise ModelFileError(f"{path} has no description {desc_path.name} beside it; "
                                 "save models with AudioModel.save")
        try:
            desc = json.loads(desc_path.read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise ModelFileError(f"{desc_path}: unreadable description ({err})") from err
        if not isinstance(desc, dict) or desc.get("format") != FILE_FORMAT:
            raise ModelFileError(f"{desc_path} does not describe a beeutils model")
        if desc.get("version") != FILE_VERSION:
            raise ModelFileError(f"{desc_path}: unsupported version {desc.get('version')!r}")
        try:
            desc["config"] = ModelConfig.from_dict(desc["config"])
        except (KeyError, TypeError, ValueError) as err:
            raise ModelFileError(f"{desc_path}: bad model config ({err})") from err
        return desc

    @classmethod
    def load(cls, path: str | Path) -> "AudioModel":
        """Read a model written by ``save``, with Keras' ``safe_mode=True`` (no
        code runs from the file: every layer is a registered beeutils class).

        Raises:
            ModelFileError: as ``read_description``, or Keras cannot rebuild
                the model.
        """
        import keras

        from beeutils.dsp.representations import representation_from_config
        # Registers the beeutils layers and models with Keras' serialiser.
        from beeutils.models import oscillator_model, vaegan  # noqa: F401

        desc = cls.read_description(path)
        try:
            representation = representation_from_config(desc["representation"])
        except (KeyError, TypeError, ValueError) as err:
            raise ModelFileError(f"{path}: bad representation ({err})") from err
        try:
            network = keras.saving.load_model(Path(path), safe_mode=True)
        except Exception as err:  # noqa: BLE001 -- Keras raises many kinds; report them all alike
            raise ModelFileError(f"{path}: Keras could not load the model "
                                 f"({type(err).__name__}: {err})") from err
        try:
            # Files written before priors were saved were sampled from N(0, I).
            prior = (prior_from_dict(desc["prior"]) if desc.get("prior") is not None
                     else StandardNormalPrior(int(network.latent_dim)))
            return cls(desc["config"], network, representation, desc["kinds"],
                       desc["n_samples"], prior)
        except ValueError as err:
            raise ModelFileError(f"{path}: bad prior ({err})") from err
