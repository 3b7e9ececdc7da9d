"""Differentiable synthesis in TensorFlow: a harmonic oscillator bank and filtered noise.

The sound-making half of a DDSP-style decoder (Engel et al. 2020, "DDSP:
Differentiable Digital Signal Processing").  A network predicts slow
*controls*, one row per frame; these functions turn them into audio with
ordinary signal processing, every step differentiable:

- ``harmonic_bank``: ``K`` sinusoids at ``f0, 2 f0, ..., K f0``.  The phase
  is integrated from ``f0`` (a glide stays smooth); harmonic ``k`` gets the
  amplitude ``amplitude * distribution[k]``; harmonics at or above the
  Nyquist frequency (or a chosen top frequency) are silenced, then the
  distribution is renormalised over those left;
- ``filtered_noise``: white noise shaped, block by block, by a linear-phase
  FIR filter whose magnitude response the network gives per frame (breath,
  hiss, the broadband part of a buzz);
- ``upsample``: frame-rate controls to sample rate by linear interpolation
  between frame centres, so a control never jumps between samples (a step
  at every frame boundary would be heard as "zipper" noise);
- ``exp_sigmoid``: DDSP's scaled sigmoid ``2 * sigmoid(x)**ln(10) + 1e-7``,
  the positive squashing for amplitudes: its gradient is finite everywhere,
  and it stays positive, so a logarithm of it is always defined.

Timing convention: frame ``t`` of the controls belongs to sample ``t * hop``
(as a centred STFT frame does); past the last frame, controls are held.
Shapes: controls ``(batch, frames, ...)``, audio ``(batch, samples)``.
Everything runs unchanged on a GPU.
"""

from __future__ import annotations

import math
from typing import Any


import numpy as np
import tensorflow as tf

__all__ = ["exp_sigmoid", "upsample", "harmonic_bank", "normalize_harmonics",
           "noise_filter_ir", "filtered_noise", "lowpass"]


def exp_sigmoid(x: Any, exponent: float = 10.0, max_value: float = 2.0,
                threshold: float = 1e-7) -> Any:
    """``max_value * sigmoid(x)**ln(exponent) + threshold``: a positive amplitude.

    Written as ``exp(-ln(exponent) * softplus(-x))``, the same function with
    no ``0**p`` anywhere, so the value and the gradient are finite for every
    ``x``.  At ``x = 0`` it gives ``2 * 0.5**2.3 = 0.41``.
    """
    x = tf.convert_to_tensor(x, dtype=tf.float32)
    return max_value * tf.exp(-math.log(exponent) * tf.nn.softplus(-x)) + threshold


def upsample(frames: Any, n_samples: int, hop: int) -> Any:
    """Frame-rate controls to sample rate by linear interpolation.

    Args:
        frames: ``(batch, n_frames)`` or ``(batch, n_frames, channels)``;
            frame ``t`` holds the value at sample ``t * hop``.
        n_samples: output length; must be at most ``n_frames * hop`` (the
            last frame is held for its hop).
        hop: samples per frame.

    Returns:
        ``(batch, n_samples)`` or ``(batch, n_samples, channels)``, float32.
        Between frame centres the value moves on a straight line: a constant
        control gives a constant signal, a ramp an exact ramp.
    """
    frames = tf.convert_to_tensor(frames, dtype=tf.float32)
    squeeze = len(frames.shape) == 2
    if squeeze:
        frames = frames[..., None]
    n_frames = int(frames.shape[1])
    if n_samples > n_frames * hop:
        raise ValueError(f"{n_frames} frames of hop {hop} cover {n_frames * hop} samples, "
                         f"fewer than n_samples={n_samples}")
    following = tf.concat([frames[:, 1:], frames[:, -1:]], axis=1)  # hold the last frame
    w = tf.constant((np.arange(hop) / hop).astype(np.float32))[None, None, :, None]
    ramps = frames[:, :, None, :] * (1.0 - w) + following[:, :, None, :] * w
    out = tf.reshape(ramps, [-1, n_frames * hop, int(frames.shape[-1])])[:, :n_samples]
    return out[..., 0] if squeeze else out


def normalize_harmonics(distribution: Any, f0_hz: Any, sr: float,
                        max_hz: float | None = None) -> Any:
    """Silence harmonics at or above the top frequency, renormalise the rest.

    Args:
        distribution: ``(batch, frames, K)`` non-negative weights (e.g. a
            softmax).
        f0_hz: ``(batch, frames)`` fundamental per frame.
        sr: sample rate (Hz); the top is ``min(max_hz, sr / 2)``.
        max_hz: optional lower top frequency (e.g. the model's band).

    Returns:
        ``(batch, frames, K)``: each frame sums to 1 over the harmonics kept
        (0 where none is kept).
    """
    distribution = tf.convert_to_tensor(distribution, dtype=tf.float32)
    f0_hz = tf.convert_to_tensor(f0_hz, dtype=tf.float32)
    top = sr / 2.0 if max_hz is None else min(float(max_hz), sr / 2.0)
    k = tf.range(1, int(distribution.shape[-1]) + 1, dtype=tf.float32)
    below = tf.cast(f0_hz[..., None] * k < top, tf.float32)
    kept = distribution * below
    # + 1e-7: a frame with every harmonic silenced gives 0, not 0 / 0.
    return kept / (tf.reduce_sum(kept, axis=-1, keepdims=True) + 1e-7)


def harmonic_bank(f0_hz: Any, amplitude: Any, distribution: Any, n_samples: int, hop: int,
                  sr: float, max_hz: float | None = None, phase0: Any = None) -> Any:
    """A bank of harmonic oscillators driven by frame-rate controls.

    ``sum_k A(t) c_k(t) sin(k * Phi(t) + k * phase0)`` with
    ``Phi(n) = 2 pi sum_{m < n} f0(m) / sr`` (the phase integrated from the
    upsampled fundamental, so it is continuous however f0 moves).

    Args:
        f0_hz: ``(batch, frames)`` fundamental in Hz.
        amplitude: ``(batch, frames)`` overall amplitude ``A`` (linear, >= 0).
        distribution: ``(batch, frames, K)`` harmonic distribution ``c`` (>= 0;
            renormalised by ``normalize_harmonics`` after the harmonics above
            the top frequency are removed).
        n_samples: output length (at most ``frames * hop``).
        hop: samples per frame.
        sr: sample rate in Hz.
        max_hz: silence harmonics at or above this frequency (default
            Nyquist).
        phase0: optional ``(batch,)`` starting phase of the fundamental (rad).

    Returns:
        float32 ``(batch, n_samples)``.
    """
    f0_hz = tf.convert_to_tensor(f0_hz, dtype=tf.float32)
    amplitude = tf.convert_to_tensor(amplitude, dtype=tf.float32)
    dist = normalize_harmonics(distribution, f0_hz, sr, max_hz)
    n_frames, n_harmonics = int(dist.shape[1]), int(dist.shape[-1])
    n_blocks = -(-n_samples // hop)
    if n_blocks > n_frames:
        raise ValueError(f"{n_frames} frames of hop {hop} cover {n_frames * hop} samples, "
                         f"fewer than n_samples={n_samples}")
    f0 = upsample(f0_hz, n_blocks * hop, hop)                            # (b, blocks * hop)
    # Cycles of the fundamental, summed in float64 and wrapped to [0, 1):
    # float32 would lose a hundredth of a cycle after a second of audio.
    cycles = tf.cumsum(tf.cast(f0, tf.float64) / sr, axis=1, exclusive=True)
    cycles = tf.cast(cycles - tf.floor(cycles), tf.float32)
    k = tf.range(1, n_harmonics + 1, dtype=tf.float32)
    harmonic_cycles = cycles[..., None] * k                              # (b, n, K)
    # Wrapping again keeps sin's argument small (accurate in float32).
    phase = 2.0 * math.pi * (harmonic_cycles - tf.floor(harmonic_cycles))
    if phase0 is not None:
        phase = phase + tf.convert_to_tensor(phase0, tf.float32)[:, None, None] * k
    sines = tf.reshape(tf.sin(phase), [-1, n_blocks, hop, n_harmonics])  # (b, blocks, hop, K)
    # Each harmonic's amplitude moves on a straight line from one frame to
    # the next (as ``upsample`` draws it), so the sum over harmonics is a
    # blend of two sums taken with the frame-rate amplitudes at each end of
    # the block: the same sound, without a (b, n, K) tensor of amplitudes.
    amps = amplitude[..., None] * dist                                   # (b, F, K)
    following = tf.concat([amps[:, 1:], amps[:, -1:]], axis=1)          # hold the last frame
    start = tf.einsum("bthk,btk->bth", sines, amps[:, :n_blocks])
    end = tf.einsum("bthk,btk->bth", sines, following[:, :n_blocks])
    w = tf.constant((np.arange(hop) / hop).astype(np.float32))
    return tf.reshape(start * (1.0 - w) + end * w, [-1, n_blocks * hop])[:, :n_samples]


def noise_filter_ir(magnitudes: Any, window: bool = True) -> Any:
    """Linear-phase FIR impulse responses from magnitude responses.

    Args:
        magnitudes: ``(..., B)`` gains at ``B`` frequencies evenly spaced
            from 0 Hz to Nyquist.
        window: taper the response with a Hann window (smooths the frequency
            response; without it the truncation ripples).

    Returns:
        ``(..., 2 (B - 1))`` impulse responses, symmetric about sample
        ``B - 1`` (a delay of ``B - 1`` samples, removed by
        ``filtered_noise``).
    """
    magnitudes = tf.convert_to_tensor(magnitudes, dtype=tf.float32)
    ir = tf.signal.irfft(tf.complex(magnitudes, tf.zeros_like(magnitudes)))  # zero phase
    size = int(ir.shape[-1])
    ir = tf.roll(ir, shift=size // 2, axis=-1)                                # centred
    if window:
        ir = ir * tf.signal.hann_window(size, periodic=True)
    return ir


def filtered_noise(magnitudes: Any, n_samples: int, hop: int, noise: Any = None,
                   seed: Any = None) -> Any:
    """White noise filtered block by block by frame-rate magnitude responses.

    The noise is cut into blocks of ``hop`` samples; block ``t`` (samples
    ``t * hop`` to ``(t + 1) * hop``) is convolved (by FFT) with the FIR of
    the average of frames ``t`` and ``t + 1``, and the blocks' outputs are
    overlap-added, so filter changes blend across block edges.

    Args:
        magnitudes: ``(batch, frames, B)`` linear gains, ``B`` bands evenly
            spaced from 0 Hz to Nyquist.
        n_samples: output length (at most ``frames * hop``).
        hop: samples per frame.
        noise: optional ``(batch, n_blocks * hop)`` white noise to filter
            (``n_blocks = ceil(n_samples / hop)``); default uniform in
            [-1, 1] drawn with ``seed``.
        seed: seed for ``tf.random.stateless_uniform`` (a ``(2,)`` int
            tensor or an int), or None for ``tf.random.uniform``.

    Returns:
        float32 ``(batch, n_samples)``.
    """
    magnitudes = tf.convert_to_tensor(magnitudes, dtype=tf.float32)
    n_frames, n_bands = int(magnitudes.shape[1]), int(magnitudes.shape[2])
    n_blocks = -(-n_samples // hop)
    if n_blocks > n_frames:
        raise ValueError(f"{n_frames} frames of hop {hop} cannot cover {n_samples} samples")
    following = tf.concat([magnitudes[:, 1:], magnitudes[:, -1:]], axis=1)
    block_mags = 0.5 * (magnitudes + following)[:, :n_blocks]           # (b, blocks, B)
    ir = noise_filter_ir(block_mags)                                      # (b, blocks, M)
    ir_size = int(ir.shape[-1])
    batch = tf.shape(magnitudes)[0]
    if noise is None:
        shape = tf.stack([batch, n_blocks * hop])
        if seed is None:
            noise = tf.random.uniform(shape, -1.0, 1.0)
        else:
            seed = tf.convert_to_tensor([int(seed), 0] if isinstance(seed, int) else seed)
            noise = tf.random.stateless_uniform(shape, seed, -1.0, 1.0)
    noise = tf.reshape(tf.convert_to_tensor(noise, tf.float32), [batch, n_blocks, hop])
    fft_size = int(2 ** math.ceil(math.log2(hop + ir_size - 1)))
    spec = tf.signal.rfft(noise, [fft_size]) * tf.signal.rfft(ir, [fft_size])
    blocks = tf.signal.irfft(spec, [fft_size])                            # (b, blocks, fft)
    audio = tf.signal.overlap_and_add(blocks, hop)
    delay = ir_size // 2  # the linear-phase filter's delay
    return audio[:, delay : delay + n_samples]


def lowpass(audio: Any, sr: float, max_hz: float) -> Any:
    """Zero every FFT bin above ``max_hz`` (a brick-wall low-pass over the
    whole clip, zero phase).

    Args:
        audio: ``(batch, samples)``.
        sr: sample rate in Hz.
        max_hz: cut-off in Hz.

    Returns:
        float32 ``(batch, samples)``.
    """
    audio = tf.convert_to_tensor(audio, dtype=tf.float32)
    n = int(audio.shape[-1])
    keep = (np.fft.rfftfreq(n, 1.0 / sr) <= max_hz).astype(np.float32)
    spec = tf.signal.rfft(audio) * tf.complex(tf.constant(keep), tf.zeros_like(keep))
    return tf.signal.irfft(spec, [n])
