"""Shared Keras layers: reparameterised sampling, conv blocks, pad/crop.

Everything here works on image-like tensors ``(batch, height, width,
channels)``; for spectrograms that is ``(batch, freq, time, channels)``.
The layers are registered serializable so that models using them save to
``.keras`` and load back with ``safe_mode=True``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


import keras
from keras import layers, ops

__all__ = ["Sampling", "PadCrop", "LeakyReLU", "fit_to_shape", "activation_layer",
           "conv_block", "deconv_block", "CompressedComplexToWave"]


@keras.saving.register_keras_serializable(package="beeutils")
class Sampling(keras.layers.Layer):
    """Draw ``z = mu + exp(0.5 * log_var) * eps`` with ``eps ~ N(0, I)``.

    The reparameterisation trick (Kingma & Welling 2014): the randomness sits
    in ``eps``, so gradients flow through ``mu`` and ``log_var``.

    Args:
        seed: seed of the layer's own ``keras.random.SeedGenerator`` (each call
            draws fresh noise; the same seed gives the same sequence of draws).
        log_var_clamp: clip ``log_var`` into ``[-c, c]`` before ``exp``.
            ``None`` keeps the raw ``exp(0.5 * log_var)``, which overflows
            float32 to ``inf`` once ``log_var`` passes about 177 (the naive
            behaviour notebook 03 reproduces).

    Call arguments:
        inputs: ``[z_mean, z_log_var]``, each ``(batch, latent_dim)``.

    Returns:
        ``z`` with shape ``(batch, latent_dim)``.
    """

    def __init__(self, seed: int | None = None, log_var_clamp: float | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seed = seed
        self.log_var_clamp = log_var_clamp
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs: Sequence[Any]) -> Any:
        z_mean, z_log_var = inputs
        if self.log_var_clamp is not None:
            c = float(self.log_var_clamp)
            z_log_var = ops.clip(z_log_var, -c, c)
        eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * eps

    def compute_output_shape(self, input_shape: Sequence[tuple]) -> tuple:
        return tuple(input_shape[0])

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"seed": self.seed, "log_var_clamp": self.log_var_clamp})
        return config


def _pad_crop_amounts(size: int, target: int, align: str) -> tuple[int, int, int, int]:
    """(crop_before, crop_after, pad_before, pad_after) along one axis."""
    diff = target - size
    if diff >= 0:
        before = diff // 2 if align == "center" else 0
        return 0, 0, before, diff - before
    extra = -diff
    before = extra // 2 if align == "center" else 0
    return before, extra - before, 0, 0


def fit_to_shape(x: Any, target_hw: Sequence[int], align: str = "center") -> Any:
    """Zero-pad or crop ``x`` so its spatial size is exactly ``target_hw``.

    Args:
        x: tensor ``(batch, h, w, channels)`` with static ``h`` and ``w``.
        target_hw: ``(height, width)`` wanted.
        align: ``"center"`` splits the padding/cropping between both sides
            (extra row/column at the end), ``"start"`` keeps the top-left
            corner and pads/crops at the end only.

    Returns:
        Tensor ``(batch, target_h, target_w, channels)``.
    """
    if align not in ("center", "start"):
        raise ValueError(f"align must be 'center' or 'start', got {align!r}")
    h, w = int(x.shape[1]), int(x.shape[2])
    th, tw = (int(v) for v in target_hw)
    ch0, ch1, ph0, ph1 = _pad_crop_amounts(h, th, align)
    cw0, cw1, pw0, pw1 = _pad_crop_amounts(w, tw, align)
    if ch0 or ch1 or cw0 or cw1:
        x = x[:, ch0 : h - ch1, cw0 : w - cw1, :]
    if ph0 or ph1 or pw0 or pw1:
        x = ops.pad(x, [[0, 0], [ph0, ph1], [pw0, pw1], [0, 0]])
    return x


@keras.saving.register_keras_serializable(package="beeutils")
class PadCrop(keras.layers.Layer):
    """Layer form of ``fit_to_shape``: pad or crop to a fixed ``(h, w)``.

    Strided decoders double the size at each step, so they reach 28 from 7
    but 32 from 4; this layer brings any such size back to the input shape.

    Args:
        target_hw: ``(height, width)`` of the output.
        align: ``"center"`` or ``"start"`` (see ``fit_to_shape``).
    """

    def __init__(self, target_hw: Sequence[int], align: str = "center",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target_hw = tuple(int(v) for v in target_hw)
        if align not in ("center", "start"):
            raise ValueError(f"align must be 'center' or 'start', got {align!r}")
        self.align = align

    def call(self, x: Any) -> Any:
        return fit_to_shape(x, self.target_hw, self.align)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], *self.target_hw, input_shape[-1])

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"target_hw": list(self.target_hw), "align": self.align})
        return config


@keras.saving.register_keras_serializable(package="beeutils")
class LeakyReLU(keras.layers.Layer):
    """``max(x, slope * x)``: the same function as ``keras.layers.LeakyReLU``.

    Written with ``maximum`` because TensorFlow's graph optimiser fails (and
    logs a harmless but alarming "remapper failed" error) when it tries to
    fuse Conv2D + LeakyRelu in a model whose discriminator is called several
    times under one GradientTape, as the VAE-GAN's is.

    Args:
        negative_slope: slope for negative inputs, 0 < slope < 1 (DCGAN: 0.2).
    """

    def __init__(self, negative_slope: float = 0.2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0.0 <= negative_slope < 1.0:
            raise ValueError(f"negative_slope must be in [0, 1), got {negative_slope}")
        self.negative_slope = float(negative_slope)

    def call(self, x: Any) -> Any:
        return ops.maximum(x, self.negative_slope * x)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"negative_slope": self.negative_slope})
        return config


def activation_layer(name: str | None, layer_name: str | None = None) -> keras.layers.Layer:
    """An activation layer; ``"leaky_relu"`` uses slope 0.2 (DCGAN's choice)."""
    if name == "leaky_relu":
        return LeakyReLU(0.2, name=layer_name)
    return layers.Activation(name or "linear", name=layer_name)


def _norm_layer(norm: str | None, name: str | None) -> keras.layers.Layer | None:
    if norm is None:
        return None
    if norm == "batch":
        return layers.BatchNormalization(name=name)
    if norm == "layer":
        return layers.LayerNormalization(name=name)
    raise ValueError(f"norm must be None, 'batch' or 'layer', got {norm!r}")


def _block(conv_cls: type, kind: str, x: Any, filters: int, kernel_size: int, strides: int,
           activation: str | None, norm: str | None, name: str | None) -> Any:
    """(Transposed) convolution -> optional norm -> activation, layers named
    ``{name}_{kind}``, ``{name}_norm``, ``{name}_act``."""
    def sub(suffix: str) -> str | None:
        return f"{name}_{suffix}" if name else None

    x = conv_cls(filters, kernel_size, strides=strides, padding="same", name=sub(kind))(x)
    norm_layer = _norm_layer(norm, sub("norm"))
    if norm_layer is not None:
        x = norm_layer(x)
    return activation_layer(activation, sub("act"))(x)


def conv_block(x: Any, filters: int, kernel_size: int = 4, strides: int = 2,
               activation: str | None = "leaky_relu", norm: str | None = None,
               name: str | None = None) -> Any:
    """Conv2D (``same`` padding) -> optional norm -> activation.

    With ``strides=2`` the height and width halve (rounded up).

    Args:
        x: functional-API tensor ``(batch, h, w, c)``.
        filters: output channels.
        kernel_size, strides: of the convolution.
        activation: activation name (``"leaky_relu"``, ``"relu"``, ... or None).
        norm: None, ``"batch"`` or ``"layer"``.
        name: prefix for the layer names.
    """
    return _block(layers.Conv2D, "conv", x, filters, kernel_size, strides, activation,
                  norm, name)


def deconv_block(x: Any, filters: int, kernel_size: int = 4, strides: int = 2,
                 activation: str | None = "leaky_relu", norm: str | None = None,
                 name: str | None = None) -> Any:
    """Conv2DTranspose (``same`` padding) -> optional norm -> activation.

    With ``strides=2`` the height and width double.  Arguments as
    ``conv_block``.
    """
    return _block(layers.Conv2DTranspose, "deconv", x, filters, kernel_size, strides,
                  activation, norm, name)


class TrackedConditionalModel:
    """What the series' generative models share, mixed into ``keras.Model``.

    The subclass sets ``trackers`` (loss name -> ``keras.metrics.Mean``) and
    ``n_classes`` (0, or the number of kinds it is conditioned on).
    """

    @property
    def metrics(self) -> list:
        # Listing the trackers here lets Keras reset them at each epoch.
        return list(self.trackers.values())  # type: ignore[attr-defined]

    @property
    def conditional(self) -> bool:
        """True when the model is conditioned on a one-hot kind."""
        return self.n_classes > 0  # type: ignore[attr-defined]

    def _with_label(self, x: Any, onehot: Any) -> Any:
        """A part's input: ``x`` alone, or ``[x, onehot]`` when conditional."""
        return [x, onehot] if self.n_classes else x  # type: ignore[attr-defined]


@keras.saving.register_keras_serializable(package="beeutils")
class CompressedComplexToWave(keras.layers.Layer):
    """The waveform of a compressed complex spectrogram, inside the graph.

    The TensorFlow twin of ``RealImagRepresentation.decode_batch``: undo the
    per-frequency scale and the power law, put the cropped bins back as
    zeros and run the inverse STFT.  A loss on this waveform (or on STFTs of
    it at other resolutions) judges the decoder's real/imaginary output by
    the sound it makes, so a phase that differs from the target's costs only
    as much as it changes the sound.

    Args:
        stft: the ``STFTConfig`` fields (``dataclasses.asdict``).
        alpha: the representation's power-law exponent.
        scale: its fitted per-frequency scales ``(freq,)``.
        n_samples: samples per output clip.

    Call arguments:
        arrays: ``(batch, freq, time, 2)`` compressed real and imaginary parts.

    Returns:
        float32 waveforms ``(batch, n_samples)``.
    """

    def __init__(self, stft: dict, alpha: float, scale: Sequence[float], n_samples: int,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        from beeutils.dsp.spectral import STFTConfig

        self.stft = dict(stft)
        self.config = STFTConfig(**self.stft)
        self.alpha = float(alpha)
        self.scale = [float(s) for s in scale]
        self.n_samples = int(n_samples)

    def spectrogram(self, arrays: Any) -> Any:
        """The complex STFT the arrays stand for, complex64 ``(batch, freq,
        time)`` over the model's bins only."""
        import tensorflow as tf

        scale = tf.constant(self.scale, tf.float32)[:, None]
        re, im = arrays[..., 0] * scale, arrays[..., 1] * scale
        # |X| = |Y|^(1/alpha): multiply Y by |Y|^(1/alpha - 1), written as a
        # power of |Y|^2 (+ tiny) so that the gradient is finite at Y = 0.
        gain = tf.pow(re * re + im * im + 1e-12, 0.5 * (1.0 / self.alpha - 1.0))
        return tf.complex(re * gain, im * gain)

    def round_trip(self, arrays: Any) -> tuple[Any, Any]:
        """``(X, STFT(iSTFT(X)))`` for ``X = spectrogram(arrays)``, both
        complex64 ``(batch, freq, time)`` on the model's bins and frames: the
        STFT the decoder drew, and the STFT of the sound it makes."""
        from beeutils.dsp.spectral import tf_stft

        spec = self.spectrogram(arrays)
        heard = tf_stft(self._wave(spec), self.config)
        return spec, heard[..., : int(spec.shape[-2]), : int(spec.shape[-1])]

    def _wave(self, spec: Any) -> Any:
        import tensorflow as tf

        from beeutils.dsp.spectral import tf_istft

        missing = self.config.n_bins - int(spec.shape[-2])
        spec = tf.pad(spec, [[0, 0], [0, missing], [0, 0]])
        return tf_istft(spec, self.config, length=self.n_samples)

    def call(self, arrays: Any) -> Any:
        return self._wave(self.spectrogram(arrays))

    def compute_output_shape(self, input_shape: Sequence[Any]) -> tuple:
        return (input_shape[0], self.n_samples)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"stft": self.stft, "alpha": self.alpha, "scale": self.scale,
                       "n_samples": self.n_samples})
        return config
