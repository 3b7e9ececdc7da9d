"""Encoder, decoder and discriminator builders and the ``VAEGAN`` model.

The VAE-GAN of Larsen et al. (2016), "Autoencoding beyond pixels using a
learned similarity metric", in Keras 3:

- the *encoder* maps an input ``x`` to ``q(z | x) = N(z_mean, exp(z_log_var))``;
- the *decoder* maps a latent ``z`` back to input space;
- the *discriminator* tells real inputs from decoded ones, and one of its
  hidden layers is the space in which reconstructions are compared.

Losses (``beeutils.models.losses``):

- ``kl``: KL divergence of ``q(z | x)`` from the prior ``N(0, I)``;
- ``feature``: squared error between discriminator features of ``x`` and of
  its reconstruction ``x~`` (Larsen's learned similarity);
- ``pixel`` (optional): pixel-wise binary cross-entropy or squared error, as
  in the keras.io MNIST VAE;
- ``gan_dec``: non-saturating GAN loss of the decoder; reconstructions and
  decoded prior samples ``x_p`` both count as fakes;
- ``disc``: the discriminator's loss on real, reconstructed and prior inputs.

Who minimises what (each part has its own optimiser)::

    encoder:        kl_weight * kl + recon
    decoder:        gamma * recon + gan_weight * gan_dec
    discriminator:  disc
    recon = feature_weight * feature + pixel_weight * pixel

The builders are representation-agnostic: any ``(height, width, channels)``
input works ((28, 28, 1) digits, (128, 128, 1) or (128, 128, 2)
spectrograms); strided convolutions halve the size per block and the decoder
pads/crops back to the exact input shape.

Conditioning on a class (the sound kind), ``n_classes > 0``: every part also
takes a one-hot label ``(batch, n_classes)``:

- encoder ``[x, onehot]``: the label joins the flattened conv features before
  the dense layers.  A kind is a property of the whole clip, not of a region
  of the spectrogram, so it needs no spatial layout; tiling it as constant
  input channels would cost ``n_classes`` extra channels at full resolution
  for the same information;
- decoder ``[z, onehot]``: concatenated before the first Dense layer, so the
  kind shapes the whole decoded grid;
- discriminator ``[x, onehot]``: a projection term (Miyato & Koyama 2018,
  "cGANs with projection discriminator"): ``logit = w . phi(x) + b +
  embed(onehot) . phi(x)`` with ``phi(x)`` the flattened last conv block.  It
  asks "is this a real clip *of this kind*", and the conv features, which
  double as the reconstruction metric, stay label-free.

``VAEGAN(..., n_classes=k)`` then trains on ``fit(x, onehot)`` (or
``fit((x, onehot))``; integer class ids ``(n,)`` work too), decodes its prior
samples with the batch's own labels, and ``reconstruct``/``sample``/
``encode``/``decode`` take ``labels=``.  With ``n_classes=0`` (the default)
nothing changes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


import keras
import numpy as np
from keras import layers, ops

from beeutils.models import losses
from beeutils.models.layers import (
    PadCrop,
    Sampling,
    TrackedConditionalModel,
    activation_layer,
    conv_block,
    deconv_block,
)

__all__ = ["build_encoder", "build_decoder", "build_discriminator", "VAEGAN", "build_vaegan",
           "build_mnist_vaegan", "LOSS_TERMS", "GRAD_NORMS", "as_onehot", "label_width", "labels_required",
           "label_tensor"]

#: Loss terms the model tracks (train and test).
LOSS_TERMS = ("kl", "feature", "pixel", "modulation", "waveform", "logmag", "consistency",
              "gan_dec", "disc", "aux_real", "aux_fake", "enc_loss", "dec_loss", "total",
              "d_real", "d_fake")
#: Global gradient norms the model tracks (train only).
GRAD_NORMS = ("enc_grad_norm", "dec_grad_norm", "disc_grad_norm")


def _check_shape(shape: Sequence[int], what: str) -> tuple[int, int, int]:
    shape = tuple(int(v) for v in shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"{what} must be (height, width, channels), got {shape}")
    return shape  # type: ignore[return-value]


def _check_classes(n_classes: int) -> int:
    if int(n_classes) != n_classes or n_classes < 0 or n_classes == 1:
        raise ValueError(f"n_classes must be 0 (unconditional) or at least 2, got {n_classes}")
    return int(n_classes)


def _label_input(n_classes: int) -> Any:
    return keras.Input(shape=(n_classes,), name="label")


def label_width(model: keras.Model) -> int:
    """Number of classes a built part is conditioned on (0: it takes one input)."""
    if len(model.inputs) == 1:
        return 0
    if len(model.inputs) == 2:
        return int(model.inputs[1].shape[-1])
    raise ValueError(f"{model.name} has {len(model.inputs)} inputs; expected 1 or 2")


def as_onehot(labels: Any, n_classes: int, n: int | None = None) -> np.ndarray:
    """Labels as a float32 one-hot array ``(n, n_classes)``.

    Args:
        labels: integer class ids ``(n,)``, one integer (repeated ``n``
            times), or rows ``(n, n_classes)`` (one-hot, or any mixture of
            classes, e.g. to interpolate between kinds).
        n_classes: number of classes of the model.
        n: expected number of rows (None: any).

    Raises:
        ValueError: wrong width, ids out of range, non-integer ids, kind
            names (map them with ``beeutils.models.audio_model.one_hot``), a count
            other than ``n``, or non-finite values.
    """
    arr = np.asarray(labels)
    if arr.dtype.kind in "USO":
        raise ValueError("labels must be integer class ids or one-hot rows; map kind names "
                         "with beeutils.models.audio_model.one_hot(labels, kinds)")
    if arr.ndim == 0:
        if n is None:
            raise ValueError("a single class id needs n, the number of rows")
        arr = np.full(n, arr)
    if arr.ndim == 1:
        if arr.dtype.kind == "b" or (arr.dtype.kind == "f" and not np.all(arr == np.round(arr))):
            raise ValueError(f"1-D labels must be integer class ids, got dtype {arr.dtype}")
        ids = arr.astype(np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= n_classes):
            raise ValueError(f"class ids must be in 0..{n_classes - 1}, got "
                             f"{ids.min()}..{ids.max()}")
        out = np.eye(n_classes, dtype=np.float32)[ids]
    elif arr.ndim == 2:
        if arr.shape[1] != n_classes:
            raise ValueError(f"one-hot labels must have {n_classes} columns, got shape "
                             f"{arr.shape}")
        out = arr.astype(np.float32)
        if not np.all(np.isfinite(out)):
            raise ValueError("labels contain inf or NaN")
    else:
        raise ValueError(f"labels must be class ids (n,) or one-hot rows (n, {n_classes}), "
                         f"got shape {arr.shape}")
    if n is not None and len(out) != n:
        raise ValueError(f"got {len(out)} labels for {n} items")
    return out


def build_encoder(
    input_shape: Sequence[int],
    latent_dim: int,
    widths: Sequence[int] = (32, 64),
    kernel_size: int = 4,
    dense_units: int | None = 128,
    activation: str = "leaky_relu",
    norm: str | None = None,
    name: str = "encoder",
    n_classes: int = 0,
) -> keras.Model:
    """Convolutional encoder ``x -> (z_mean, z_log_var)``.

    One stride-2 ``conv_block`` per entry of ``widths`` (each halves height and
    width), then Flatten, an optional Dense layer, and two linear heads.

    Args:
        input_shape: ``(height, width, channels)``, e.g. (28, 28, 1) or
            (128, 128, 2) for (freq, time, channels).
        latent_dim: size of ``z``.
        widths: filters of each conv block.
        kernel_size: conv kernel size.
        dense_units: units of the hidden Dense layer (None: none).
        activation: hidden activation.
        norm: None, ``"batch"`` or ``"layer"`` after each conv.
        name: model name.
        n_classes: 0 for ``x -> ...``; k > 1 for ``[x, onehot (batch, k)] ->
            ...``, the one-hot joining the flattened conv features.

    Returns:
        Functional model with outputs ``[z_mean, z_log_var]``, each
        ``(batch, latent_dim)``.
    """
    input_shape = _check_shape(input_shape, "input_shape")
    n_classes = _check_classes(n_classes)
    inputs = keras.Input(shape=input_shape, name="x")
    x = inputs
    for i, width in enumerate(widths):
        x = conv_block(x, width, kernel_size, 2, activation, norm, name=f"enc{i}")
    x = layers.Flatten(name="flatten")(x)
    if n_classes:
        label = _label_input(n_classes)
        x = layers.Concatenate(name="with_label")([x, label])
        inputs = [inputs, label]
    if dense_units:
        x = layers.Dense(dense_units, name="hidden")(x)
        x = activation_layer(activation, "hidden_act")(x)
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    return keras.Model(inputs, [z_mean, z_log_var], name=name)


def build_decoder(
    output_shape: Sequence[int],
    latent_dim: int,
    widths: Sequence[int] = (32, 64),
    kernel_size: int = 4,
    activation: str = "leaky_relu",
    norm: str | None = None,
    output_activation: str | None = "sigmoid",
    name: str = "decoder",
    n_classes: int = 0,
) -> keras.Model:
    """Decoder ``z -> x``, the mirror image of ``build_encoder``.

    Dense to a ``ceil(h / 2^k) x ceil(w / 2^k) x widths[-1]`` grid, one
    stride-2 ``deconv_block`` per width (in reverse order), a 3x3 convolution
    to the output channels, then ``PadCrop`` to exactly ``output_shape``.

    Args:
        output_shape: ``(height, width, channels)`` to produce.
        latent_dim: size of ``z``.
        widths: filters, listed as for the encoder (used in reverse).
        kernel_size: transposed-conv kernel size.
        activation: hidden activation.
        norm: None, ``"batch"`` or ``"layer"``.
        output_activation: ``"sigmoid"`` for targets in [0, 1], ``"tanh"`` for
            [-1, 1], None for unbounded (linear) outputs.
        name: model name.
        n_classes: 0 for ``z -> x``; k > 1 for ``[z, onehot (batch, k)] -> x``
            (concatenated before the first Dense layer).

    Returns:
        Functional model ``(batch, latent_dim) -> (batch, *output_shape)``.
    """
    height, width, channels = _check_shape(output_shape, "output_shape")
    n_classes = _check_classes(n_classes)
    factor = 2 ** len(widths)
    h0, w0 = math.ceil(height / factor), math.ceil(width / factor)
    top = widths[-1] if widths else channels
    inputs = keras.Input(shape=(latent_dim,), name="z")
    x = inputs
    if n_classes:
        label = _label_input(n_classes)
        x = layers.Concatenate(name="with_label")([x, label])
        inputs = [inputs, label]
    x = layers.Dense(h0 * w0 * top, name="project")(x)
    x = activation_layer(activation, "project_act")(x)
    x = layers.Reshape((h0, w0, top), name="grid")(x)
    for i, filters in enumerate(reversed(tuple(widths))):
        x = deconv_block(x, filters, kernel_size, 2, activation, norm, name=f"dec{i}")
    x = layers.Conv2D(channels, 3, padding="same", activation=output_activation,
                      name="to_output")(x)
    outputs = PadCrop((height, width), name="fit_shape")(x)
    return keras.Model(inputs, outputs, name=name)


def build_discriminator(
    input_shape: Sequence[int],
    widths: Sequence[int] = (32, 64, 128),
    kernel_size: int = 4,
    activation: str = "leaky_relu",
    norm: str | None = None,
    feature_block: int = -1,
    dense_units: int | None = None,
    dropout: float = 0.0,
    name: str = "discriminator",
    n_classes: int = 0,
) -> keras.Model:
    """Discriminator ``x -> (features, logits)``.

    Stride-2 ``conv_block`` per width; the output of block ``feature_block``
    is the hidden layer on which Larsen et al. measure reconstructions; the
    last block is flattened into one logit (real vs fake, no sigmoid).

    Args:
        input_shape: ``(height, width, channels)``.
        widths: filters of each conv block.
        kernel_size: conv kernel size.
        activation: hidden activation (LeakyReLU 0.2 as in DCGAN).
        norm: None, ``"batch"`` or ``"layer"``.
        feature_block: index into ``widths`` of the feature layer.
        dense_units: optional hidden Dense layer before the logit.
        dropout: dropout rate before the logit layer.
        name: model name.
        n_classes: 0 for ``x -> ...``; k > 1 for ``[x, onehot (batch, k)] ->
            ...`` with the projection term ``embed(onehot) . phi(x)`` added
            to the logit (``phi``: the vector the logit layer reads), and a
            third output, the kind logits ``(batch, k)`` of an auxiliary
            classifier that reads ``phi(x)`` only (AC-GAN).

    Returns:
        Functional model with outputs ``[features (batch, h', w', c'),
        logits (batch, 1)]``, plus ``kind_logits (batch, k)`` when
        conditional.
    """
    input_shape = _check_shape(input_shape, "input_shape")
    n_classes = _check_classes(n_classes)
    if not widths:
        raise ValueError("the discriminator needs at least one conv block")
    feature_index = range(len(widths))[feature_block]
    inputs = keras.Input(shape=input_shape, name="x")
    x = inputs
    features = None
    for i, width in enumerate(widths):
        x = conv_block(x, width, kernel_size, 2, activation, norm, name=f"disc{i}")
        if i == feature_index:
            features = x
    x = layers.Flatten(name="flatten")(x)
    if dense_units:
        x = layers.Dense(dense_units, name="hidden")(x)
        x = activation_layer(activation, "hidden_act")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    logits = layers.Dense(1, name="logits")(x)
    kind_logits = None
    if n_classes:
        # The auxiliary classifier (AC-GAN): which kind is this?  It reads
        # the input alone, never the label it is given.
        kind_logits = layers.Dense(n_classes, name="kind_logits")(x)
        label = _label_input(n_classes)
        # A one-hot times a bias-free Dense is a per-class embedding vector.
        embedded = layers.Dense(int(x.shape[-1]), use_bias=False, name="label_embedding")(label)
        projection = layers.Dot(axes=1, name="projection")([embedded, x])
        logits = layers.Add(name="logits_conditional")([logits, projection])
        inputs = [inputs, label]
        return keras.Model(inputs, [features, logits, kind_logits], name=name)
    return keras.Model(inputs, [features, logits], name=name)


def _global_norm(grads: Sequence[Any]) -> Any:
    """sqrt(sum of squares) over a list of gradients (None entries skipped)."""
    squares = [ops.sum(ops.square(g)) for g in grads if g is not None]
    if not squares:
        return ops.convert_to_tensor(0.0)
    return ops.sqrt(ops.sum(ops.stack(squares)))


def _default_optimizer(learning_rate: float, ema_momentum: float = 0.0
                       ) -> keras.optimizers.Optimizer:
    """Adam with beta_1 = 0.5; with ``ema_momentum`` > 0 it also keeps an
    exponential moving average of the weights it updates (``VAEGAN.fit``
    puts the average in place when training ends)."""
    # beta_1 = 0.5 is the DCGAN setting; momentum 0.9 makes adversarial
    # training oscillate.
    if not 0.0 <= ema_momentum < 1.0:
        raise ValueError(f"ema_momentum must be in [0, 1), got {ema_momentum}")
    if ema_momentum:
        return keras.optimizers.Adam(learning_rate=learning_rate, beta_1=0.5, use_ema=True,
                                     ema_momentum=ema_momentum)
    return keras.optimizers.Adam(learning_rate=learning_rate, beta_1=0.5)


def labels_required(n_classes: int, labels: Any, model: str = "VAEGAN") -> bool:
    """True for a conditional model (``n_classes > 0``) given labels, False
    for an unconditional one given none; a ValueError otherwise, naming the
    ``model``."""
    if not n_classes:
        if labels is not None:
            raise ValueError(f"this {model} is unconditional (n_classes=0): it takes no labels")
        return False
    if labels is None:
        raise ValueError(f"this {model} is conditioned on {n_classes} classes: pass "
                         f"labels, one-hot (n, {n_classes}) or class ids (n,)")
    return True


def label_tensor(n_classes: int, labels: Any, n: int | None = None,
                 model: str = "VAEGAN") -> Any:
    """Labels as a model part takes them: one-hot ``(batch, n_classes)``
    float32 (integer ids ``(batch,)`` are one-hot encoded; NumPy input is
    checked by ``as_onehot``, ``n`` rows if given); None for an
    unconditional model."""
    if not labels_required(n_classes, labels, model):
        return None
    if isinstance(labels, (np.ndarray, list, tuple, int, np.integer)):
        return ops.convert_to_tensor(as_onehot(labels, n_classes, n))
    if len(labels.shape) == 1:
        return ops.one_hot(ops.cast(labels, "int32"), n_classes)
    return ops.cast(labels, "float32")


@keras.saving.register_keras_serializable(package="beeutils")
class VAEGAN(TrackedConditionalModel, keras.Model):
    """VAE-GAN after Larsen et al. (2016), with a custom ``train_step``.

    Args:
        encoder: model ``x -> [z_mean, z_log_var]`` (``build_encoder``).
        decoder: model ``z -> x`` (``build_decoder``).
        discriminator: model ``x -> [features, logits]``
            (``build_discriminator``).
        kl_weight: weight of the KL term in the encoder loss.
        gamma: weight of the reconstruction term in the decoder loss (how much
            the decoder cares about matching ``x`` against fooling the
            discriminator; Larsen's code uses 1e-2 with a mean feature loss).
        feature_weight: weight of the discriminator-feature reconstruction.
        feature_reduction: ``"sum"`` (over feature axes, like the KL and a
            Gaussian log-likelihood) or ``"mean"`` (MSE).
        pixel_loss: ``None``, ``"bce"`` or ``"mse"``: an extra pixel-wise
            reconstruction term (the keras.io VAE used ``"bce"``).
        pixel_weight: its weight.
        modulation_weight: weight of ``losses.modulation_distance``: each
            bin's rise and fall over time, whenever it happens.
        gan_weight: weight of the decoder's GAN term.
        log_var_clamp: clip ``z_log_var`` into ``[-c, c]`` in the KL and the
            sampling; ``None`` is the naive ``exp(log_var)`` that overflows.
        gan_from_logits: stable softplus GAN losses (True) or naive ``log`` of
            sigmoid probabilities (False; ``log(0)`` when D saturates).
        gan_prob_clip: with ``gan_from_logits=False``, clip probabilities
            into ``[c, 1 - c]`` before the log.
        seed: seed of the sampling noise.
        n_classes: 0 for an unconditional model; k > 1 when the encoder,
            decoder and discriminator were built with ``n_classes=k`` (checked).
        waveform: the layer from the decoder's arrays to audio
            (``layers.CompressedComplexToWave``) that the waveform and
            consistency terms need.
        waveform_weight, waveform_fft_sizes, waveform_fft_overlap, log_magnitude_weight,
        consistency_weight, aux_weight: the complex output's and the
            conditional model's loss terms, as in ``configs.VAEGANConfig``.

    Data: ``fit(x)`` with ``x`` of shape ``(n, height, width, channels)``
    (labels, if given, are ignored by an unconditional model).  A conditional
    model needs labels: ``fit(x, onehot)`` or ``fit((x, onehot))`` with
    ``onehot`` ``(n, n_classes)`` (integer class ids ``(n,)`` also work).
    """

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        discriminator: keras.Model,
        kl_weight: float = 1.0,
        gamma: float = 1.0,
        feature_weight: float = 1.0,
        feature_reduction: str = "sum",
        pixel_loss: str | None = None,
        pixel_weight: float = 1.0,
        modulation_weight: float = 0.0,
        gan_weight: float = 1.0,
        log_var_clamp: float | None = 10.0,
        gan_from_logits: bool = True,
        gan_prob_clip: float | None = None,
        seed: int | None = None,
        n_classes: int = 0,
        waveform: keras.layers.Layer | None = None,
        waveform_weight: float = 0.0,
        waveform_fft_sizes: Sequence[int] = (2048, 1024, 512, 256, 128, 64),
        waveform_fft_overlap: float = 0.75,
        log_magnitude_weight: float = 0.0,
        consistency_weight: float = 0.0,
        aux_weight: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (waveform_weight or consistency_weight) and waveform is None:
            raise ValueError("waveform_weight and consistency_weight need a waveform layer "
                             "(arrays -> audio)")
        n_classes = _check_classes(n_classes)
        for part in (encoder, decoder, discriminator):
            width = label_width(part)
            if width != n_classes:
                takes = f"labels of {width} classes" if width else "no labels"
                raise ValueError(f"the {part.name} takes {takes} but n_classes={n_classes}: "
                                 f"build all three parts with n_classes={n_classes}")
        if pixel_loss not in (None, "bce", "mse"):
            raise ValueError(f"pixel_loss must be None, 'bce' or 'mse', got {pixel_loss!r}")
        if feature_reduction not in ("sum", "mean"):
            raise ValueError(f"feature_reduction must be 'sum' or 'mean', got "
                             f"{feature_reduction!r}")
        self.encoder = encoder
        self.decoder = decoder
        self.discriminator = discriminator
        self.latent_dim = int(encoder.outputs[0].shape[-1])
        self.kl_weight = float(kl_weight)
        self.gamma = float(gamma)
        self.feature_weight = float(feature_weight)
        self.feature_reduction = feature_reduction
        self.pixel_loss = pixel_loss
        self.pixel_weight = float(pixel_weight)
        self.modulation_weight = float(modulation_weight)
        self.gan_weight = float(gan_weight)
        self.log_var_clamp = None if log_var_clamp is None else float(log_var_clamp)
        self.gan_from_logits = bool(gan_from_logits)
        self.gan_prob_clip = None if gan_prob_clip is None else float(gan_prob_clip)
        self.seed = seed
        self.n_classes = n_classes
        self.waveform = waveform
        self.waveform_weight = float(waveform_weight)
        self.waveform_fft_sizes = tuple(int(n) for n in waveform_fft_sizes)
        self.waveform_fft_overlap = float(waveform_fft_overlap)
        if log_magnitude_weight and int(encoder.inputs[0].shape[-1]) != 2:
            raise ValueError("log_magnitude_weight needs real/imaginary (2-channel) inputs")
        self.log_magnitude_weight = float(log_magnitude_weight)
        self.consistency_weight = float(consistency_weight)
        if aux_weight and not n_classes:
            raise ValueError("aux_weight needs a model conditioned on kind (n_classes > 1)")
        self.aux_weight = float(aux_weight)
        self.sampler = Sampling(seed=seed, log_var_clamp=self.log_var_clamp, name="sampling")
        # Prior draws use their own generator so that sampling noise for the
        # reconstructions and for the prior are independent streams.
        self.prior_seed = keras.random.SeedGenerator(None if seed is None else seed + 1)
        self.trackers = {name: keras.metrics.Mean(name=name)
                         for name in LOSS_TERMS + GRAD_NORMS}
        self.enc_optimizer: keras.optimizers.Optimizer | None = None
        self.dec_optimizer: keras.optimizers.Optimizer | None = None
        self.disc_optimizer: keras.optimizers.Optimizer | None = None
        self.built = True  # every sub-model is already built

    # ------------------------------------------------------------- compile

    def compile(
        self,
        enc_optimizer: keras.optimizers.Optimizer | None = None,
        dec_optimizer: keras.optimizers.Optimizer | None = None,
        disc_optimizer: keras.optimizers.Optimizer | None = None,
        **kwargs: Any,
    ) -> None:
        """Set one optimiser per part (default Adam(lr, beta_1=0.5): 1e-3 for
        the encoder and decoder, 2e-4 for the discriminator).  Other keyword
        arguments (``run_eagerly``, ``jit_compile``, ...) go to
        ``keras.Model.compile``."""
        super().compile(optimizer=None, **kwargs)
        def pick(optimizer: Any, learning_rate: float) -> keras.optimizers.Optimizer:
            if optimizer is None:
                return _default_optimizer(learning_rate)
            return keras.optimizers.get(optimizer)

        self.enc_optimizer = pick(enc_optimizer, 1e-3)
        self.dec_optimizer = pick(dec_optimizer, 1e-3)
        self.disc_optimizer = pick(disc_optimizer, 2e-4)
        # Create the optimiser variables now, so that saved moments load (a
        # model file, a BackupAndRestore backup) before the first step.
        self.enc_optimizer.build(self.encoder.trainable_variables)
        self.dec_optimizer.build(self.decoder.trainable_variables)
        self.disc_optimizer.build(self.discriminator.trainable_variables)

    def fit(self, *args: Any, **kwargs: Any) -> Any:
        """``keras.Model.fit``; then, for an optimiser that keeps a moving
        average of its weights (``VAEGANConfig.ema_momentum``), the encoder
        and decoder take that average: what a model generates and
        reconstructs with after training."""
        history = super().fit(*args, **kwargs)
        for optimizer, network in ((self.enc_optimizer, self.encoder),
                                   (self.dec_optimizer, self.decoder),
                                   (self.disc_optimizer, self.discriminator)):
            optimizer.finalize_variable_values(network.trainable_variables)
        return history

    def get_compile_config(self) -> dict | None:
        if not self.compiled or self.enc_optimizer is None:
            return None
        return {
            "enc_optimizer": keras.saving.serialize_keras_object(self.enc_optimizer),
            "dec_optimizer": keras.saving.serialize_keras_object(self.dec_optimizer),
            "disc_optimizer": keras.saving.serialize_keras_object(self.disc_optimizer),
        }

    def compile_from_config(self, config: dict) -> None:
        self.compile(**{key: keras.saving.deserialize_keras_object(value)
                        for key, value in config.items()})

    # ---------------------------------------------------------------- config

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "kl_weight": self.kl_weight,
            "gamma": self.gamma,
            "feature_weight": self.feature_weight,
            "feature_reduction": self.feature_reduction,
            "pixel_loss": self.pixel_loss,
            "pixel_weight": self.pixel_weight,
            "modulation_weight": self.modulation_weight,
            "gan_weight": self.gan_weight,
            "log_var_clamp": self.log_var_clamp,
            "gan_from_logits": self.gan_from_logits,
            "gan_prob_clip": self.gan_prob_clip,
            "seed": self.seed,
            "n_classes": self.n_classes,
            "waveform": (None if self.waveform is None
                         else keras.saving.serialize_keras_object(self.waveform)),
            "waveform_weight": self.waveform_weight,
            "waveform_fft_sizes": list(self.waveform_fft_sizes),
            "waveform_fft_overlap": self.waveform_fft_overlap,
            "log_magnitude_weight": self.log_magnitude_weight,
            "consistency_weight": self.consistency_weight,
            "aux_weight": self.aux_weight,
        })
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "VAEGAN":
        config = dict(config)
        for key in ("encoder", "decoder", "discriminator", "waveform"):
            if config.get(key) is not None:
                config[key] = keras.saving.deserialize_keras_object(
                    config[key], custom_objects=custom_objects)
        return cls(**config)

    # ---------------------------------------------------------------- forward

    def _split(self, x: Any, labels: Any) -> tuple[Any, Any]:
        """``(x, labels)`` from either ``x, labels`` or ``(x, labels), None``."""
        if isinstance(x, (tuple, list)):
            if len(x) != 2 or labels is not None:
                raise ValueError("pass inputs as x, labels or as (x, labels)")
            x, labels = x
        return x, labels

    def _needs_labels(self, labels: Any) -> bool:
        """True for a conditional model given labels, False for an
        unconditional one given none; a ValueError otherwise."""
        return labels_required(self.n_classes, labels)

    def _label_tensor(self, labels: Any) -> Any:
        """Labels inside a step (see ``label_tensor``)."""
        return label_tensor(self.n_classes, labels)

    def call(self, x: Any, training: bool = False) -> Any:
        """Reconstruction from the posterior mean, ``(batch, h, w, c)``.

        ``x`` is the batch, or ``[x, onehot]`` for a conditional model.
        """
        x, labels = self._split(x, None)
        onehot = self._label_tensor(labels)
        z_mean, _ = self.encoder(self._with_label(x, onehot), training=training)
        return self.decoder(self._with_label(z_mean, onehot), training=training)

    def compute_losses(self, x: Any, labels: Any = None, training: bool = False) -> dict:
        """One forward pass of all three parts; every loss term as a scalar.

        Args:
            x: batch ``(batch, height, width, channels)`` (or ``(x, labels)``).
            labels: for a conditional model, one-hot ``(batch, n_classes)`` or
                class ids ``(batch,)``; the prior samples are decoded with the
                same labels, so the decoder is asked for the kinds it sees.
            training: passed to the sub-models (dropout, batch norm).

        Returns:
            dict with the ``LOSS_TERMS`` entries.
        """
        x, labels = self._split(x, labels)
        # A conditional model gives every part the kind as well (None: unconditional).
        onehot = self._label_tensor(labels)

        def with_label(t: Any) -> Any:
            return self._with_label(t, onehot)

        x = ops.convert_to_tensor(x, dtype="float32")
        batch = ops.shape(x)[0]
        # Encoder: q(z|x), a reparameterised sample z, and a prior sample z_p.
        z_mean, z_log_var = self.encoder(with_label(x), training=training)
        z = self.sampler([z_mean, z_log_var])
        z_p = keras.random.normal((batch, self.latent_dim), seed=self.prior_seed)
        # Decoder: reconstruction x~ and decoded prior sample x_p.
        x_tilde = self.decoder(with_label(z), training=training)
        x_p = self.decoder(with_label(z_p), training=training)
        # Discriminator on real, reconstructed and prior-sampled inputs.
        feat_real, logit_real, *kind_real = self.discriminator(with_label(x), training=training)
        feat_tilde, logit_tilde, *kind_tilde = self.discriminator(with_label(x_tilde),
                                                                  training=training)
        _, logit_p, *kind_p = self.discriminator(with_label(x_p), training=training)
        if self.aux_weight:
            # AC-GAN: the discriminator learns the kinds of real clips, and
            # the decoder is rewarded when its clips read as the kind asked.
            aux_real = losses.kind_crossentropy(kind_real[0], onehot)
            aux_fake = (losses.kind_crossentropy(kind_tilde[0], onehot)
                        + losses.kind_crossentropy(kind_p[0], onehot))
        else:
            aux_real = aux_fake = ops.convert_to_tensor(0.0)

        kl = losses.kl_divergence(z_mean, z_log_var, clamp=self.log_var_clamp)
        feature = losses.feature_matching(feat_real, feat_tilde, self.feature_reduction)
        if self.pixel_loss == "bce":
            pixel = losses.binary_crossentropy_pixels(x, x_tilde)
        elif self.pixel_loss == "mse":
            pixel = losses.mse_pixels(x, x_tilde)
        else:
            pixel = ops.convert_to_tensor(0.0)
        modulation = (losses.modulation_distance(x, x_tilde) if self.modulation_weight
                      else ops.convert_to_tensor(0.0))
        if self.waveform_weight:
            # The sound of the reconstruction against the sound of the input,
            # at several resolutions: no bin's exact phase is asked for.
            waveform = losses.multi_resolution_stft_loss(
                self.waveform(x), self.waveform(x_tilde), fft_sizes=self.waveform_fft_sizes,
                overlap=self.waveform_fft_overlap)
        else:
            waveform = ops.convert_to_tensor(0.0)
        logmag = (losses.complex_log_magnitude_distance(x, x_tilde)
                  if self.log_magnitude_weight else ops.convert_to_tensor(0.0))
        if self.consistency_weight:
            # Reconstructions and prior samples alike: every STFT the decoder
            # draws should be the STFT of the sound it makes.
            consistency = 0.5 * (
                losses.spectral_inconsistency(*self.waveform.round_trip(x_tilde))
                + losses.spectral_inconsistency(*self.waveform.round_trip(x_p)))
        else:
            consistency = ops.convert_to_tensor(0.0)
        recon = (self.feature_weight * feature + self.pixel_weight * pixel
                 + self.modulation_weight * modulation + self.waveform_weight * waveform
                 + self.log_magnitude_weight * logmag + self.consistency_weight * consistency)
        gan_kw = {"from_logits": self.gan_from_logits, "prob_clip": self.gan_prob_clip}
        gan_dec = losses.gan_generator_loss([logit_tilde, logit_p], **gan_kw)
        disc = losses.gan_discriminator_loss(logit_real, [logit_tilde, logit_p], **gan_kw)

        enc_loss = self.kl_weight * kl + recon
        dec_loss = self.gamma * recon + self.gan_weight * gan_dec + self.aux_weight * aux_fake
        disc = disc + self.aux_weight * aux_real
        return {
            "kl": kl, "feature": feature, "pixel": pixel, "modulation": modulation,
            "waveform": waveform, "logmag": logmag,
            "consistency": consistency,
            "gan_dec": gan_dec,
            "disc": disc, "aux_real": aux_real, "aux_fake": aux_fake,
            "enc_loss": enc_loss, "dec_loss": dec_loss,
            "total": enc_loss + dec_loss + disc,
            # Mean discriminator probabilities: is either side winning?
            "d_real": ops.mean(ops.sigmoid(logit_real)),
            "d_fake": ops.mean(ops.sigmoid(ops.concatenate([logit_tilde, logit_p], 0))),
        }

    def _unpack(self, data: Any) -> tuple[Any, Any]:
        """``(x, labels)`` of a batch as ``fit`` delivers it.

        ``fit(x)`` gives ``x``; ``fit(x, y)`` gives ``(x, y)``; ``fit((x, y))``
        gives ``((x, y),)``.  Labels are ``None`` for an unconditional model
        (whatever ``fit`` was given, as before conditioning existed).
        """
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if isinstance(x, (tuple, list)):
            if len(x) != 2:
                raise ValueError(f"expected x or (x, labels) per batch, got {len(x)} arrays")
            x, y = x
        return x, (y if self.n_classes else None)

    def train_step(self, data: Any) -> dict:
        """One update of encoder, decoder and discriminator on one batch."""
        import tensorflow as tf

        x, labels = self._unpack(data)
        # One forward pass, three losses: a persistent tape serves all three.
        with tf.GradientTape(persistent=True) as tape:
            terms = self.compute_losses(x, labels, training=True)
        parts = (  # (tracker prefix, loss, network, its optimiser)
            ("enc", "enc_loss", self.encoder, self.enc_optimizer),
            ("dec", "dec_loss", self.decoder, self.dec_optimizer),
            ("disc", "disc", self.discriminator, self.disc_optimizer),
        )
        for part, loss_name, network, optimizer in parts:
            # Each network follows the gradient of its own loss only.
            variables = network.trainable_variables
            grads = tape.gradient(terms[loss_name], variables)
            # A head no loss reads (the kind head with aux_weight 0) has no
            # gradient: leave it as it is.
            pairs = [(g, v) for g, v in zip(grads, variables) if g is not None]
            optimizer.apply_gradients(pairs)
            self.trackers[f"{part}_grad_norm"].update_state(_global_norm([g for g, _ in pairs]))
        del tape
        for name in LOSS_TERMS:
            self.trackers[name].update_state(terms[name])
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def test_step(self, data: Any) -> dict:
        """Loss terms on a batch, without updates (no gradient norms)."""
        x, labels = self._unpack(data)
        terms = self.compute_losses(x, labels, training=False)
        for name in LOSS_TERMS:
            self.trackers[name].update_state(terms[name])
        return {name: self.trackers[name].result() for name in LOSS_TERMS}

    # ------------------------------------------------------------- inference

    def _batched(self, fn: Any, arrays: Sequence[np.ndarray | None],
                 batch_size: int) -> list[np.ndarray]:
        """``fn`` on row slices of ``arrays`` (None entries stay None)."""
        n = len(arrays[0])
        outputs: list[list[np.ndarray]] = []
        for start in range(0, n, batch_size):
            batch = [None if a is None else
                     ops.convert_to_tensor(a[start : start + batch_size], dtype="float32")
                     for a in arrays]
            out = fn(*batch)
            out = out if isinstance(out, (list, tuple)) else [out]
            outputs.append([ops.convert_to_numpy(o) for o in out])
        return [np.concatenate(parts, axis=0) for parts in zip(*outputs)]

    def _onehot(self, labels: Any, n: int) -> np.ndarray | None:
        """Validated one-hot ``(n, n_classes)``, or None for an unconditional model."""
        if not self._needs_labels(labels):
            return None
        return as_onehot(labels, self.n_classes, n)

    def encode(self, x: np.ndarray, labels: Any = None,
               batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """Posterior parameters ``(z_mean, z_log_var)``, each ``(n, latent_dim)``.

        ``labels`` (conditional models only): one-hot ``(n, n_classes)`` or
        class ids ``(n,)``.
        """
        x = np.asarray(x)
        onehot = self._onehot(labels, len(x))
        z_mean, z_log_var = self._batched(
            lambda b, c: self.encoder(self._with_label(b, c), training=False),
            (x, onehot), batch_size)
        return z_mean, z_log_var

    def decode(self, z: np.ndarray, labels: Any = None, batch_size: int = 256) -> np.ndarray:
        """Decoder outputs ``(n, height, width, channels)`` for latents ``(n, latent_dim)``
        (and, conditional models only, labels as for ``encode``)."""
        z = np.asarray(z)
        onehot = self._onehot(labels, len(z))
        (out,) = self._batched(lambda b, c: self.decoder(self._with_label(b, c), training=False),
                               (z, onehot), batch_size)
        return out

    def reconstruct(self, x: np.ndarray, labels: Any = None,
                    batch_size: int = 256) -> np.ndarray:
        """Decode the posterior mean of ``x``: deterministic, same shape as ``x``.

        ``labels`` (conditional models only): the kinds of ``x``, one-hot
        ``(n, n_classes)`` or class ids ``(n,)``.
        """
        z_mean, _ = self.encode(x, labels, batch_size)
        return self.decode(z_mean, labels, batch_size)

    def sample(self, n: int, seed: int | None = None, labels: Any = None) -> np.ndarray:
        """Decode ``n`` draws from the prior ``N(0, I)``.

        Args:
            n: number of samples.
            seed: the same seed gives the same samples; None draws from the
                model's own generator (a new batch each call).  The latents
                depend on the seed only, so one seed with different labels
                asks for the same ``z`` as different kinds.
            labels: conditional models only: the class of each sample, one-hot
                ``(n, n_classes)``, class ids ``(n,)`` or one class id for all.

        Returns:
            ``(n, height, width, channels)`` float32.
        """
        onehot = self._onehot(labels, n)  # validate before drawing
        if seed is not None:
            z = np.random.default_rng(seed).standard_normal((n, self.latent_dim))
        else:
            z = ops.convert_to_numpy(keras.random.normal((n, self.latent_dim),
                                                         seed=self.prior_seed))
        return self.decode(z.astype(np.float32), onehot)

    # ------------------------------------------------------ the audio boundary
    # ``AudioModel`` speaks audio; these three methods are where a network
    # says how its arrays relate to sound.  The oscillator-bank model answers
    # the same questions differently (it writes audio itself).

    def training_inputs(self, x: np.ndarray, waves: np.ndarray) -> np.ndarray:
        """What ``fit`` receives for encoder inputs ``x`` ``(n, freq, time,
        channels)`` of ``waves`` ``(n, samples)``: ``x`` itself."""
        return x

    def decode_waves(self, z: np.ndarray, labels: Any, representation: Any,
                     n_samples: int) -> np.ndarray:
        """Audio ``(n, n_samples)`` for latents ``(n, latent_dim)``: the decoded
        arrays through the representation's inverse."""
        return representation.decode_batch(self.decode(z, labels), n_samples)

    def intended_magnitudes(self, z: np.ndarray, labels: Any,
                            representation: Any) -> np.ndarray:
        """Cropped magnitudes ``(n, freq, time)`` the decoder drew for ``z``
        (the audio need not have them: a drawn spectrogram may not be the STFT
        of any signal)."""
        return representation.magnitudes(self.decode(z, labels))


# ------------------------------------------------------- the spectrogram model


def build_vaegan(input_shape: Sequence[int], config: Any, n_classes: int = 0,
                 output_activation: str | None = "tanh", seed: int | None = None,
                 name: str = "vaegan", waveform: keras.layers.Layer | None = None) -> VAEGAN:
    """The repaired VAE-GAN of notebooks 05 and 06, compiled.

    Everything notebooks 03 and 04 found is fixed here: inputs are
    normalised and the decoder ends in ``tanh`` (or linear), the
    reconstruction is a squared error (never binary cross-entropy),
    ``z_log_var`` is clamped before ``exp``, and the GAN losses are computed
    from logits.  Reconstruction =
    ``pixel_weight`` * squared error summed over bins (the VAE's Gaussian
    likelihood) + ``feature_weight`` * squared error of discriminator
    features (Larsen et al.'s learned similarity).

    The weights are drawn from Keras' global generator: seed it first
    (``keras.utils.set_random_seed``; ``AudioModel.build`` does).

    Args:
        input_shape: ``(freq, time, channels)``.
        config: a ``beeutils.models.configs.VAEGANConfig``.
        n_classes: 0 for an unconditional model; k > 1 conditions encoder,
            decoder and discriminator on a one-hot kind.
        output_activation: used when ``config.output_activation`` is
            ``"auto"``: the representation's (``tanh`` for [-1, 1], ``None``
            for the complex representations).
        seed: seed of the model's sampling noise.
        name: the model's name.
        waveform: a layer from the decoder's arrays to audio
            (``layers.CompressedComplexToWave``), needed when
            ``config.waveform_weight`` is not 0.

    Returns:
        A compiled ``VAEGAN``.
    """
    activation = (output_activation if config.output_activation == "auto"
                  else config.output_activation)
    encoder_widths = config.widths if config.encoder_widths is None else config.encoder_widths
    encoder = build_encoder(input_shape, config.latent_dim, encoder_widths,
                            dense_units=config.dense_units, n_classes=n_classes)
    decoder = build_decoder(input_shape, config.latent_dim, config.widths,
                            output_activation=activation, n_classes=n_classes)
    discriminator = build_discriminator(input_shape, config.disc_widths,
                                        feature_block=config.feature_block,
                                        n_classes=n_classes)
    model = VAEGAN(
        encoder, decoder, discriminator,
        kl_weight=config.kl_weight, gamma=config.gamma,
        feature_weight=config.feature_weight, feature_reduction=config.feature_reduction,
        pixel_loss="mse", pixel_weight=config.pixel_weight,
        modulation_weight=config.modulation_weight,
        gan_weight=config.gan_weight, log_var_clamp=config.log_var_clamp,
        gan_from_logits=True, seed=seed, name=name, n_classes=n_classes,
        waveform=waveform if config.waveform_weight or config.consistency_weight else None,
        waveform_weight=config.waveform_weight,
        waveform_fft_overlap=config.waveform_fft_overlap,
        log_magnitude_weight=config.log_magnitude_weight,
        consistency_weight=config.consistency_weight,
        aux_weight=config.aux_weight if n_classes else 0.0,
    )
    model.compile(_default_optimizer(config.learning_rate, config.ema_momentum),
                  _default_optimizer(config.learning_rate, config.ema_momentum),
                  _default_optimizer(config.disc_learning_rate))
    return model


def build_mnist_vaegan(input_shape: Sequence[int], seed: int = 0, latent_dim: int = 8,
                       widths: Sequence[int] = (32, 64), disc_widths: Sequence[int] = (32, 64),
                       kl_weight: float = 1.0, gamma: float = 0.3, pixel_weight: float = 0.2,
                       learning_rates: tuple[float, float, float] = (1e-3, 1e-3, 2e-4),
                       **options: Any) -> VAEGAN:
    """Notebook 01's digits VAE-GAN for any ``input_shape``, freshly seeded, compiled.

    The model as the question ported it to spectrograms (notebooks 03 and
    04): notebook 01's widths, latent size, loss weights and Adam settings
    (beta_1 = 0.5), a sigmoid output; only the input shape changes.  Keras'
    global generator is seeded with ``seed`` first, so every call with the
    same seed starts from the same weights.

    Args:
        input_shape: ``(height, width, channels)``.
        seed: seeds the weights and the sampling noise.
        latent_dim, widths, disc_widths: notebook 01's network (the decoder
            mirrors the encoder's ``widths``).
        kl_weight, gamma, pixel_weight: notebook 01's loss weights.
        learning_rates: Adam for the encoder, the decoder and the discriminator.
        options: further ``VAEGAN`` options, e.g. the plain forms the question
            used: ``pixel_loss="bce", log_var_clamp=None, gan_from_logits=False``.
    """
    keras.utils.set_random_seed(seed)  # the same initial weights every time
    encoder = build_encoder(input_shape, latent_dim, widths)
    decoder = build_decoder(input_shape, latent_dim, widths, output_activation="sigmoid")
    discriminator = build_discriminator(input_shape, disc_widths)
    model = VAEGAN(encoder, decoder, discriminator, kl_weight=kl_weight, gamma=gamma,
                   pixel_weight=pixel_weight, seed=seed, **options)
    lr_enc, lr_dec, lr_disc = learning_rates
    model.compile(enc_optimizer=_default_optimizer(lr_enc),
                  dec_optimizer=_default_optimizer(lr_dec),
                  disc_optimizer=_default_optimizer(lr_disc))
    return model
