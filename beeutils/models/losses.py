"""Loss functions of the VAE-GAN and the spectral losses, as pure functions.

All functions take tensors (or NumPy arrays) and return a scalar tensor; they
use ``keras.ops`` so they run inside a ``train_step`` and under
``tf.function``.  Conventions:

- a *batch* is the first axis; per-example terms are summed over every other
  axis (pixels, latent dimensions) and then averaged over the batch, as in the
  keras.io MNIST VAE, so that the terms keep a fixed relative scale;
- GAN losses take discriminator *logits* by default.  ``from_logits=False``
  takes ``log`` of ``sigmoid`` probabilities instead, without clipping unless
  ``prob_clip`` is given: the naive form, which gives ``log(0) = -inf`` as soon
  as the discriminator saturates (notebook 04 shows this).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


from keras import ops

__all__ = [
    "kl_divergence",
    "feature_matching",
    "gan_discriminator_loss",
    "gan_generator_loss",
    "kind_crossentropy",
    "binary_crossentropy_pixels",
    "mse_pixels",
    "modulation_distance",
    "multi_resolution_stft_loss",
]


def _per_example_sum(x: Any) -> Any:
    """Sum over every axis but the first: ``(batch, ...) -> (batch,)``."""
    x = ops.convert_to_tensor(x)
    if len(x.shape) <= 1:
        return x
    return ops.sum(x, axis=tuple(range(1, len(x.shape))))


def kl_divergence(z_mean: Any, z_log_var: Any,
                  clamp: float | tuple[float, float] | None = None) -> Any:
    """KL divergence ``KL(N(mu, sigma^2) || N(0, 1))``, summed over the latent
    dimensions and averaged over the batch.

    ``-0.5 * sum(1 + log_var - mu^2 - exp(log_var))``.

    Args:
        z_mean: ``(batch, latent_dim)`` posterior means.
        z_log_var: ``(batch, latent_dim)`` posterior log-variances.
        clamp: clip ``log_var`` into ``[-clamp, clamp]`` (or ``(low, high)``)
            before ``exp``.  ``None`` is the naive form: ``exp`` overflows
            float32 to ``inf`` once ``log_var`` exceeds about 88.7.

    Returns:
        Scalar, in nats per example (0 when ``mu = 0`` and ``log_var = 0``).
    """
    z_mean = ops.convert_to_tensor(z_mean, dtype="float32")
    z_log_var = ops.convert_to_tensor(z_log_var, dtype="float32")
    if clamp is not None:
        low, high = (-float(clamp), float(clamp)) if not isinstance(clamp, (tuple, list)) \
            else (float(clamp[0]), float(clamp[1]))
        z_log_var = ops.clip(z_log_var, low, high)
    kl = -0.5 * (1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
    return ops.mean(_per_example_sum(kl))


def feature_matching(real_feats: Any, fake_feats: Any, reduction: str = "mean") -> Any:
    """Squared error between discriminator features of real and reconstructed
    inputs: Larsen et al.'s learned similarity (a Gaussian likelihood on a
    hidden layer of the discriminator).

    Args:
        real_feats, fake_feats: same shape ``(batch, ...)``.
        reduction: ``"mean"`` (mean squared error over every element) or
            ``"sum"`` (summed over the feature axes, averaged over the batch,
            the scale of a Gaussian log-likelihood, comparable to a KL summed
            over latent dimensions).

    Returns:
        Scalar.
    """
    sq = ops.square(ops.convert_to_tensor(real_feats) - ops.convert_to_tensor(fake_feats))
    if reduction == "mean":
        return ops.mean(sq)
    if reduction == "sum":
        return ops.mean(_per_example_sum(sq))
    raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")


def _as_list(logits: Any) -> list:
    return list(logits) if isinstance(logits, (list, tuple)) else [logits]


def _neg_log_sigmoid(logits: Any, from_logits: bool, prob_clip: float | None) -> Any:
    """``-log(sigmoid(logits))`` per element, stable or naive."""
    logits = ops.convert_to_tensor(logits, dtype="float32")
    if from_logits:
        # softplus(-l) == -log(sigmoid(l)), exact and finite for every logit.
        return ops.softplus(-logits)
    p = ops.sigmoid(logits)
    if prob_clip is not None:
        p = ops.clip(p, prob_clip, 1.0 - prob_clip)
    return -ops.log(p)


def _neg_log_one_minus_sigmoid(logits: Any, from_logits: bool,
                               prob_clip: float | None) -> Any:
    """``-log(1 - sigmoid(logits))`` per element, stable or naive."""
    logits = ops.convert_to_tensor(logits, dtype="float32")
    if from_logits:
        return ops.softplus(logits)
    p = ops.sigmoid(logits)
    if prob_clip is not None:
        p = ops.clip(p, prob_clip, 1.0 - prob_clip)
    return -ops.log(1.0 - p)


def gan_discriminator_loss(real_logits: Any, fake_logits_list: Any | Sequence[Any],
                           from_logits: bool = True,
                           prob_clip: float | None = None) -> Any:
    """Discriminator loss: binary cross-entropy with real = 1, fake = 0.

    ``mean(-log D(x)) + sum_k mean(-log(1 - D(fake_k)))``: in the VAE-GAN both
    reconstructions and decoded prior samples are fakes (Larsen et al. 2016).

    Args:
        real_logits: ``(batch, 1)`` logits on real inputs.
        fake_logits_list: one tensor or a list of tensors of fake logits.
        from_logits: True for the stable softplus form; False takes ``log`` of
            ``sigmoid`` probabilities (naive: ``inf`` once D saturates).
        prob_clip: with ``from_logits=False``, clip probabilities into
            ``[prob_clip, 1 - prob_clip]`` first (the fix in Larsen's code).

    Returns:
        Scalar, in nats.
    """
    loss = ops.mean(_neg_log_sigmoid(real_logits, from_logits, prob_clip))
    for fake in _as_list(fake_logits_list):
        loss = loss + ops.mean(_neg_log_one_minus_sigmoid(fake, from_logits, prob_clip))
    return loss


def gan_generator_loss(fake_logits: Any | Sequence[Any], from_logits: bool = True,
                       prob_clip: float | None = None) -> Any:
    """Non-saturating generator loss ``sum_k mean(-log D(fake_k))``.

    Goodfellow et al.'s alternative to minimising ``log(1 - D)``: strong
    gradients while the discriminator still wins.

    Args:
        fake_logits: one tensor or a list of tensors of logits on fakes.
        from_logits, prob_clip: as ``gan_discriminator_loss``.

    Returns:
        Scalar, in nats (``log 2`` per fake when ``D = 0.5``).
    """
    loss = 0.0
    for fake in _as_list(fake_logits):
        loss = loss + ops.mean(_neg_log_sigmoid(fake, from_logits, prob_clip))
    return loss


def binary_crossentropy_pixels(x: Any, p: Any, eps: float = 1e-7) -> Any:
    """Binary cross-entropy summed over pixels, averaged over the batch.

    ``-(x log(p + eps) + (1 - x) log(1 - p + eps))``, the keras.io MNIST VAE's
    reconstruction term.  It assumes targets ``x`` in ``[0, 1]``; with targets
    above 1 the ``(1 - x)`` factor turns negative and the loss is unbounded
    below (the first cause of the naive spectrogram port's divergence).

    Args:
        x: targets ``(batch, ...)``.
        p: predicted probabilities, same shape (sigmoid outputs).
        eps: keeps ``log`` finite at ``p = 0`` or ``p = 1``.

    Returns:
        Scalar, in nats per example.
    """
    x = ops.convert_to_tensor(x, dtype="float32")
    p = ops.convert_to_tensor(p, dtype="float32")
    bce = -(x * ops.log(p + eps) + (1.0 - x) * ops.log(1.0 - p + eps))
    return ops.mean(_per_example_sum(bce))


def mse_pixels(x: Any, y: Any, reduction: str = "sum") -> Any:
    """Squared error between images.

    Args:
        x, y: ``(batch, ...)``.
        reduction: ``"sum"`` (summed over pixels, averaged over the batch, the
            same scale as ``binary_crossentropy_pixels``) or ``"mean"``
            (plain mean squared error).

    Returns:
        Scalar.
    """
    sq = ops.square(ops.convert_to_tensor(x, dtype="float32")
                    - ops.convert_to_tensor(y, dtype="float32"))
    if reduction == "sum":
        return ops.mean(_per_example_sum(sq))
    if reduction == "mean":
        return ops.mean(sq)
    raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")


def modulation_distance(x: Any, y: Any, eps: float = 1e-2) -> Any:
    """L1 distance of log modulation spectra between two spectrogram arrays.

    Each frequency bin's level over time (channel 0, less its mean over
    time) goes through a real FFT over time; the magnitudes of the result say
    how strongly, and at which rates, that bin rises and falls, but not
    when.  A squared error per pixel asks for the time of every pulse and,
    when the code cannot say it, pays least for a level that never moves;
    this distance asks for the pulses' rates and depth instead.

    Args:
        x, y: ``(batch, freq, time, channels)``; channel 0 is a level per
            bin and frame (the normalised log magnitude).
        eps: floor added to the modulation magnitudes, in the same units.

    Returns:
        Scalar: ``|log(|M_x| + eps) - log(|M_y| + eps)|`` summed over bins
        and modulation rates, mean over the batch.
    """
    def log_modulation(a: Any) -> Any:
        level = ops.convert_to_tensor(a, dtype="float32")[..., 0]
        real, imag = ops.rfft(level - ops.mean(level, axis=-1, keepdims=True))
        return ops.log(_safe_sqrt(ops.square(real) + ops.square(imag)) + eps)

    return ops.mean(_per_example_sum(ops.abs(log_modulation(x) - log_modulation(y))))


def complex_log_magnitude_distance(x: Any, y: Any, eps: float = 1e-3) -> Any:
    """L1 distance of log magnitudes between two real/imaginary arrays.

    ``|log(|x| + eps) - log(|y| + eps)|`` summed over bins and frames, mean
    over the batch.  The phase of each bin does not enter: a decoder can
    match it without predicting the exact phase of a jittering partial,
    which a squared error on the parts would demand.

    Args:
        x, y: ``(batch, freq, time, 2)`` real and imaginary parts (scaled, as
            the representation feeds the model).
        eps: floor added to the magnitudes, in the same units.

    Returns:
        Scalar.
    """
    def log_mag(a: Any) -> Any:
        a = ops.convert_to_tensor(a, dtype="float32")
        return ops.log(_safe_sqrt(ops.sum(ops.square(a), axis=-1)) + eps)

    return ops.mean(_per_example_sum(ops.abs(log_mag(x) - log_mag(y))))


def spectral_inconsistency(drawn: Any, heard: Any, eps: float = 1e-7) -> Any:
    """How far a drawn complex STFT is from the STFT of the sound it makes.

    A grid of complex numbers is the STFT of some signal only if its
    overlapping frames agree; the inverse STFT averages frames that do not,
    and the sound then has other magnitudes than the ones drawn.  This is
    ``||X - STFT(iSTFT(X))|| / ||X||`` (Frobenius norms over frequency and
    time), mean over the batch: 0 for a consistent ``X``.

    Args:
        drawn, heard: complex ``(batch, freq, time)``: ``X`` and
            ``STFT(iSTFT(X))`` on the same bins and frames
            (``layers.CompressedComplexToWave.round_trip``).
        eps: keeps the ratio finite for a silent ``X``.

    Returns:
        Scalar float32.
    """
    import tensorflow as tf

    def energy(spec: Any) -> Any:
        return tf.reduce_sum(tf.math.real(spec * tf.math.conj(spec)), axis=[-2, -1])

    ratio = (energy(drawn - heard) + eps) / (energy(drawn) + eps)
    return tf.reduce_mean(tf.sqrt(ratio))


def _safe_sqrt(x: Any) -> Any:
    """``sqrt`` whose gradient is 0 (not ``inf``/NaN) where ``x == 0``."""
    import tensorflow as tf

    positive = x > 0
    safe_x = tf.where(positive, x, tf.ones_like(x))
    return tf.where(positive, tf.sqrt(safe_x), tf.zeros_like(x))


def multi_resolution_stft_loss(
    y_true: Any,
    y_pred: Any,
    fft_sizes: Sequence[int] = (2048, 1024, 512, 256, 128, 64),
    overlap: float = 0.75,
    eps: float = 1e-8,
    window: str = "hann",
) -> Any:
    """Multi-resolution STFT distance between waveforms.

    For each FFT size: spectral convergence ``||S - S'||_F / ||S||_F`` plus the
    mean absolute difference of log magnitudes; the result is averaged over
    the resolutions and the batch.  Magnitudes are ``sqrt(re^2 + im^2 + eps)``
    so that ``log`` and the gradient stay finite on silent frames.

    Args:
        y_true, y_pred: waveforms ``(batch, samples)`` or ``(samples,)``.
        fft_sizes: FFT (= window) sizes in samples.
        overlap: window overlap; hop = ``n_fft * (1 - overlap)``.
        eps: added to the squared magnitude.
        window: window name (see ``beeutils.dsp.spectral.WINDOWS``).

    Returns:
        Scalar (0 for identical signals).
    """
    import tensorflow as tf

    from beeutils.dsp import spectral

    y_true = tf.convert_to_tensor(y_true, dtype=tf.float32)
    y_pred = tf.convert_to_tensor(y_pred, dtype=tf.float32)
    if y_true.shape.rank == 1:
        y_true, y_pred = y_true[None], y_pred[None]
    if not 0.0 <= overlap < 1.0:
        raise ValueError(f"overlap must be in [0, 1), got {overlap}")
    total = 0.0
    for n_fft in fft_sizes:
        hop = max(1, int(round(n_fft * (1.0 - overlap))))
        cfg = spectral.STFTConfig(n_fft=int(n_fft), hop=hop, window=window,
                                  n_freq_keep=None, n_frames=None)
        # Sums and means over both axes: tf.signal's own (time, freq) layout
        # spares a transpose of each STFT and of its gradient.
        mag_t = spectral.magnitude(spectral.tf_stft_time_major(y_true, cfg), eps)
        mag_p = spectral.magnitude(spectral.tf_stft_time_major(y_pred, cfg), eps)
        diff_energy = tf.reduce_sum(tf.square(mag_t - mag_p), axis=[-2, -1])
        true_energy = tf.reduce_sum(tf.square(mag_t), axis=[-2, -1])
        sc = _safe_sqrt(diff_energy) / tf.sqrt(true_energy)  # true_energy >= eps > 0
        log_l1 = tf.reduce_mean(tf.abs(tf.math.log(mag_t) - tf.math.log(mag_p)), axis=[-2, -1])
        total = total + tf.reduce_mean(sc + log_l1)
    return total / float(len(fft_sizes))


def kind_crossentropy(kind_logits: Any, onehot: Any) -> Any:
    """Categorical cross-entropy of kind logits against one-hot kinds.

    The auxiliary-classifier term of an AC-GAN (Odena et al. 2017; GANSynth
    conditions on pitch this way): stable from logits (log-softmax).

    Args:
        kind_logits: ``(batch, n_kinds)`` unnormalised scores.
        onehot: ``(batch, n_kinds)`` one-hot kinds.

    Returns:
        Scalar mean over the batch, in nats (``log n_kinds`` at chance).
    """
    onehot = ops.cast(onehot, kind_logits.dtype)
    return ops.mean(-ops.sum(onehot * ops.log_softmax(kind_logits, axis=-1), axis=-1))
