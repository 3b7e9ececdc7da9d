# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · Bee sounds and the STFT
#
# Listen to and look at every kind of (synthetic) honeybee sound, and learn to
# read the picture a neural network will be trained on: the short-time Fourier
# transform (STFT), laid out frequency by time.
#
# **You will learn**
# - what colony hum, queen tooting and quacking, worker piping, waggle runs,
#   hissing and pre-swarm hum sound and look like, and which published figures
#   the synthetic corpus imitates;
# - how the STFT cuts a waveform into windowed frames and Fourier-transforms
#   each one, and where centring and the TensorFlow transpose come in;
# - why the layout matters: frequency up, time across (`(freq, time)`), and
#   what goes wrong with the time-by-frequency array a naive port feeds a model;
# - the window trade-off (time vs frequency resolution) in numbers, linear vs
#   log vs mel frequency axes, and what a dB floor is for (`log(0)`);
# - how to explore all of it interactively, and how to look at your own
#   recordings.
#
# **Prerequisites:** none for the audio; `01_mnist_vaegan` shows the image
# model that notebook 03 will port to these spectrograms.
#
# **Run time on a CPU:** well under a minute; most of it is importing
# TensorFlow, and nothing is trained here.  The README's notebook table gives
# the full-mode and fast-mode (`BEE_FAST=1`) times measured on 2 CPU cores,
# and the rendered page in `docs/` states the run time of the run it shows.

# %% [markdown]
# ## Setup
#
# `beeutils.setup` seeds every random generator, sets the plot defaults and
# reads the fast-mode flag.  We import TensorFlow here only to show the STFT at
# its boundary; nothing is trained.

# %%
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")


import librosa
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Audio, Markdown, display

import beeutils
from beeutils.data import audio
from beeutils.data import readers
from beeutils.ui import plotting
from beeutils.dsp import spectral
from beeutils.data import synth
from beeutils.ui import widgets
from beeutils.dsp.spectral import STFTConfig

CFG = beeutils.setup(seed=2)
print(f"fast mode: {CFG.fast}; sample rate {CFG.sr} Hz; clip {CFG.clip_seconds} s "
      f"= {CFG.clip_samples} samples")

# %% [markdown]
# Everything you may want to change is a constant here.  Fast mode only trims
# the number of example clips and of your recordings read; the figures are the
# same.  `RECORDINGS_DIR` follows the series' one rule for your own recordings
# (section 8): the folder named by the `BEE_RECORDINGS` environment variable,
# else `data/real/` in the repository, else `None`; set it to a `Path` of your
# own to look elsewhere.

# %%
SR = CFG.sr                      # Hz
SEED = 2                         # seed of every synthetic clip in this notebook
N_FFT = 1024                     # the series' default window (64 ms at 16 kHz)
HOP = 256                        # the series' default hop (16 ms)
TRADEOFF_N_FFTS = (256, 1024, 4096)
FLOORS_DB = (-40, -80, -120)
N_MELS = 64
BEE_FMAX_HZ = 2000               # bee sounds live below ~2 kHz (the hive body filters)
EXTRA_SEEDS = 0 if CFG.fast else 2   # more examples per kind in full mode
RECORDINGS_DIR = beeutils.config.recordings_dir()   # $BEE_RECORDINGS, else data/real/, else None
REAL_MAX_FILES = 8 if CFG.fast else None   # read at most this many files (None: all)

STFT = STFTConfig(sr=SR, n_fft=N_FFT, hop=HOP)  # crops to 128 bins x 128 frames
FULL = STFT.replace(n_freq_keep=None, n_frames=None)  # the same STFT, uncropped
print(STFT)


# %% [markdown]
# One small helper prints a function's source without its docstring, so that we
# can read the essential lines of `beeutils` as we meet them.

# %%
from beeutils.source import show_source  # noqa: E402  (docstring folded, optional excerpt)

# %% [markdown]
# ## 1. What bees sound like
#
# Real hive recordings cannot ship with the series, so `beeutils.data.synth` builds
# physically plausible clips from the published figures: harmonic oscillators
# with jittered fundamentals, pulse envelopes, coloured noise and the hive body
# (a few resonances and a low-pass near 2 kHz).  `synthesize(kind, seed=...)`
# returns the waveform and a metadata dict that records the recipe, including
# the fundamental `f0_hz`.  The same seed always gives the same clip.

# %%
print("kinds:", synth.KINDS)
show_source(synth.synthesize)


# %% [markdown]
# For each kind we listen, look at the waveform and at the spectrogram (0 Hz at
# the bottom, time to the right, loudness as colour in dB).  The helper below
# does the three things; `plotting.show_spectrogram` puts real Hz and seconds on
# the axes.

# %%
def show_sound(kind: str, seed: int = SEED, fmax: float = BEE_FMAX_HZ) -> dict:
    """Play, plot and describe one synthetic clip; returns its metadata."""
    wave, meta = synth.synthesize(kind, sr=SR, seed=seed)
    fig, (ax_w, ax_s) = plt.subplots(1, 2, figsize=(12, 3.2), width_ratios=(1, 2))
    plotting.plot_waveform(wave, SR, ax_w, title=f"{kind} (seed {seed}): waveform")
    plotting.show_spectrogram(spectral.stft(wave, FULL), FULL, ax_s, fmax=fmax,
                              title=f"{kind}: spectrogram, n_fft {N_FFT}, hop {HOP}")
    if meta["f0_hz"]:
        ax_s.axhline(meta["f0_hz"], color="cyan", ls=":", lw=1, label=f"f0 {meta['f0_hz']:.0f} Hz")
        ax_s.legend(loc="upper right", fontsize="small")
    plt.show()
    display(Audio(wave, rate=SR))
    return meta


# %% [markdown]
# **Colony hum.**  The sound of a busy hive: a flight-buzz fundamental of about
# 200-260 Hz that is the strongest partial, with harmonics above it (Kim et al.
# 2019 give 200-250 Hz for honeybee flight; queenright hives show a peak near
# 250 Hz).  Thousands of bees beat their wings at slightly different rates, so
# each partial is a widened band rather than a thin line, and the widening grows
# with the harmonic number.

# %%
meta_hum = show_sound("hum")
assert 200 <= meta_hum["f0_hz"] <= 260

# %% [markdown]
# **Queen tooting.**  A virgin queen announces herself with one or two long
# syllables of about 1 s that rise in pitch and level, followed by short
# syllables of about 0.25 s; the fundamental is about 400 Hz on the day she
# emerges and above 500 Hz a few days later (Michelsen et al. 1986, Kirchner
# 1993).  Look for the rising first syllable and the short ones after it.

# %%
meta_toot = show_sound("queen_toot")
assert 390 <= meta_toot["f0_hz"] <= 550

# %% [markdown]
# **Queen quacking.**  Queens still in their cells answer with quacks: pulses
# shorter than 0.2 s at about 350 Hz, with quicker onsets and more harmonics
# than toots.

# %%
meta_quack = show_sound("queen_quack")

# %% [markdown]
# **Worker piping.**  Before a swarm lifts off, scout workers pipe: pulses of
# of 0.4-1 s whose fundamental rises from 100-200 Hz to 200-250 Hz,
# about once a second, louder and louder (Seeley & Tautz 2001).  Each pulse is
# a fan of rising harmonics.

# %%
meta_pipe = show_sound("worker_pipe")

# %% [markdown]
# **Waggle-dance sound.**  A dancing forager vibrates her wings during the
# waggle run: bursts of 0.3-1 s with a carrier of about 200-300 Hz (Nieh &
# Tautz 2000 measured 206-292 Hz in the comb), pulsed at the rate of the body
# waggles.

# %%
meta_waggle = show_sound("waggle")

# %% [markdown]
# **Hissing.**  A disturbed colony hisses in defence: broadband bursts whose
# energy sits around 3-6 kHz in our synthesiser (Papachristoforou et al.
# 2008 report a peak near 6 kHz in some subspecies).  This is the one bee sound above the hive body's
# 2 kHz, so we show the whole 0-8 kHz range.

# %%
meta_hiss = show_sound("hiss", fmax=SR / 2)

# %% [markdown]
# **Pre-swarm hum.**  In the days and hours before swarming, power rises near
# 110 Hz and, approaching lift-off, the hum grows louder and its fundamental
# rises toward about 300 Hz (Ferrari et al. 2008).  The clip compresses that
# rise into two seconds.

# %%
meta_swarm = show_sound("pre_swarm")

# %% [markdown]
# **No bees.**  What a microphone hears outside a colony: broadband ambient
# noise, a low rumble, and cricket chirps at 4-5 kHz (the BUZZ datasets of
# Kulyukin et al. have a `cricket` class for exactly this).

# %%
meta_nobee = show_sound("nobee", fmax=SR / 2)

# %% [markdown]
# Every seed gives a different bee with the same kind of sound.  In full mode
# we draw a few more hums and toots to see the variation (fundamental, partial
# widths, pulse timing).

# %%
for extra in range(EXTRA_SEEDS):
    for kind in ("hum", "queen_toot"):
        show_sound(kind, seed=SEED + 1 + extra)

# %% [markdown]
# ## 2. The STFT, step by step
#
# A spectrogram answers "how loud is each frequency, moment by moment".  The
# STFT gets there in three steps:
# 1. **frames**: cut the waveform into overlapping pieces of `n_fft` samples,
#    one every `hop` samples;
# 2. **window**: multiply each piece by a smooth window (Hann here) so that
#    its cut ends do not add clicks (spectral leakage);
# 3. **FFT**: Fourier-transform each windowed frame; its `n_fft // 2 + 1`
#    complex numbers are one column of the spectrogram.
#
# Frames are **centred**: `n_fft // 2` zeros are padded on each side first, so
# frame `t` is centred on sample `t * hop` and a clip of `N` samples gives
# `1 + N // hop` frames.  We do it by hand on the hum and compare with
# `spectral.stft`.

# %%
hum, _ = synth.synthesize("hum", sr=SR, seed=SEED)
t = 40                                           # a frame in the middle
padded = np.pad(hum, N_FFT // 2)                 # centring
frame = padded[t * HOP : t * HOP + N_FFT]        # 1. frame t, centred on sample t * hop
window = spectral.window_array("hann", N_FFT)
column = np.fft.rfft(frame * window)             # 2. window, 3. FFT
S_hum = spectral.stft(hum, FULL)                 # the library's STFT, (freq, time)
print("by hand:", column.shape, " spectral.stft:", S_hum.shape, "(freq, time)")
print("max |difference| / max |column| =",
      f"{np.abs(column - S_hum[:, t]).max() / np.abs(column).max():.1e}")
assert np.allclose(column, S_hum[:, t], atol=1e-4 * np.abs(column).max())
assert S_hum.shape == (N_FFT // 2 + 1, 1 + hum.size // HOP)

# %% [markdown]
# The same three steps as pictures: the window over the waveform, the windowed
# frame, its spectrum, and where that spectrum sits in the spectrogram (one
# column).

# %%
centre_s = t * HOP / SR
fig, axes = plt.subplots(1, 4, figsize=(15, 3.2), width_ratios=(1.2, 1, 1, 1.6))
seg = np.arange(t * HOP - N_FFT // 2, t * HOP + N_FFT // 2)
axes[0].plot(seg / SR, hum[seg], lw=0.6, label="waveform")
axes[0].plot(seg / SR, window * np.abs(hum).max(), color="C1", label="Hann window (scaled)")
axes[0].set(xlabel="Time (s)", ylabel="Amplitude", title=f"1. frame {t}: {N_FFT} samples")
axes[0].legend(fontsize="small", loc="lower right")
axes[1].plot(seg / SR, frame * window, lw=0.6, color="C2")
axes[1].set(xlabel="Time (s)", ylabel="Amplitude", title="2. windowed frame")
spec_db = spectral.amplitude_to_db(np.abs(column), ref="max")
axes[2].plot(FULL.frequencies(), spec_db, lw=0.8, color="C3")
axes[2].set(xlim=(0, BEE_FMAX_HZ), xlabel="Frequency (Hz)", ylabel="dB re max",
            title="3. |FFT| of the frame")
plotting.show_spectrogram(S_hum, FULL, axes[3], fmax=BEE_FMAX_HZ, title="the column in the spectrogram")
axes[3].axvline(centre_s, color="cyan", lw=1.5, ls="--")
plt.show()

# %% [markdown]
# Here is the whole of `spectral.stft`: librosa does the framing, windowing and
# FFT; we ask for centred frames padded with zeros and our own periodic window.

# %%
show_source(spectral.stft)

# %% [markdown]
# Models need the STFT inside TensorFlow (batched, differentiable, on a GPU).
# `tf.signal.stft` returns **time by frequency**, `(..., frames, bins)`.  The
# series lays everything out frequency by time, so `spectral.tf_stft` pads for
# centring like librosa and transposes once, at that boundary, so that nothing
# downstream ever has to.

# %%
show_source(spectral.tf_stft)

# %% [markdown]
# The two implementations give the same numbers; the raw `tf.signal.stft`
# output is the transposed array.

# %%
import tensorflow as tf  # noqa: E402  (imported by setup already; named here for the demo)

raw = tf.signal.stft(np.pad(hum, N_FFT // 2), frame_length=N_FFT, frame_step=HOP,
                     fft_length=N_FFT, window_fn=lambda n, dtype: tf.constant(window))
S_tf = spectral.tf_stft(hum[None], FULL)[0].numpy()
rel = np.abs(S_tf - S_hum).max() / np.abs(S_hum).max()
print(f"tf.signal.stft: {tuple(raw.shape)} (time, freq);  tf_stft: {S_tf.shape} (freq, time)")
print(f"max |tf_stft - stft| / max |stft| = {rel:.1e}")
assert tuple(raw.shape) == S_hum.shape[::-1] and S_tf.shape == S_hum.shape and rel < 1e-4

# %% [markdown]
# ## 3. Frequency by time, not time by frequency
#
# The naive port in this story computed the STFT, took its magnitude and fed
# `spectrogram.T` (the `tf.signal` layout) to an image model.  Drawn as an
# image with the usual `imshow`, that array has **time running down the rows**
# and frequency across the columns.  The conventional picture (right) puts
# frequency up and time across: a harmonic sound is a stack of horizontal lines
# at `f0, 2 f0, 3 f0 ...`, like the keys of a piano keyboard turned 90 degrees.

# %%
db_hum = spectral.amplitude_to_db(np.abs(S_hum), ref="max")
fig, (ax_t, ax_f) = plt.subplots(1, 2, figsize=(12, 4), width_ratios=(1, 1.3))
ax_t.imshow(db_hum.T[:, :128], aspect="auto", cmap="magma", interpolation="nearest")
ax_t.set(xlabel=f"Column = frequency bin ({FULL.bin_hz:.1f} Hz each)",
         ylabel=f"Row = frame ({FULL.frame_seconds * 1e3:.0f} ms each)",
         title=f"naive: spectrogram.T {db_hum.T.shape} (first 128 columns): time runs DOWN")
plotting.show_spectrogram(S_hum, FULL, ax_f, fmax=BEE_FMAX_HZ,
                          title=f"series: (freq, time), {S_hum.shape}, frequency UP")
plt.show()

# %% [markdown]
# **Why a convolutional model cares.**  A 3x3 kernel sees three neighbouring
# frequencies by three neighbouring frames in either layout, so one convolution
# alone does not mind.  The rest of the model does:
#
# - **strides and pooling act per axis, and the two axes mean different
#   things.**  Halving the frequency axis merges 15.6 Hz bins into 31 Hz ones
#   (the hum's partials are about 250 Hz apart, fine); halving time merges
#   16 ms frames (a 70 ms quack pulse survives, a click does not).  A model
#   tuned for one layout silently applies its resolution budget to the wrong
#   axis in the other.
# - **the decoder's padding and cropping act per axis.**  An upsampling
#   decoder makes 128x128; getting back to the 513 bins an inverse STFT needs
#   means padding *frequency*, which is a different axis in each layout.
# - **structure lines up with the axes.**  Harmonics are vertical stacks of
#   horizontal lines in `(freq, time)`; per-frequency normalisation (one mean
#   and scale per bin, as SpecGAN does) is per *row* here and per *column* in
#   the transposed layout.
#
# **Cropping shows the trap.**  The model sees the lowest 128 bins (0-2 kHz) by
# 128 frames.  On the transposed array "the lowest 128 bins" are the first 128
# **columns**.  The naive port wrote `x[:128, :128]`, which has the model's
# shape only for clips of at least 128 frames (about 2.03 s and longer), and
# even then holds 128 frames by 128 bins, time first.  Shorter clips give
# arrays that are not even square, while `spectral.crop` (frequency axis by
# name, zero-padding missing frames) always gives the model's shape:

# %%
rows = ["| clip (s) | STFT `(freq, time)` | naive `S.T[:128, :128]` | `S.T[:128]` keeps | `spectral.crop(S)` |",
        "|---:|---|---|---|---|"]
for seconds in (0.5, 1.024, 2.048, 4.096):
    wave, _ = synth.synthesize("hum", sr=SR, duration=seconds, seed=SEED)
    S = np.abs(spectral.stft(wave, FULL))
    naive, first = S.T[:128, :128], S.T[:128]
    rows.append(f"| {seconds} | {S.shape} | {naive.shape} | {first.shape[0]} frames x all "
                f"{first.shape[1]} bins | {spectral.crop(S, STFT).shape} |")
    assert spectral.crop(S, STFT).shape == (128, 128)
display(Markdown("\n".join(rows)))

# %% [markdown]
# A concrete consequence: to listen to what the model produced, the 128x128
# patch must be padded back to 513 bins and inverted.  Code written for the
# library layout pads axis 0 (`np.pad(x, ((0, 513 - 128), (0, 0)))`).  Applied
# to the time-by-frequency patch, that pads the **time** axis, and the inverse
# STFT then plays frames as if they were frequencies.  We use the complex STFT
# (exact phase), so the only error is the layout.

# %%
S_c = spectral.crop(S_hum, STFT)                      # (128 bins, 128 frames): right
right = spectral.istft(spectral.uncrop(S_c, STFT), STFT)
patch_t = S_hum.T[:128, :128]                         # (128 frames, 128 bins): naive
wrong = spectral.istft(np.pad(patch_t, ((0, STFT.n_bins - 128), (0, 0))), STFT)


def spectral_match(wave: np.ndarray) -> float:
    """Correlation of a clip's 0-2 kHz dB spectrogram with the original hum's."""
    a = spectral.amplitude_to_db(np.abs(spectral.crop(spectral.stft(wave, STFT), STFT)), ref="max")
    b = spectral.amplitude_to_db(np.abs(S_c), ref="max")
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


match_right, match_wrong = spectral_match(right), spectral_match(wrong)
fig, axes = plt.subplots(1, 2, figsize=(12, 3.4))
for ax, wave, name, m in [(axes[0], right, "crop + uncrop in (freq, time)", match_right),
                          (axes[1], wrong, "pad axis 0 of the (time, freq) patch", match_wrong)]:
    plotting.show_spectrogram(spectral.stft(wave, FULL), FULL, ax, fmax=BEE_FMAX_HZ,
                              title=f"{name}: match {m:.2f}")
plt.show()
display(Audio(right, rate=SR), Audio(wrong, rate=SR))
print(f"spectrogram correlation with the original: right {match_right:.2f}, wrong {match_wrong:.2f}")
assert match_right > 0.95 and match_wrong < 0.5

# %% [markdown]
# The right version is the hum, low-passed at 2 kHz.  The wrong one is a train
# of broadband clicks about every quarter second: the hum's partials (bins 16,
# 32, 48 ..., every 250 Hz) became loud *frames* 16 frames (256 ms) apart, and
# its two seconds of frames became a spectrum.  Nothing raised an error.  That is why the series fixes
# the layout once, in `spectral.py`, and names the axes in every docstring.

# %% [markdown]
# ## 4. The window trade-off
#
# A window of `n_fft` samples lasts `n_fft / sr` seconds and splits frequency
# into bins `sr / n_fft` apart.  Longer windows resolve frequency finely but
# smear anything shorter than themselves in time; shorter windows do the
# opposite.  Bin width times window length is always 1 (`sr / n_fft` times
# `n_fft / sr`): sharpen one and you blur the other.  A queen toot
# shows both sides: a sweeping fundamental (wants fine frequency) in pulses
# with sharp edges (want fine time).  The hop is a quarter of the window each
# time.

# %%
toot, _ = synth.synthesize("queen_toot", sr=SR, seed=SEED)
configs = [FULL.replace(n_fft=n, hop=n // 4) for n in TRADEOFF_N_FFTS]
specs = [spectral.stft(toot, c) for c in configs]
titles = [f"n_fft {c.n_fft}: {c.window_seconds * 1e3:.0f} ms window, {c.bin_hz:.1f} Hz bins"
          for c in configs]
fig, axes = plotting.spectrogram_grid(specs, configs, titles, ncols=3, fmax=BEE_FMAX_HZ)
fig.suptitle("queen toot at three window sizes (hop = n_fft / 4)")
plt.show()


# %% [markdown]
# In numbers: for each window, its length, the bin spacing, and the measured
# width of the toot's fundamental peak (bins within 6 dB of the peak, in the
# loudest frame).  The peak is two to three bins wide whatever the window (the
# Hann window's main lobe), so in Hz it shrinks with the bin spacing: 16 times
# the window gives bins 16 times narrower and frames 16 times longer; the
# table gives the measured peak widths.

# %%
def peak_width_hz(spec: np.ndarray, config: STFTConfig, lo: float = 300, hi: float = 700) -> float:
    """-6 dB width (Hz) of the strongest peak between lo and hi Hz in the loudest frame."""
    mag = np.abs(spec)
    band = (config.frequencies() >= lo) & (config.frequencies() <= hi)
    t = int(np.argmax(mag[band].sum(axis=0)))
    col = mag[:, t]
    k = int(np.flatnonzero(band)[np.argmax(col[band])])
    above = col >= col[k] / 2
    left, right = k, k
    while left > 0 and above[left - 1]:
        left -= 1
    while right < col.size - 1 and above[right + 1]:
        right += 1
    return (right - left + 1) * config.bin_hz


rows = ["| n_fft | window (ms) | hop (ms) | bin spacing (Hz) | measured -6 dB peak width (Hz) |",
        "|---:|---:|---:|---:|---:|"]
widths = []
for c, s in zip(configs, specs):
    widths.append(peak_width_hz(s, c))
    rows.append(f"| {c.n_fft} | {c.window_seconds * 1e3:.0f} | {c.frame_seconds * 1e3:.0f} | "
                f"{c.bin_hz:.1f} | {widths[-1]:.1f} |")
display(Markdown("\n".join(rows)))
assert [round(c.bin_hz, 1) for c in configs] == [62.5, 15.6, 3.9]
assert widths[0] > widths[1] > widths[2]  # longer window, narrower peak

# %% [markdown]
# The series' default, `n_fft = 1024` (64 ms, 15.6 Hz bins) with hop 256
# (16 ms), separates the hum's partials (about 250 Hz apart) by 16 bins and
# still follows quack pulses of 70-170 ms (the synthesiser's range).

# %% [markdown]
# ## 5. Linear, log or mel frequency axis
#
# The STFT's bins are evenly spaced in Hz: the **linear** axis shows harmonics
# evenly spaced, which is what an oscillator bank (notebook 09) produces.
# A **log** axis gives each octave the same height, so the low fundamentals
# get room and harmonics crowd together at the top.  The **mel** scale
# (linear below 1 kHz, logarithmic above) follows human pitch perception; a mel
# spectrogram sums the STFT bins into `N_MELS` triangular bands, which is
# compact but loses detail that an inverse STFT would need.  Worker piping has
# a rising fundamental and many harmonics: a good test.

# %%
pipe, _ = synth.synthesize("worker_pipe", sr=SR, seed=SEED)
S_pipe = spectral.stft(pipe, FULL)
fig, axes = plt.subplots(1, 3, figsize=(15, 3.6))
for ax, scale in zip(axes, ("linear", "log", "mel")):
    plotting.show_spectrogram(S_pipe, FULL, ax, scale=scale, n_mels=N_MELS, fmax=4000,
                              title=f"worker piping, {scale} frequency axis")
plt.show()
mel = spectral.mel_spectrogram(S_pipe, FULL, n_mels=N_MELS)
print(f"STFT {S_pipe.shape} -> mel {mel.shape}: {N_MELS} numbers per frame instead of {FULL.n_bins}")
show_source(spectral.mel_spectrogram)

# %% [markdown]
# ## 6. The dB floor, and what `log(0)` does
#
# Loudness spans many orders of magnitude, so we look at `20 log10 |S|` in
# decibels.  But a bin that is exactly zero (digital silence, zero padding of a
# short recording) has `log10(0) = -inf`, and a model fed `-inf` produces
# `inf - inf = NaN` in its first layer.  Here a 1.4 s toot is zero-padded to the
# 2.048 s clip length, as a reader pads short files:

# %%
short = toot[: int(1.4 * SR)]
padded_clip = np.pad(short, (0, CFG.clip_samples - short.size))
S_pad = np.abs(spectral.stft(padded_clip, FULL))
with np.errstate(divide="ignore"):  # NumPy would warn "divide by zero"
    print("np.log10(0.0) =", np.log10(0.0))
    raw_db = 20 * np.log10(S_pad)
n_inf = int(np.isneginf(raw_db).sum())
print(f"bins at -inf: {n_inf} of {raw_db.size}; their mean: {raw_db.mean()} dB")
assert n_inf > 0 and np.isneginf(raw_db.mean())

# %% [markdown]
# `spectral.amplitude_to_db` clamps the magnitude at a floor first, so silent
# bins sit at `floor_db` (relative to the loudest bin with `ref="max"`):

# %%
show_source(spectral.amplitude_to_db)

# %% [markdown]
# The floor also decides what you see.  At -40 dB only the loud partials
# survive; -80 dB shows the harmonics over the clip's background noise; -120 dB
# adds detail no ear would notice.  The zero padding sits on the floor at any
# setting: a floor is what turns `-inf` into a number.  The table gives the
# share of bins sitting on the floor (the last 30 % are the padding).

# %%
fig, axes = plt.subplots(1, len(FLOORS_DB), figsize=(15, 3.4))
on_floor = []
for ax, floor in zip(axes, FLOORS_DB):
    plotting.show_spectrogram(S_pad, FULL, ax, floor_db=floor, fmax=BEE_FMAX_HZ,
                              title=f"zero-padded toot, floor {floor} dB")
    db = spectral.amplitude_to_db(S_pad, floor_db=floor, ref="max")
    assert np.isfinite(db).all() and db.min() == floor
    on_floor.append(float(np.mean(db <= floor + 1e-3)))
plt.show()
display(Markdown("| floor (dB) | " + " | ".join(str(f) for f in FLOORS_DB) + " |\n|---|"
                 + "---:|" * len(FLOORS_DB) + "\n| bins on the floor | "
                 + " | ".join(f"{p:.0%}" for p in on_floor) + " |"))
assert on_floor[0] > on_floor[1] > on_floor[2]

# %% [markdown]
# Notebook 04 returns to this: an unfloored `log` and an unnormalised
# -80..0 dB range are two of the hazards a spectrogram VAE-GAN meets.

# %% [markdown]
# ## 7. Explore it yourself
#
# `widgets.stft_explorer()` puts all of the above on controls: the sound kind,
# `n_fft`, hop, window, frequency axis, dB floor and the highest frequency
# shown.  The plot (spectrogram over the waveform), the resolution line and the
# audio player follow every change.  Settings that cannot work, such as a hop
# longer than the window (samples between frames would never be analysed) or a
# window longer than the clip, show a message saying what to change instead of
# an error.  Try `n_fft` 64 against 8192 on the queen toot, and `hop` 2048 with
# `n_fft` 1024.

# %%
explorer, update = widgets.stft_explorer(sr=SR, seed=SEED, initial={"kind": "queen_toot"})
explorer

# %% [markdown]
# The widget only draws; the numbers come from `update`, a plain function of the
# settings.  You can call it yourself, with no browser at all:

# %%
state = update(kind="queen_toot", n_fft=256, hop=64)
print("ok:", state.ok, "|", state.resolution)
bad = update(kind="queen_toot", n_fft=256, hop=1024)
print("ok:", bad.ok, "|", bad.message)
assert state.ok and state.spec.shape[0] == 129
assert not bad.ok and "hop" in bad.message and "window" in bad.message

# %% [markdown]
# Without a widget frontend (a static HTML export, a headless run, GitHub's
# viewer) the explorer above shows nothing, so here is the same trade-off as
# one static figure: the queen toot at three window sizes, on a linear and a
# log axis.

# %%
fig = widgets.static_stft_figure(sr=SR, kind="queen_toot", seed=SEED, n_ffts=TRADEOFF_N_FFTS)
plt.show()

# %% [markdown]
# ## 8. Your own recordings
#
# The synthetic sounds imitate published figures; the real test is a hive.
# Recordings cannot ship with the series, so this section reads yours if you
# have them and is skipped otherwise (everything above ran without them).
#
# **Where the series looks.**  One rule, the same in every notebook and
# command: the folder named by the `BEE_RECORDINGS` environment variable if
# you set it, else `data/real/` inside the repository (ignored by git; see
# `data/README.md` for the layouts of the public bee datasets).
# `beeutils.config.recordings_dir()` applies it: it returns the folder, or
# `None` when neither place holds anything, and it stops with an error naming
# the variable when `BEE_RECORDINGS` points at a folder that does not exist.
#
# **How it reads them.**  Recordings come in whatever layout their authors
# chose, at whatever rate their microphone ran, and some files are always
# broken; the models want none of that, only equal-length clips at one rate.
# `readers.read_recordings(path, sr, length, hop)` bridges the two.  It first
# recognises the folder's layout: NU-Hive / "To bee or not to bee" (a `.lab`
# annotation beside each recording, whose `bee` stretches it keeps), BUZZ
# (class folders `bee/`, `cricket/`, `noise/`), or a plain folder, where the
# subfolder a file sits in becomes its label (`bees/bee/*.wav`,
# `bees/nobee/*.wav`).  Then it resamples every file to `sr`, cuts it into
# segments of `length` samples, and skips, with a reason, any file it cannot
# use (empty, corrupt, silent, too short), so one bad file does not stop the
# read.  Hive microphones often record at a low level, so we normalise a
# clip's level before listening.

# %%
if RECORDINGS_DIR is not None:
    real = readers.read_recordings(RECORDINGS_DIR, sr=SR, length=CFG.clip_samples,
                                   max_files=REAL_MAX_FILES)
    print(f"{real.layout} layout: {len(real)} segments of {CFG.clip_seconds} s from "
          f"{len({f for f, _ in real.sources})} files in {RECORDINGS_DIR}; "
          f"labels {real.label_names}; skipped {len(real.skipped)}")
else:
    real = None
    print("No recordings found: BEE_RECORDINGS is not set and data/real/ is missing or "
          "empty, so this section is skipped.  To look at your own, put audio files in "
          "data/real/ (optionally in subfolders named after their label), or set "
          "BEE_RECORDINGS to their folder, and run the notebook again.")

# %% [markdown]
# We pick the segment with the steadiest hum (the largest median share of
# energy in 200-300 Hz, frame by frame, so that a short loud burst does not
# win) and set it beside the synthetic hum.  Two things to look for.  First,
# the top of the spectrum: a file recorded at a rate below 16 kHz holds nothing
# above half its own rate (its Nyquist frequency), whatever rate we resample
# to, so the cell prints the file's own rate (`librosa.get_samplerate`).
# Second, the partials: a colony's hum should put its strongest low partial
# where the synthetic one is, around 200-260 Hz.

# %%
if real is not None:
    mags = np.abs(spectral.stft(real.waves, FULL))              # (n, freq, time)
    freqs = FULL.frequencies()
    band = (freqs >= 200) & (freqs <= 300)
    share = np.median(mags[:, band].sum(axis=1) / mags.sum(axis=1), axis=-1)  # (n,)
    best = int(np.argmax(share))
    clip = audio.normalize_level(real.waves[best], peak=0.9, rms_db=-20)
    file, start = real.sources[best]
    low = (freqs >= 150) & (freqs <= 350)
    real_f0 = float(freqs[low][np.argmax(np.median(mags[best][low], axis=1))])
    S_real = spectral.stft(clip, FULL)
    fig, axes = plt.subplots(2, 2, figsize=(13, 6.4))
    for row, fmax in enumerate((SR / 2, BEE_FMAX_HZ)):
        plotting.show_spectrogram(S_real, FULL, axes[row, 0], fmax=fmax,
                                  title=f"real: {file.name} at {start / SR:.1f} s, 0-{fmax:.0f} Hz")
        plotting.show_spectrogram(S_hum, FULL, axes[row, 1], fmax=fmax,
                                  title=f"synthetic hum (f0 {meta_hum['f0_hz']:.0f} Hz), 0-{fmax:.0f} Hz")
    plt.show()
    display(Audio(clip, rate=SR), Audio(hum, rate=SR))
    native_sr = librosa.get_samplerate(file)
    print(f"{file.name} was recorded at {native_sr} Hz: nothing above "
          f"{min(native_sr, SR) / 2:.0f} Hz survives")
    print(f"strongest low partial of the real clip: {real_f0:.0f} Hz "
          "(colony hum: about 200-260 Hz)")
else:
    print("Skipped: no recordings (see the previous cell).")

# %% [markdown]
# ## What we learned
#
# - Bee sounds are harmonic and low: fundamentals of 100-550 Hz, almost all
#   energy below 2 kHz; only hissing (and crickets, in no-bee clips) reach
#   higher.  Each synthetic kind follows a published figure.
# - The STFT is frames, a window and an FFT per frame; frames are centred, so a
#   clip of `N` samples has `1 + N // hop` frames.  `spectral.stft` (NumPy) and
#   `spectral.tf_stft` (TensorFlow) agree, and `tf_stft` transposes
#   `tf.signal`'s time-by-frequency output once, at the boundary.
# - Spectrograms are `(freq, time)`: frequency up, time across.  The transposed
#   layout crops, pads and pools the wrong axis without raising any error; we
#   heard a hum turn into a click by padding the wrong axis.
# - `n_fft` trades time against frequency resolution (62.5 Hz bins and 16 ms
#   at 256, 3.9 Hz and 256 ms at 4096); the default 1024/256 suits bees.
# - Linear axes show harmonics evenly spaced, log axes give octaves equal room,
#   mel bands compress; `log(0)` is `-inf`, so dB always needs a floor.
# - `widgets.stft_explorer` explores all of it live; its `update` is a plain
#   function, and `readers.read_recordings` brings in your own recordings, found
#   by one rule (`beeutils.config.recordings_dir()`: `BEE_RECORDINGS`, else
#   `data/real/`).
#
# **Next:** [03 · The naive port and its NaN](03_naive_port_and_nan.ipynb), where
# the MNIST VAE-GAN meets these spectrograms and its loss goes to NaN.
