"""The spectrogram VAE-GAN pipeline, from corpus to metrics, for any representation.

One code path for notebooks 04 and 05, the multi-seed checks and the later
notebooks.  The general functions take a ``beeutils.dsp.representations``
object (magnitude, real/imaginary, log magnitude + instantaneous
frequency): ``prepare_data``, ``build_vaegan``,
``evaluate_representation_model``.  The magnitude pipeline of notebook 04 is
their special case, with its own evaluation beside Griffin-Lim's floor:

1. ``prepare_magnitude_data``: waveforms -> cropped STFT magnitudes
   ``(n, freq, time)`` -> normalised model inputs ``(n, freq, time, 1)`` in
   [-1, 1], with the normaliser fitted on the *training split only*;
2. ``build_magnitude_vaegan``: encoder, decoder (``tanh`` output) and
   discriminator with the repairs of notebook 03 switched on (GAN losses from
   logits, clamped log-variance), compiled;
3. ``train``: ``fit`` with ``NaNWatch`` on, timed; returns the history, the
   seconds and the non-finite event (``None`` when training stayed finite);
4. ``evaluate_magnitude_model``: Griffin-Lim on reconstructed, generated and
   true magnitudes, and every metric of ``beeutils.evaluation.metrics`` against its
   floor;
5. ``save_model`` / ``load_model``: the ``.keras`` file with the normaliser
   beside it as JSON (a model is useless without the statistics that undo its
   scaling).

Shapes: waveforms ``(n, samples)``; magnitudes ``(n, freq, time)`` (the
``STFTConfig`` crop, 128 x 128 by default: 0 to 2 kHz by 2.048 s); model
tensors ``(n, freq, time, channels)`` (1 channel for magnitudes, 2 for the
complex representations).
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from beeutils.evaluation import evaluate
from beeutils.dsp import spectral
from beeutils.dsp.spectral import lowpass_reference, magnitudes
from beeutils.dsp.normalize import PerFrequencyNormalizer, load_normalizer
from beeutils.dsp.representations import (
    MagnitudeRepresentation,
    Representation,
    griffin_lim_batches,
    load_representation,
    make_representation,
)
from beeutils.dsp.spectral import STFTConfig

__all__ = [
    "HUM_BAND_HZ", "RepresentationData", "MagnitudeData", "TrainResult", "magnitudes",
    "to_model_input", "from_model_output", "lowpass_reference", "prepare_data",
    "prepare_magnitude_data", "build_vaegan", "build_magnitude_vaegan", "train",
    "griffin_lim_waves", "evaluate_representation_model", "evaluate_magnitude_model",
    "metrics_table", "save_model", "load_model",
]

#: Fundamental-frequency band of colony hum (Hz), as ``evaluation`` measures it.
HUM_BAND_HZ = evaluate.HUM_BAND_HZ

#: The three splits ``prepare_magnitude_data`` reads by default.
SPLITS = ("train", "validation", "test")


# ------------------------------------------------------------------ the data




def to_model_input(mags: np.ndarray, normalizer: PerFrequencyNormalizer) -> np.ndarray:
    """Magnitudes ``(n, freq, time)`` -> Keras tensor ``(n, freq, time, 1)`` in [-1, 1]."""
    return normalizer.transform(mags)[..., np.newaxis]


def from_model_output(x: np.ndarray, normalizer: PerFrequencyNormalizer) -> np.ndarray:
    """Model outputs ``(n, freq, time, 1)`` (or ``(n, freq, time)``) -> magnitudes
    ``(n, freq, time)``; values outside [-1, 1] are clipped first."""
    x = np.asarray(x)
    if x.ndim >= 3 and x.shape[-1] == 1:
        x = x[..., 0]
    return normalizer.inverse(x)




@dataclasses.dataclass
class RepresentationData:
    """A corpus turned into model inputs, split by split.

    Attributes:
        config: the STFT settings (and crop) used.
        representation: the ``beeutils.dsp.representations`` object, fitted on
            ``waves["train"]`` only; it encodes and decodes.
        x: split -> model inputs ``(n, freq, time, channels)`` float32.
        mags: split -> cropped linear magnitudes ``(n, freq, time)`` float32.
        waves: split -> waveforms ``(n, samples)`` float32.
        labels: split -> kind name of each clip.
        metas: split -> synthesis metadata of each clip (``f0_hz`` ...).
        kinds: kind names in the corpus.
    """

    config: STFTConfig
    representation: Representation
    x: dict[str, np.ndarray]
    mags: dict[str, np.ndarray]
    waves: dict[str, np.ndarray]
    labels: dict[str, list[str]]
    metas: dict[str, list[dict]]
    kinds: tuple[str, ...]

    @property
    def normalizer(self) -> Any:
        """The representation's normaliser (magnitude, log-magnitude + IF), else ``None``."""
        return getattr(self.representation, "normalizer", None)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """``(freq, time, channels)``, the model's input shape."""
        return tuple(int(v) for v in self.x["train"].shape[1:])  # type: ignore[return-value]

    def summary(self) -> str:
        """One line per split: clips and array shapes."""
        return "\n".join(f"{split:>10}: {len(self.labels[split]):4d} clips, x {self.x[split].shape}"
                         for split in self.x)


#: The magnitude pipeline's data is the general one with a ``MagnitudeRepresentation``.
MagnitudeData = RepresentationData


def prepare_data(corpus: Any, representation: Representation | str,
                 splits: Sequence[str] = SPLITS, config: STFTConfig | None = None
                 ) -> RepresentationData:
    """Model inputs in any representation, for each split.

    The representation's statistics come from the training split only:
    held-out clips are scaled with numbers the model could have known, as
    generated clips will be.  A representation that is already fitted is used
    as it is.

    Args:
        corpus: a ``datasets.Corpus`` (``waves(split)``, ``labels(split)``,
            ``metas(split)``, ``kinds``).
        representation: a representation object, or its name in
            ``REPRESENTATIONS`` (built with ``config``).
        splits: splits to prepare; must include ``"train"``.
        config: STFT settings, only when ``representation`` is a name
            (default ``STFTConfig()``).

    Returns:
        ``RepresentationData``.
    """
    if "train" not in splits:
        raise ValueError(f"splits must include 'train' (the representation is fitted on it), "
                         f"got {tuple(splits)}")
    if isinstance(representation, str):
        representation = make_representation(representation, config)
    waves = {s: corpus.waves(s) for s in splits}
    if not representation.is_fitted:
        representation.fit(waves["train"])
    x = {s: representation.encode_batch(w) for s, w in waves.items()}
    cfg = representation.config
    return RepresentationData(config=cfg, representation=representation, x=x,
                              mags={s: magnitudes(w, cfg) for s, w in waves.items()},
                              waves=waves, labels={s: list(corpus.labels(s)) for s in splits},
                              metas={s: list(corpus.metas(s)) for s in splits},
                              kinds=tuple(corpus.kinds))


def prepare_magnitude_data(corpus: Any, config: STFTConfig,
                           normalizer: PerFrequencyNormalizer | None = None,
                           splits: Sequence[str] = SPLITS) -> RepresentationData:
    """``prepare_data`` with the magnitude representation (notebook 04).

    Cropped magnitudes through SpecGAN's per-frequency normaliser, fitted on
    the training split (unless already fitted), model inputs
    ``(n, freq, time, 1)`` in [-1, 1].

    Args:
        corpus: a ``datasets.Corpus``.
        config: STFT settings; the crop sets the model's ``(freq, time)``.
        normalizer: default ``PerFrequencyNormalizer()`` (SpecGAN's).
        splits: splits to prepare; must include ``"train"``.

    Returns:
        ``MagnitudeData`` (``data.normalizer`` is the normaliser).
    """
    return prepare_data(corpus, MagnitudeRepresentation(config, normalizer), splits)


# ----------------------------------------------------------------- the model


def build_magnitude_vaegan(
    input_shape: Sequence[int],
    latent_dim: int = 32,
    widths: Sequence[int] = (8, 16, 32, 64),
    disc_widths: Sequence[int] = (16, 32, 64),
    seed: int = 0,
    *,
    encoder_widths: Sequence[int] | None = (16, 32, 64, 128),
    dense_units: int = 256,
    output_activation: str | None = "tanh",
    feature_block: int = -1,
    kl_weight: float = 1.0,
    pixel_weight: float = 1.0,
    feature_weight: float = 1.0,
    feature_reduction: str = "sum",
    gamma: float = 1.0,
    gan_weight: float = 1.0,
    log_var_clamp: float = 10.0,
    learning_rate: float = 1e-3,
    disc_learning_rate: float = 1e-4,
    name: str = "magnitude_vaegan",
    n_classes: int = 0,
) -> Any:
    """The repaired VAE-GAN for normalised log magnitudes, compiled.

    Everything notebook 03 found is fixed here: inputs are normalised to
    [-1, 1] and the decoder ends in ``tanh`` (or linear), the reconstruction
    is a squared error (never binary cross-entropy), ``z_log_var`` is clamped
    before ``exp``, and the GAN losses are computed from logits.

    Reconstruction = ``pixel_weight`` * squared error summed over bins (a
    Gaussian likelihood, the VAE part) + ``feature_weight`` * squared error of
    discriminator features summed over the feature map (Larsen et al.'s
    learned similarity).

    Args:
        input_shape: ``(freq, time, 1)``.
        latent_dim: size of ``z``.
        widths: decoder widths, listed from the input side as for the
            encoder (the decoder uses them in reverse: 64 channels on the 8 x 8
            grid down to 8 on the 128 x 128 one).  Each stride-2 block doubles
            the size, so 4 widths take 8 x 8 back to 128 x 128.  The decoder
            runs twice per step (reconstruction and prior sample) at full
            resolution: it is where nearly all the computing goes, hence the
            narrow high-resolution layers.
        disc_widths: discriminator conv widths.
        encoder_widths: encoder conv widths (``None``: ``widths``); the
            encoder works on shrinking grids and is cheap.
        seed: seeds Keras (weights) and the model's sampling noise.
        dense_units: encoder hidden layer.
        output_activation: ``"tanh"`` (inputs live in [-1, 1]) or ``None``.
        feature_block: discriminator block whose output is the feature space.
        kl_weight, pixel_weight, feature_weight, gamma, gan_weight: loss
            weights (see ``beeutils.models.vaegan.VAEGAN``).
        feature_reduction: ``"sum"`` (over feature axes, the same scale as
            the summed squared error) or ``"mean"``.
        log_var_clamp: ``z_log_var`` is clipped into ``[-c, c]``.
        learning_rate: Adam (beta_1 = 0.5) for encoder and decoder.
        disc_learning_rate: Adam for the discriminator (a tenth of the
            others: a discriminator that wins outright, ``D(fake) -> 0``,
            gives the decoder nothing useful to learn from).
        name: the model's name.
        n_classes: 0 for an unconditional model; k > 1 conditions encoder,
            decoder and discriminator on a one-hot kind (``beeutils.models.vaegan``;
            train with ``fit(x, onehot)``).

    Returns:
        A compiled ``beeutils.models.vaegan.VAEGAN``.
    """
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras

    from beeutils.models import vaegan

    keras.utils.set_random_seed(int(seed))
    encoder = vaegan.build_encoder(input_shape, latent_dim,
                                   widths if encoder_widths is None else encoder_widths,
                                   dense_units=dense_units, n_classes=n_classes)
    decoder = vaegan.build_decoder(input_shape, latent_dim, widths,
                                   output_activation=output_activation, n_classes=n_classes)
    discriminator = vaegan.build_discriminator(input_shape, disc_widths,
                                               feature_block=feature_block,
                                               n_classes=n_classes)
    model = vaegan.VAEGAN(
        encoder, decoder, discriminator,
        kl_weight=kl_weight, gamma=gamma,
        feature_weight=feature_weight, feature_reduction=feature_reduction,
        pixel_loss="mse", pixel_weight=pixel_weight,
        gan_weight=gan_weight, log_var_clamp=log_var_clamp,
        gan_from_logits=True, seed=int(seed), name=name, n_classes=n_classes,
    )

    def adam(lr: float) -> keras.optimizers.Optimizer:
        return keras.optimizers.Adam(learning_rate=lr, beta_1=0.5)

    model.compile(adam(learning_rate), adam(learning_rate), adam(disc_learning_rate))
    return model


def build_vaegan(input_shape: Sequence[int], representation: Representation | None = None,
                 *args: Any, **kwargs: Any) -> Any:
    """``build_magnitude_vaegan`` for any ``(freq, time, channels)`` input.

    The same encoder, decoder, discriminator, losses and optimisers; only the
    decoder's output activation follows the representation's value range
    (``tanh`` for the magnitude's [-1, 1], linear for the complex ones) and
    the model is named after it.

    Args:
        input_shape: ``(freq, time, channels)``.
        representation: sets ``output_activation`` and ``name`` unless given;
            its ``channels`` must match ``input_shape``.
        *args, **kwargs: as ``build_magnitude_vaegan``.

    Returns:
        A compiled ``beeutils.models.vaegan.VAEGAN``.
    """
    if representation is not None:
        if int(input_shape[-1]) != representation.channels:
            raise ValueError(f"input_shape {tuple(input_shape)} has {input_shape[-1]} channels; "
                             f"the {representation.name} representation has "
                             f"{representation.channels}")
        kwargs.setdefault("output_activation", representation.output_activation)
        kwargs.setdefault("name", f"{representation.name}_vaegan")
    else:
        kwargs.setdefault("name", "vaegan")
    return build_magnitude_vaegan(input_shape, *args, **kwargs)


# ------------------------------------------------------------------ training


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
        epochs: epochs completed.
    """

    history: Any
    seconds: float
    event: Any
    steps: int
    epochs: int

    @property
    def finite(self) -> bool:
        """True when no loss term or gradient norm went inf or NaN."""
        return self.event is None

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


def train(model: Any, x_train: np.ndarray, x_val: np.ndarray | None = None,
          epochs: int = 40, batch_size: int = 32, callbacks: Sequence[Any] = (),
          seed: int = 0, verbose: int | str = "auto") -> TrainResult:
    """``model.fit`` with ``NaNWatch`` on, seeded and timed.

    Args:
        model: a compiled ``VAEGAN``.
        x_train: ``(n, freq, time, channels)`` training inputs, or
            ``(inputs, onehot labels (n, n_classes))`` for a conditional model.
        x_val: validation inputs, the same way (losses logged as ``val_*``
            each epoch).
        epochs: passes over ``x_train``.
        batch_size: clips per step.
        callbacks: extra Keras callbacks.
        seed: seeds the epoch shuffles (``keras.utils.set_random_seed``).
        verbose: Keras progress display (1: progress bar, 2: a line per epoch).

    Returns:
        ``TrainResult``.  Training stops at the first non-finite value, with
        the weights of the last finite step restored (``NaNWatch``).
    """
    import keras

    from beeutils.training.diagnostics import NaNWatch

    keras.utils.set_random_seed(int(seed))
    watch = NaNWatch(verbose=True)
    start = time.perf_counter()
    x, y = _inputs_and_labels(x_train)
    validation = None
    if x_val is not None:
        xv, yv = _inputs_and_labels(x_val)
        if len(xv):
            validation = (xv,) if yv is None else (xv, yv)
    history = model.fit(
        x, y, batch_size=batch_size, epochs=epochs, shuffle=True,
        validation_data=validation, callbacks=[watch, *callbacks], verbose=verbose,
    )
    seconds = time.perf_counter() - start
    n_epochs = len(next(iter(history.history.values()), []))
    return TrainResult(history, seconds, watch.event, watch.steps_seen, n_epochs)


# ---------------------------------------------------------------- evaluation


def griffin_lim_waves(mags: np.ndarray, config: STFTConfig, n_samples: int,
                      n_iter: int = 32, seed: int = 0, batch_size: int = 64) -> np.ndarray:
    """Fast Griffin-Lim (``beeutils.dsp.phase``) on cropped magnitudes, in batches.

    Args:
        mags: ``(n, freq, time)`` magnitudes (the cropped bins; the missing
            high bins count as zero, so the result is low-passed).
        config: STFT settings.
        n_samples: samples per output clip.
        n_iter: iterations.
        seed: seed of the random initial phases (batch ``i`` uses ``seed + i``).
        batch_size: clips per Griffin-Lim call (bounds the memory).

    Returns:
        float32 ``(n, n_samples)``.
    """
    return griffin_lim_batches(mags, config, n_samples, n_iter=n_iter, seed=seed,
                               batch_size=batch_size)


def _band_metrics(ref_mag: np.ndarray, waves: np.ndarray,
                  config: STFTConfig) -> tuple[float, float]:
    """Mean spectral convergence (dB) and log-spectral distance (dB) of the
    waves' cropped STFT magnitudes against ``ref_mag``."""
    from beeutils.evaluation import metrics

    est = magnitudes(waves, config)
    return (float(np.mean(metrics.spectral_convergence_db(ref_mag, est))),
            float(np.mean(metrics.log_spectral_distance(ref_mag, est))))


def evaluate_magnitude_model(
    model: Any,
    data: MagnitudeData,
    n_iter: int = 32,
    n_generated: int | None = None,
    seed: int = 0,
    split: str = "test",
    hum_band: tuple[float, float] = HUM_BAND_HZ,
    return_waves: bool = False,
) -> dict[str, Any] | tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Reconstruction and generation metrics, each beside its floor.

    Reconstruction, on the held-out ``split``:

    - ``lsd_model_mag_db``, ``sc_model_mag_db``: the decoded magnitudes
      against the true ones, before any phase is involved;
    - ``sc_floor_db``, ``lsd_floor_db``: Griffin-Lim on the *true* magnitudes,
      STFT again, against the true magnitudes: the error of the missing phase
      alone, the best any magnitude-only model can do;
    - ``sc_model_db``, ``lsd_model_db``: the same through the model
      (Griffin-Lim on the reconstructed magnitudes);
    - ``mrstft_floor``, ``mrstft_model``: multi-resolution STFT distance of
      those two waveforms from the clip low-passed at the crop with its true
      phase (``lowpass_reference``); ``mrstft_crop``: of that reference from
      the original full-band clip (what the crop alone costs);
    - ``hum_recon_f0_in_band``, ``hum_recon_f0_error_hz``: share of held-out
      hum clips whose reconstruction's f0 (YIN) lies in ``hum_band``, and the
      median |f0 error| against the clip's true fundamental.

    Generation, ``n_generated`` prior samples (default: as many as training
    clips) through Griffin-Lim, against the corpus passed through the same
    Griffin-Lim (so the comparison is not about phase or the crop):

    - ``fd_gen``, ``fd_floor``, ``fd_ratio``: Frechet distance on standardised
      hand-made features, generated vs held-out, training vs held-out, and
      their ratio (1 would be as close as real clips are to each other);
    - ``ndb_k``, ``ndb_k_floor``: NDB/K of generated and of held-out clips
      against the training set's k-means bins (``ndb_bins``);
    - ``f0_wasserstein_hz``, ``f0_median_gen_hz``, ``f0_median_data_hz``: the
      f0 distribution of generated clips against the held-out clips;
    - ``gen_share_hum_band``, ``data_share_hum_band``: share of clips whose
      f0 lies in ``hum_band``; ``gen_hum_f0_median_hz``: their median f0;
    - ``sc_gen_consistency_db``: how closely Griffin-Lim realises the
      generated magnitudes (generated spectrograms need not be the STFT of any
      signal).

    Args:
        model: a trained ``VAEGAN`` (``reconstruct``, ``sample``).
        data: ``MagnitudeData`` with ``"train"`` and ``split``.
        n_iter: Griffin-Lim iterations.
        n_generated: prior samples.
        seed: seeds prior samples and Griffin-Lim phases.
        split: held-out split.
        hum_band: hum f0 band in Hz.
        return_waves: also return the waveforms (for listening).

    Returns:
        The metrics dict (floats and ints); with ``return_waves``,
        ``(metrics, waves)`` where ``waves`` holds ``original``,
        ``lowpass``, ``floor``, ``recon``, ``generated`` (``(n, samples)``)
        and ``recon_mag``, ``gen_mag`` (``(n, freq, time)``).
    """
    from beeutils.evaluation import metrics

    cfg, norm = data.config, data.normalizer
    sr = cfg.sr
    start = time.perf_counter()
    original = data.waves[split]
    n_samples = original.shape[-1]
    true_mag = data.mags[split]
    labels = np.asarray(data.labels[split])
    out: dict[str, Any] = {"n_test": int(len(original)), "n_iter": int(n_iter)}

    # --- reconstruction
    recon_mag = from_model_output(model.reconstruct(data.x[split]), norm)
    out["sc_model_mag_db"] = float(np.mean(metrics.spectral_convergence_db(true_mag, recon_mag)))
    out["lsd_model_mag_db"] = float(np.mean(metrics.log_spectral_distance(true_mag, recon_mag)))
    lowpass = lowpass_reference(original, cfg)
    floor = griffin_lim_waves(true_mag, cfg, n_samples, n_iter, seed)
    recon = griffin_lim_waves(recon_mag, cfg, n_samples, n_iter, seed)
    out["sc_floor_db"], out["lsd_floor_db"] = _band_metrics(true_mag, floor, cfg)
    out["sc_model_db"], out["lsd_model_db"] = _band_metrics(true_mag, recon, cfg)
    out["mrstft_crop"] = float(metrics.multi_resolution_stft_distance(original, lowpass, sr))
    out["mrstft_floor"] = float(metrics.multi_resolution_stft_distance(lowpass, floor, sr))
    out["mrstft_model"] = float(metrics.multi_resolution_stft_distance(lowpass, recon, sr))

    out.update(evaluate.hum_reconstruction_metrics(recon, labels, data.metas[split], sr,
                                                     hum_band))

    # --- generation
    n_gen = int(n_generated or len(data.x["train"]))
    gen_mag = from_model_output(model.sample(n_gen, seed=seed), norm)
    generated = griffin_lim_waves(gen_mag, cfg, n_samples, n_iter, seed + 1000)
    out["n_generated"] = n_gen
    out["sc_gen_consistency_db"] = _band_metrics(gen_mag, generated, cfg)[0]
    train_floor = griffin_lim_waves(data.mags["train"], cfg, n_samples, n_iter, seed + 2000)
    gen, f0s = evaluate.generation_metrics(train_floor, floor, generated, sr, seed, hum_band)
    out.update(gen)
    f0_gen, f0_data = f0s["f0_generated"], f0s["f0_data"]
    out["eval_seconds"] = time.perf_counter() - start
    if not return_waves:
        return out
    waves = {"original": original, "lowpass": lowpass, "floor": floor, "recon": recon,
             "generated": generated, "recon_mag": recon_mag, "gen_mag": gen_mag,
             "f0_generated": f0_gen, "f0_data": f0_data}
    return out, waves


def evaluate_representation_model(
    model: Any,
    data: RepresentationData,
    n_generated: int | None = None,
    seed: int = 0,
    return_waves: bool = False,
    split: str = "test",
    hum_band: tuple[float, float] = HUM_BAND_HZ,
) -> dict[str, Any] | tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The shared metrics (``beeutils.evaluation.evaluate.evaluate_waves``) of a model
    trained on any representation.

    Reconstructions of the held-out ``split`` and ``n_generated`` prior
    samples are turned into sound by the representation's own inverse
    (Griffin-Lim for magnitudes, the inverse STFT for the complex
    representations) and measured like every other approach of the series.
    The magnitudes the model *meant* to produce for its samples go along as
    ``intended_gen_mag``, so that the consistency of the output (does the
    audio have the spectrogram the model drew?) is measured too.

    Args:
        model: a trained ``VAEGAN`` (``reconstruct``, ``sample``).
        data: ``RepresentationData`` with ``"train"`` and ``split``.
        n_generated: prior samples (default: as many as training clips).
        seed: seeds the prior samples and the metrics.
        return_waves: also return the audio and model arrays.
        split: held-out split.
        hum_band: hum f0 band in Hz.

    Returns:
        ``evaluate_waves``' dict plus ``representation`` (name) and
        ``eval_seconds`` (decoding included); with ``return_waves``,
        ``(metrics, waves)`` where ``waves`` holds ``original``, ``lowpass``
        (its band-limited reference), ``recon``, ``generated`` (the decoded
        audio, ``(n, samples)``), ``f0_generated``, ``f0_data`` (Hz),
        ``recon_array``, ``gen_array`` (model arrays) and ``recon_mag``,
        ``gen_mag`` (``(n, freq, time)`` magnitudes they stand for).
    """
    from beeutils.evaluation import evaluate

    rep = data.representation
    start = time.perf_counter()
    original = data.waves[split]
    n_samples = original.shape[-1]
    recon_array = model.reconstruct(data.x[split])
    recon = rep.decode_batch(recon_array, n_samples)
    n_gen = int(n_generated or len(data.x["train"]))
    gen_array = model.sample(n_gen, seed=seed)
    generated = rep.decode_batch(gen_array, n_samples)
    gen_mag = rep.magnitudes(gen_array)
    out, band = evaluate.evaluate_waves(
        config=data.config, original=original, recon=recon, generated=generated,
        train_waves=data.waves["train"], labels=list(data.labels[split]),
        metas=list(data.metas[split]), intended_gen_mag=gen_mag, seed=seed, hum_band=hum_band,
        return_waves=True)
    out = dict(out)
    out["representation"] = rep.name
    out["eval_seconds"] = time.perf_counter() - start
    if not return_waves:
        return out
    waves = {"original": original, "recon": recon, "generated": generated,
             "lowpass": band["lowpass"], "f0_generated": band["f0_generated"],
             "f0_data": band["f0_data"], "recon_array": recon_array, "gen_array": gen_array,
             "recon_mag": rep.magnitudes(recon_array), "gen_mag": gen_mag}
    return out, waves


#: Rows of ``metrics_table``: (key, floor key, description, unit, lower is better).
_ROWS = (
    ("sc_model_db", "sc_floor_db", "spectral convergence, 0-2 kHz, after Griffin-Lim",
     "dB", True),
    ("lsd_model_db", "lsd_floor_db", "log-spectral distance, 0-2 kHz, after Griffin-Lim",
     "dB", True),
    ("lsd_model_mag_db", None, "log-spectral distance of the decoded magnitudes (no phase)",
     "dB", True),
    ("mrstft_model", "mrstft_floor", "multi-resolution STFT distance to the 2 kHz low-passed clip",
     "", True),
    ("hum_recon_f0_in_band", None, "held-out hum: reconstructions with f0 in the hum band",
     "share", False),
    ("hum_recon_f0_error_hz", None, "held-out hum: median f0 error of reconstructions", "Hz",
     True),
    ("fd_gen", "fd_floor", "Frechet distance to held-out clips (standardised features)", "",
     True),
    ("fd_ratio", None, "Frechet distance ratio, generated / train-vs-held-out", "", True),
    ("ndb_k", "ndb_k_floor", "NDB/K against the training set's bins", "", True),
    ("f0_wasserstein_hz", None, "f0 distribution distance (Wasserstein), generated vs held-out",
     "Hz", True),
    ("gen_share_hum_band", "data_share_hum_band", "clips with f0 in the hum band", "share",
     None),
    ("sc_gen_consistency_db", None, "Griffin-Lim consistency of generated magnitudes", "dB",
     True),
)


def metrics_table(results: dict[str, Any] | dict[str, dict[str, Any]]) -> str:
    """The metrics as a Markdown table: one row per metric, with its floor.

    Args:
        results: one ``evaluate_magnitude_model`` dict, or name -> dict (one
            column per model, e.g. per seed); the floor column is taken from
            the first.

    Returns:
        Markdown text.
    """
    if results and all(isinstance(v, dict) for v in results.values()):
        columns = dict(results)
    else:
        columns = {"model": results}
    first = next(iter(columns.values()))

    fmt = evaluate.format_value
    head = "| metric | unit | " + " | ".join(columns) + " | floor / real data | better |"
    lines = [head, "|---|---|" + "---:|" * len(columns) + "---:|---|"]
    for key, floor_key, text, unit, lower in _ROWS:
        if key not in first:
            continue
        cells = " | ".join(fmt(c.get(key)) for c in columns.values())
        floor = fmt(first.get(floor_key)) if floor_key else ""
        better = "lower" if lower else ("higher" if lower is False else "near real data")
        lines.append(f"| {text} | {unit} | {cells} | {floor} | {better} |")
    return "\n".join(lines)


# --------------------------------------------------------------- persistence


def _paths(path: str | Path) -> tuple[Path, Path, Path]:
    path = Path(path)
    if path.suffix != ".keras":
        path = path.with_name(path.name + ".keras")
    return path, path.with_suffix(".normalizer.json"), path.with_suffix(".representation.json")


def save_model(model: Any, normalizer: Any, path: str | Path) -> tuple[Path, Path]:
    """Save the model as ``.keras`` and what undoes its scaling beside it as JSON.

    Args:
        model: the trained ``VAEGAN``.
        normalizer: the fitted normaliser its inputs went through, or the
            fitted representation (which holds its normaliser and settings).
        path: ``name.keras`` (or ``name``, ``.keras`` is added).

    Returns:
        ``(model path, JSON path)``: ``name.keras`` and
        ``name.normalizer.json`` (a normaliser) or
        ``name.representation.json`` (a representation).
    """
    model_path, norm_path, rep_path = _paths(path)
    model_path.parent.mkdir(parents=True, exist_ok=True)
    model.save(model_path)
    keep, stale = (rep_path, norm_path) if isinstance(normalizer, Representation) else (
        norm_path, rep_path)
    # A file of the other kind left by an earlier save would be read instead.
    stale.unlink(missing_ok=True)
    return model_path, normalizer.save(keep)


def load_model(path: str | Path) -> tuple[Any, Any]:
    """Load what ``save_model`` wrote, with ``safe_mode=True`` (no code runs
    from the file: every layer is a registered ``beeutils`` class).

    Returns:
        ``(model, normalizer)``, or ``(model, representation)`` when a
        representation was saved.
    """
    import keras

    from beeutils.models import layers as _layers
    from beeutils.models import vaegan as _models

    model_path, norm_path, rep_path = _paths(path)
    model = keras.saving.load_model(model_path, safe_mode=True)
    if rep_path.exists():
        return model, load_representation(rep_path)
    return model, load_normalizer(norm_path)
