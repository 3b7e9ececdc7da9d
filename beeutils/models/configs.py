"""What a model is made of, as frozen dataclasses that a model file carries.

A trained model is useless without the settings that built it.  Each network
has one configuration class, and ``ModelConfig`` ties an approach to its STFT
settings, its network configuration and whether it is conditioned on kind.
All of them turn into plain JSON (``to_dict``) and back (``from_dict``), so
the description saved beside a ``.keras`` file rebuilds them exactly.

The module imports neither TensorFlow nor Keras: a description can be read,
checked and printed without loading a framework.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from beeutils.dsp.spectral import WIDEBAND, STFTConfig

__all__ = ["VAEGANConfig", "OscillatorConfig", "ModelConfig", "APPROACHES",
           "REPRESENTATION_OF", "NETWORK_CONFIG_OF", "DEFAULT_NETWORK_CHANGES",
           "DEFAULT_REPRESENTATION_OPTIONS", "TRAINING_BATCH_SIZE", "default_network",
           "network_with", "parse_change"]

#: The approaches, in the order the series introduces them.
APPROACHES = ("magnitude", "real_imag", "logmag_if", "oscillator")
#: What each approach's encoder reads (``beeutils.dsp.representations`` names).
#: The oscillator bank reads magnitudes and writes audio.
REPRESENTATION_OF = {"magnitude": "magnitude", "real_imag": "real_imag",
                     "logmag_if": "logmag_if", "oscillator": "magnitude"}
#: Clips per training step, by approach: the default of the benchmark and of
#: ``python -m beeutils.train``.  On two CPU cores a spectrogram-model clip
#: costs about the same in a batch of 4 as in one of 32, so the same epochs
#: buy eight times the updates, and on the validation split the magnitude
#: model's Frechet ratio fell with each smaller batch (results/README.md, "More,
#: smaller steps").  ``logmag_if`` gains from them only with its ``tanh`` output (seed
#: 0, validation split, Frechet ratio: linear output 7.21 in batches of 32,
#: 7.25 of 4; ``tanh`` 6.87 of 32, 5.42 of 4; results/README.md, "A decoder that
#: draws lines").  The others keep 32: a ``real_imag`` clip cost 1.7x the time in
#: batches of 4 (11.9 against 20.7 clips/s), and the oscillator bank was
#: slower and no better.
TRAINING_BATCH_SIZE = {"magnitude": 4, "real_imag": 32, "logmag_if": 4, "oscillator": 32}


def _tuples(value: Any) -> Any:
    """JSON lists back to the tuples a frozen dataclass holds."""
    return tuple(value) if isinstance(value, list) else value


class _Serialisable:
    """``to_dict`` / ``from_dict`` / ``replace`` for a flat frozen dataclass."""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v)
                for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Any:
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(f"{cls.__name__} has no field(s) {unknown}")
        return cls(**{k: _tuples(v) for k, v in values.items()})

    def replace(self, **changes: Any) -> Any:
        """A copy with ``changes`` (the dataclass is frozen)."""
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


@dataclasses.dataclass(frozen=True)
class VAEGANConfig(_Serialisable):
    """The spectrogram VAE-GAN (``beeutils.models.vaegan.build_vaegan``).

    Attributes:
        latent_dim: size of ``z``.
        widths: decoder conv widths listed from the input side (the decoder
            uses them in reverse); each stride-2 block doubles the grid, so 4
            widths take 8 x 8 back to 128 x 128.  The decoder runs twice per
            step at full resolution, hence the narrow high-resolution layers.
        encoder_widths: encoder conv widths (``None``: ``widths``).
        disc_widths: discriminator conv widths.
        dense_units: encoder hidden layer.
        output_activation: decoder output, ``"tanh"`` or ``None`` (linear);
            ``"auto"`` follows the representation's value range.
        feature_block: discriminator block whose output is the feature space.
        kl_weight, pixel_weight, feature_weight, gamma, gan_weight: loss
            weights (``beeutils.models.vaegan.VAEGAN``).
        modulation_weight: weight of ``losses.modulation_distance``
            between input and reconstruction: each bin's rise and fall over
            time at the rates of the input, wherever in time they fall;
            0 leaves it out.
        waveform_weight: weight of the multi-resolution STFT loss on the audio
            of the reconstruction (representations with an exact inverse in
            the graph: ``real_imag``); 0 leaves it out.
        waveform_fft_overlap: window overlap of that loss's STFTs (hop =
            ``n_fft * (1 - overlap)``): its cost grows as ``1 / (1 -
            overlap)``, as the oscillator bank's ``fft_overlap`` does.
        log_magnitude_weight: weight of the L1 distance of log magnitudes of
            the decoder's real/imaginary output (``real_imag``); 0 leaves it
            out.
        consistency_weight: weight of ``losses.spectral_inconsistency`` of
            the decoder's real/imaginary output, for reconstructions and prior
            samples (``real_imag``): how far each drawn STFT is from the STFT
            of its own sound; 0 leaves it out.
        aux_weight: models conditioned on kind only: weight of the
            auxiliary kind classifier on the discriminator (AC-GAN): the
            discriminator learns to tell the kinds of real clips apart, and
            the decoder to make clips it reads as the kind asked for.
        feature_reduction: ``"sum"`` or ``"mean"`` over feature axes.
        log_var_clamp: ``z_log_var`` is clipped into ``[-c, c]``.
        learning_rate: Adam (beta_1 = 0.5) for encoder and decoder.
        disc_learning_rate: Adam for the discriminator; a tenth of the others,
            since a discriminator that wins outright teaches the decoder nothing.
        ema_momentum: above 0, the encoder's and decoder's optimisers keep
            an exponential moving average of the weights (this momentum per
            step), and the model ends training with the average in place
            (Polyak averaging, as GAN generators often are); 0 leaves it
            out.
    """

    latent_dim: int = 32
    widths: tuple[int, ...] = (8, 16, 32, 64)
    encoder_widths: tuple[int, ...] | None = (16, 32, 64, 128)
    disc_widths: tuple[int, ...] = (16, 32, 64)
    dense_units: int = 256
    output_activation: str | None = "auto"
    feature_block: int = -1
    kl_weight: float = 1.0
    pixel_weight: float = 1.0
    modulation_weight: float = 0.0
    feature_weight: float = 1.0
    feature_reduction: str = "sum"
    gamma: float = 1.0
    gan_weight: float = 1.0
    waveform_weight: float = 0.0
    waveform_fft_overlap: float = 0.75
    log_magnitude_weight: float = 0.0
    consistency_weight: float = 0.0
    aux_weight: float = 1.0
    log_var_clamp: float = 10.0
    learning_rate: float = 1e-3
    disc_learning_rate: float = 1e-4
    ema_momentum: float = 0.0

    def build(self, input_shape: tuple[int, ...], representation: Any, n_samples: int,
              n_classes: int = 0, seed: int | None = None) -> Any:
        """The compiled ``VAEGAN`` for ``representation``'s arrays."""
        from beeutils.models.vaegan import build_vaegan

        waveform = None
        if self.waveform_weight or self.consistency_weight:
            if representation.name != "real_imag":
                raise ValueError(f"waveform_weight and consistency_weight need the real_imag "
                                 f"representation, not {representation.name}")
            import dataclasses

            from beeutils.models.layers import CompressedComplexToWave

            waveform = CompressedComplexToWave(dataclasses.asdict(representation.config),
                                               representation.alpha,
                                               representation.scale.tolist(), n_samples)
        return build_vaegan(input_shape, self, n_classes, representation.output_activation,
                            seed=seed, name=f"{representation.name}_vaegan",
                            waveform=waveform)


@dataclasses.dataclass(frozen=True)
class OscillatorConfig(_Serialisable):
    """The oscillator-bank VAE (``beeutils.models.oscillator_model``).

    Attributes:
        latent_dim: size of ``z``.
        hop: samples per control frame.
        n_harmonics: oscillators in the bank (24 reach 2 kHz from an f0 of
            83 Hz).
        n_noise_bands: noise filter bands from 0 Hz to Nyquist.
        max_hz: top of the band produced, Hz (``None``: the top of the
            STFT crop the encoder reads, the band the model is measured in).
        encoder_widths, dense_units: the encoder (``vaegan.build_encoder``).
        decoder_width, f0_width: channels of the control and f0 decoders.
        control_frames: the control decoder's coarse time grid, frames per
            clip before upsampling to the control frames: how fine a
            loudness contour the code can ask for directly.  At 16 (128 ms
            per frame for 2.048 s, as long as a whole quack pulse) the
            pulses of a quack blurred into one tone; at 128 (16 ms) the
            model kept them and its quacks were judged quacks (notebook 09
            counts the pulses).
        kl_weight: KL weight (nats) against the spectral loss: small, so the
            code carries detail.
        f0_weight: weight of the f0 loss (octaves).
        f0_quiet_db: the loudness gate of the f0 contour the bank learns and
            follows (``oscillator_model.f0_contour``): frames this far under
            the clip's loudest are unvoiced and the contour is carried
            across them (dB).
        learning_rate: Adam.
        fft_sizes: resolutions of the multi-resolution STFT loss.
        fft_overlap: their window overlap (hop = ``n_fft * (1 - overlap)``).
            The loss is most of a training step's cost, in proportion to
            ``1 / (1 - overlap)``: at 0.5 a step took 0.6 of its time at
            DDSP's 0.75, for a little less progress per step and more per
            minute.
        gan_weight, feature_weight: the adversarial second stage's weights of
            the generator's GAN loss and of discriminator-feature matching
            against the spectral loss (``OscillatorVAE``).
    """

    latent_dim: int = 32
    hop: int = 128
    n_harmonics: int = 24
    n_noise_bands: int = 65
    max_hz: float | None = None
    encoder_widths: tuple[int, ...] = (16, 32, 64, 128)
    dense_units: int = 256
    decoder_width: int = 96
    f0_width: int = 32
    control_frames: int = 128
    kl_weight: float = 1e-3
    f0_weight: float = 1.0
    f0_quiet_db: float = -12.0
    learning_rate: float = 1e-3
    fft_sizes: tuple[int, ...] = (2048, 1024, 512, 256, 128, 64)
    fft_overlap: float = 0.5
    gan_weight: float = 0.1
    feature_weight: float = 1.0

    def build(self, input_shape: tuple[int, ...], representation: Any, n_samples: int,
              n_classes: int = 0, seed: int | None = None) -> Any:
        """The compiled ``OscillatorVAE``; its encoder reads ``representation``."""
        from beeutils.models.oscillator_model import build_oscillator_vae

        config = self
        if self.max_hz is None:  # the band the encoder sees is the band it writes
            config = self.replace(max_hz=representation.config.band_top_hz)
        return build_oscillator_vae(input_shape, config, n_samples, representation.config.sr,
                                    n_classes, seed)


#: The network configuration class of each approach.
NETWORK_CONFIG_OF = {"magnitude": VAEGANConfig, "real_imag": VAEGANConfig,
                     "logmag_if": VAEGANConfig, "oscillator": OscillatorConfig}


def default_network(approach: str) -> VAEGANConfig | OscillatorConfig:
    """The network settings an approach starts from.

    ``real_imag`` is judged by the sound of its output (a multi-resolution
    STFT loss on the inverse STFT, weight 100) with a small squared error on
    the parts (0.01): the squared error alone regresses every bin to zero,
    which is silence.  A small L1 distance of log magnitudes (0.01) keeps a
    pull away from silence where the STFT loss has none: on quiet real hive
    recordings a model without it went silent on one split of three, its
    STFT loss flat from the first epoch (results/README.md, "The first run, and a
    complex model that stays audible").
    ``magnitude`` adds a loss on each bin's rise and fall
    (``modulation_weight`` 0.01): a squared error per bin and frame blurs
    pulses in time, and the term lowered the Frechet ratio and the kind-share
    gap in every seed (results/README.md, "A loss on each bin's rise and
    fall").  ``logmag_if`` adds it too: with its ``tanh`` output and its
    samples rendered with the texture, the term lowered the validation
    split's Frechet ratio in each of 3 seeds, and NDB/K and the kind-share
    gap with it, for 0.8 dB of consistency (results/README.md, "The loss on
    each bin's rise and fall, for logmag_if").  The oscillator takes its
    class's defaults.
    """
    return NETWORK_CONFIG_OF[approach](**DEFAULT_NETWORK_CHANGES.get(approach, {}))


def network_with(approach: str, changes: dict[str, Any] | None = None) -> Any:
    """``approach``'s default network with ``changes`` ``{field: value}``
    (JSON values: lists become tuples).

    Raises:
        ValueError: an unknown approach or field.
    """
    if approach not in NETWORK_CONFIG_OF:
        raise ValueError(f"unknown approach {approach!r}; choose from {', '.join(APPROACHES)}")
    network = default_network(approach)
    return type(network).from_dict({**network.to_dict(), **changes}) if changes else network


def parse_change(text: str) -> tuple[str, Any]:
    """``"FIELD=VALUE"``, the value in JSON, -> ``(field, value)``: how the
    command lines take a change to a network (``--network``).

    Raises:
        ValueError: no ``=``, no field, or a value that is not JSON.
    """
    field, sep, value = text.partition("=")
    try:
        if sep and field.strip():
            return field.strip(), json.loads(value)
    except json.JSONDecodeError:
        pass
    raise ValueError(f"expected FIELD=VALUE with the value in JSON (0.01, [16, 32, 64], "
                     f"null), got {text!r}")


#: Where an approach's default network differs from its class's defaults.
DEFAULT_NETWORK_CHANGES: dict[str, dict[str, Any]] = {
    "magnitude": {"modulation_weight": 0.01},
    "logmag_if": {"modulation_weight": 0.01},
    "real_imag": {"waveform_weight": 100.0, "pixel_weight": 0.01, "log_magnitude_weight": 0.01},
}


#: Where an approach's representation differs from its class's defaults.
#: Both complex models decode with 32 fast Griffin-Lim iterations started
#: from the phase they drew: a decoder's magnitudes and phase need not be
#: the STFT of any signal, and the plain inverse STFT then drifts from the
#: magnitudes drawn (notebook 07, section 2, and the benchmark's
#: consistency row).
DEFAULT_REPRESENTATION_OPTIONS: dict[str, dict[str, Any]] = {
    "real_imag": {"refine_iter": 32},
    "logmag_if": {"refine_iter": 32},
}


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """One model: which approach, on which STFT grid, with which network.

    Attributes:
        approach: one of ``APPROACHES``.
        stft: the STFT settings and crop the model reads (and writes);
            ``spectral.WIDEBAND`` (0-8 kHz, every kind inside) by default.
        network: the approach's network configuration (default: its class's
            defaults).
        conditional: condition encoder, decoder (and discriminator) on kind.
        representation_options: keyword arguments of the representation
            class beyond its STFT settings, e.g. ``{"refine_iter": 0}`` for
            a complex model's plain inverse STFT (default: the approach's
            ``DEFAULT_REPRESENTATION_OPTIONS``).
    """

    approach: str = "magnitude"
    stft: STFTConfig = WIDEBAND
    network: VAEGANConfig | OscillatorConfig | None = None
    conditional: bool = False
    representation_options: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.approach not in APPROACHES:
            raise ValueError(f"unknown approach {self.approach!r}; choose one of "
                             f"{', '.join(APPROACHES)}")
        expected = NETWORK_CONFIG_OF[self.approach]
        if self.network is None:
            object.__setattr__(self, "network", default_network(self.approach))
        elif not isinstance(self.network, expected):
            raise TypeError(f"the {self.approach} approach takes a {expected.__name__}, "
                            f"got {type(self.network).__name__}")
        if self.representation_options is None:
            object.__setattr__(self, "representation_options", dict(
                DEFAULT_REPRESENTATION_OPTIONS.get(self.approach, {})))

    @property
    def representation(self) -> str:
        """Name of the representation the encoder reads."""
        return REPRESENTATION_OF[self.approach]

    def replace(self, **changes: Any) -> "ModelConfig":
        """A copy with ``changes``."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {"approach": self.approach, "stft": dataclasses.asdict(self.stft),
                "network": self.network.to_dict(),  # type: ignore[union-attr]
                "conditional": bool(self.conditional),
                "representation_options": dict(self.representation_options or {})}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "ModelConfig":
        """Inverse of ``to_dict``.

        Raises:
            ValueError: unknown approach or field.
        """
        approach = values["approach"]
        if approach not in APPROACHES:
            raise ValueError(f"unknown approach {approach!r}")
        return cls(approach=approach, stft=STFTConfig(**values["stft"]),
                   network=NETWORK_CONFIG_OF[approach].from_dict(values["network"]),
                   conditional=bool(values.get("conditional", False)),
                   representation_options=values.get("representation_options"))
