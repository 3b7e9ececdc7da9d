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
# # 06 · Complex spectrograms against magnitudes
#
# The STFT is complex, and notebook 05 threw half of it away.  Here we keep
# the phase, in two ways, find out why the obvious loss teaches a complex
# model nothing but silence, fix it by judging the model's output by its
# sound, and then measure every model with the same yardstick: how close
# each comes to its representation's floor, and whether its sound is what
# it drew.
#
# **You will learn**
# - what the phase of an STFT is, seen on a bee's hum: a fast-turning angle
#   whose frame-to-frame advance, the *instantaneous frequency*, is the exact
#   pitch each "key" of the spectrogram plays;
# - three model-ready representations and their inverses: normalised log
#   magnitude (Griffin-Lim back to sound), real and imaginary parts of a
#   compressed STFT (exact inverse STFT), and GANSynth's log magnitude +
#   instantaneous frequency (exact, by integrating the frequency);
# - why a pointwise squared error on real and imaginary parts regresses to
#   zero, which is silence, and how a multi-resolution STFT loss on the
#   audio of the output (an inverse STFT inside the graph) fixes it;
# - how each representation's own floor (a perfect model's error) compares
#   with what a trained model reaches;
# - how to read a comparison of generators: reconstruction, consistency of
#   the output, generation, training time, and your ears.
#
# Notebook 07 goes on with the same three models: decoding the phase so
# that the sound is what the decoder drew, and whether keeping the phase
# pays at the onsets of pulsed sounds.
#
# **Prerequisites:** `05_magnitude_vaegan` (the model, its training and the
# metrics); `02_bee_audio_and_stft` for the STFT.
#
# **Run time on a CPU:** most of a full-mode run is training four models
# (`EPOCHS` epochs for the three compared ones, `DIAGNOSIS_EPOCHS` for the
# squared-error demonstration).  The `real_imag` model is the slowest per
# example: its loss runs an inverse STFT and six STFTs of every
# reconstruction.  The training cells print the time each model took on your
# machine, and the table of section 7 repeats it with the examples per
# second.  The README's notebook table gives a full-mode run's time on 2 CPU
# cores.  Fast mode (`BEE_FAST=1`) trains a tiny corpus for one epoch and
# is checked by the test suite to stay within its fast-mode time budget.

# %% [markdown]
# ## Setup

# %%
import os
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Audio, Markdown, display

import beeutils
from beeutils.data import datasets, synth
from beeutils.dsp import representations, spectral
from beeutils.dsp.spectral import STFTConfig
from beeutils.evaluation import evaluate, metrics
from beeutils.models import layers, losses, vaegan
from beeutils.models.audio_model import AudioModel, model_path
from beeutils.models.configs import ModelConfig, VAEGANConfig
from beeutils.source import show_source
from beeutils.ui import plotting
from beeutils.ui.generator_widgets import listening_grid

CFG = beeutils.setup(seed=0)
print(f"fast mode: {CFG.fast}")

# %% [markdown]
# Everything you may want to change.  The three compared models share every
# setting but the representation and, for `real_imag`, the two loss weights
# of section 5; the decoder's last activation follows the representation
# (`tanh` for the magnitudes and for `logmag_if`, linear for `real_imag`,
# whose values have no bound: section 2 says why).  The corpus size and
# epochs are those of the benchmark's quick run (`python -m beeutils.bench
# --quick`), small enough for a CPU; its grid (0-8 kHz), batch sizes, loss
# weights and decoding differ, so its numbers do not compare with ours.  Fast mode trains a tiny corpus for one
# epoch: it checks that the code runs, not that the models sound good.

# %%
SEED = 0
KINDS = ("hum", "queen_toot", "worker_pipe") if CFG.fast else synth.KINDS
CLIPS_PER_KIND = 4 if CFG.fast else 16      # 80 % train, 10 % validation, 10 % test
EPOCHS = 1 if CFG.fast else 8               # the same budget for every compared model
DIAGNOSIS_EPOCHS = 1 if CFG.fast else 2     # section 4: the squared error alone, briefly
BATCH_SIZE = 4 if CFG.fast else 16
LATENT_DIM = 32
ENCODER_WIDTHS = (16, 32, 64, 128)          # as in notebook 05
DECODER_WIDTHS = (8, 16, 32, 64)
DISC_WIDTHS = (16, 32, 64)
KL_WEIGHT = 1.0
GAN_WEIGHT = 1.0
WAVEFORM_WEIGHT = 100.0                     # section 5: MR-STFT loss on real_imag's audio
COMPLEX_PIXEL_WEIGHT = 0.01                 # ... and what is left of its squared error
N_GENERATED = 8 if CFG.fast else 128        # prior samples for the generation metrics
N_LISTEN = 2 if CFG.fast else 4             # prior samples per model in the listening grid
VERBOSE = 2                                 # Keras: one line per epoch
NAMES = ("magnitude", "real_imag", "logmag_if")
MSE_ONLY = "real_imag, squared error only"  # section 4's model
# The complex models decode with the plain inverse STFT here; notebook 07
# measures the package's default (ModelConfig), Griffin-Lim iterations from
# the decoded phase.
EXACT_INVERSE = {"refine_iter": 0}
STFT = STFTConfig()                         # n_fft 1024, hop 256, crop 128 bins x 128 frames
print(STFT)
print(f"hop: {STFT.hop} samples = {1000 * STFT.hop / STFT.sr:.0f} ms; bin width "
      f"{STFT.bin_hz:.3f} Hz; model band 0-{STFT.n_freq_keep * STFT.bin_hz:.0f} Hz")

# %% [markdown]
# ## 1. What phase is, on a bee's hum
#
# One STFT bin is a complex number: a length (the magnitude, how strongly
# the frequencies near the bin's centre sound in that frame) and an angle
# (the phase, where in its cycle that sound is when the frame starts).  Take
# a synthetic colony hum and follow the bin of its fundamental, the
# strongest partial between 150 and 300 Hz.

# %%
hum, hum_meta = synth.synthesize("hum", sr=CFG.sr, duration=CFG.clip_seconds, seed=SEED)
hum_spec = spectral.crop(spectral.stft(hum, STFT), STFT)        # (128, 128) complex
freqs = STFT.frequencies(cropped=True)
times = STFT.times(hum_spec.shape[1])
band = (freqs > 150) & (freqs < 300)
k = int(np.flatnonzero(band)[np.argmax(np.abs(hum_spec[band]).mean(axis=1))])
print(f"hum fundamental (synthesis recipe): {hum_meta['f0_hz']:.1f} Hz, jitter "
      f"{hum_meta['jitter_hz']:.1f} Hz; its bin: {k}, centred on {freqs[k]:.1f} Hz "
      f"({STFT.bin_hz:.3f} Hz wide)")

# %% [markdown]
# Three views of that one bin's phase over time.  Left: the phase as the STFT
# gives it, wrapped into (-pi, pi]; it looks random, because between two
# frames (256 samples, 16 ms) a partial near 250 Hz turns through about 4
# whole cycles plus a fraction, and only the fraction is visible.  Middle:
# unwrapped.  `np.unwrap` cannot do it here (it assumes less than half a
# turn per frame), but the bin's centre frequency tells us how many whole
# turns to add (bin k turns k/4 times per 256-sample hop).  Add them, keep the leftover fraction, and the phase is
# a straight ramp whose slope is the frequency; the dashed line is the ramp
# of the bin's *centre* frequency.  Right: the difference of the two, the
# phase relative to the bin centre: a slow drift.  Its slope says how far the
# partial sits from the bin's centre, and its wobble is the hum's pitch
# jitter and the beating of neighbouring bees.

# %%
phase = np.angle(hum_spec[k])
advance = spectral.bin_phase_advance(STFT, STFT.n_freq_keep)[k]  # radians per hop
print(f"the bin centre turns {advance / (2 * np.pi):.2f} cycles per hop")
leftover = np.angle(np.exp(1j * (np.diff(phase) - advance)))           # wrapped to (-pi, pi]
unwrapped = phase[0] + np.concatenate([[0.0], np.cumsum(advance + leftover)])
centre_ramp = phase[0] + advance * np.arange(len(phase))
fig, axes = plt.subplots(1, 3, figsize=(15, 3.3))
axes[0].plot(times, phase, ".", ms=3)
axes[0].set(xlabel="Time (s)", ylabel="phase (rad)", title=f"bin {k}: phase as stored (wrapped)")
axes[1].plot(times, unwrapped, label="unwrapped phase")
axes[1].plot(times, centre_ramp, "--", label=f"bin centre, {freqs[k]:.1f} Hz")
axes[1].set(xlabel="Time (s)", ylabel="phase (rad)", title="unwrapped: a ramp, slope = frequency")
axes[1].legend(fontsize="small")
axes[2].plot(times, unwrapped - centre_ramp, color="C2")
axes[2].set(xlabel="Time (s)", ylabel="phase (rad)", title="relative to the bin centre: a drift")
plt.show()

# %% [markdown]
# The frame-to-frame step of that drift, divided by pi, is the
# **instantaneous frequency** (IF), our variant of what GANSynth (Engel et
# al. 2019) gives a model instead of the raw phase: in each bin, the phase
# advance since the previous frame minus the advance of the bin's centre
# frequency (GANSynth keeps the plain advance), wrapped into [-1, 1].  Converted to Hz it is the frequency that actually sounds in
# the bin, frame by frame:

# %%
show_source(representations.instantaneous_frequency, "phase = ")
show_source(representations.if_to_hz, "inst_freq = ")

# %% [markdown]
# The IF of the hum's fundamental bin, in Hz, against the f0 of the recipe
# that made the clip and the bin's centre frequency:

# %%
hum_if = representations.instantaneous_frequency(hum_spec, STFT)     # (128, 128) in [-1, 1]
hum_if_hz = representations.if_to_hz(hum_if, STFT)[k]
inner = slice(2, -2)                                                  # away from the clip ends
if_median = float(np.median(hum_if_hz[inner]))
fig, ax = plt.subplots(figsize=(10, 3.2))
ax.plot(times, hum_if_hz, label="instantaneous frequency of the bin")
ax.axhline(hum_meta["f0_hz"], color="C3", ls="--", label="f0 of the synthesis recipe")
ax.axhline(freqs[k], color="grey", ls=":", label="bin centre")
ax.set(xlabel="Time (s)", ylabel="frequency (Hz)", ylim=(freqs[k] - 40, freqs[k] + 40),
       title=f"hum fundamental, bin {k}: what the key actually plays")
ax.legend(fontsize="small", loc="lower right")
plt.show()
print(f"median IF {if_median:.1f} Hz; recipe f0 {hum_meta['f0_hz']:.1f} Hz; "
      f"bin centre {freqs[k]:.1f} Hz")
assert abs(if_median - hum_meta["f0_hz"]) < abs(freqs[k] - hum_meta["f0_hz"]) + 1.0
assert abs(if_median - hum_meta["f0_hz"]) < STFT.bin_hz / 2

# %% [markdown]
# Back to the answer's picture (notebook 01, "The question this series
# answers") of a keyboard turned 90 degrees: each
# frequency bin is a key, about 15.6 Hz wide, and the magnitude says how hard
# it is pressed.  The instantaneous frequency says *which pitch inside the
# key* the string plays at each moment (here a few Hz off the key's centre,
# wandering with the jitter), and the phase says where each string is in its
# cycle.  A magnitude spectrogram keeps the key presses and loses the
# tuning and the alignment; Griffin-Lim has to guess them back, and notebook
# 05 measured what the guess costs.  The question of this notebook: does a
# model do better if it is given the whole complex STFT?


# %% [markdown]
# ## 2. Three representations of the same clips
#
# `beeutils.dsp.representations` holds them, each built from an `STFTConfig`,
# fitted on the training split (only the scaling is learnt), with
# `encode_batch` (waveforms -> `(n, freq, time, channels)`), `decode_batch`
# (the inverse), `magnitudes` (the linear magnitudes an array stands for) and
# `get_config` (all it needs is saved with a model):
#
# | name | channels | values | back to sound |
# |---|---|---|---|
# | `magnitude` | log magnitude, SpecGAN's per-frequency scaling (notebook 05) | clipped to [-1, 1] | Griffin-Lim: a phase is estimated |
# | `real_imag` | real and imaginary parts of the compressed STFT | scaled per bin, not clipped | inverse STFT: exact |
# | `logmag_if` | the same log magnitude (not clipped) and the IF | scaled, not clipped; IF in [-1, 1] | integrate the IF, inverse STFT: exact |
#
# Raw real and imaginary parts span many orders of magnitude (a loud
# partial's bins against the quiet ones between partials; the cell below
# measures it on the hum), so `real_imag` first compresses the STFT with a
# power law that keeps the phase, `|X|^alpha X/|X|`, which multiplies every
# range in dB by `alpha`, then divides each frequency bin by `n_std` times
# its RMS over the training set: every bin then weighs about the same in the
# squared error, as with the per-frequency scaling of the magnitudes.

# %%
defaults = representations.RealImagRepresentation(STFT)   # the settings every model uses
hum_mag = np.abs(hum_spec)
quiet_bin = float(np.percentile(hum_mag[hum_mag > 0], 1))
hum_range_db = 20 * np.log10(hum_mag.max() / quiet_bin)
print(f"hum clip: loudest bin / quietest 1 % of bins = {hum_range_db:.0f} dB (a factor of "
      f"{10 ** (hum_range_db / 20):,.0f} in amplitude); after the power law with alpha = "
      f"{defaults.alpha}: {defaults.alpha * hum_range_db:.0f} dB; n_std = {defaults.n_std}")

# %% [markdown]
# The code of those two steps (`_fit` learns the scales, `_encode` applies
# them), and of `logmag_if`'s way back to sound: integrate the IF into a
# phase, put it on the magnitudes, inverse STFT.

# %%
show_source(representations.RealImagRepresentation._fit)
show_source(representations.RealImagRepresentation._encode)
show_source(representations.LogMagIFRepresentation._decode)
show_source(representations.integrate_instantaneous_frequency, "inst_freq = ")

# %% [markdown]
# The log-magnitude channel of `logmag_if` is not clipped: clipping caps the
# loudest bins of pulsed sounds (toots, piping) at a few standard deviations,
# so that even a perfect model could not give them back; section 3 measures what
# it would cost.  Its values (and `real_imag`'s) pass slightly beyond +-1.
# `real_imag`'s decoder ends in a linear layer; `logmag_if`'s ends in `tanh`
# all the same: it gives up only those few loudest values, and with a linear
# output the benchmark's `logmag_if` drew a smooth blur with no partial in it,
# where with `tanh` it draws the harmonics (`results/README.md`, "A decoder
# that draws lines").
#
# One call makes each model.  `AudioModel.build` takes a `ModelConfig`
# (which approach, which STFT grid, which network settings), fits the
# approach's representation on the corpus's training split and builds the
# network for its `(freq, time, channels)`, seeded.  The weights are
# random until they are trained (section 4 trains a first model, section 6
# the three compared here); until then we only use each model's fitted
# `representation`.

# %%
show_source(AudioModel.build)

# %% [markdown]
# Notebook 05's corpus at `CLIPS_PER_KIND` clips per kind (05 takes 40), and
# the three models.  They are identical
# but for the approach name, and `real_imag` takes two loss weights
# (`waveform_weight=WAVEFORM_WEIGHT`, `pixel_weight=COMPLEX_PIXEL_WEIGHT`)
# whose reason sections 4 and 5 work out.  Both complex models decode with
# the plain inverse STFT (`EXACT_INVERSE`); notebook 07 shows what the
# package's default adds.  Printed for each: the shape of
# its training arrays, their range, and how many values fall beyond +-1 in
# each channel.

# %%
def network(**changes: float) -> VAEGANConfig:
    """The network settings every model of this notebook shares, with loss
    weights changed by ``changes``."""
    return VAEGANConfig(latent_dim=LATENT_DIM, widths=DECODER_WIDTHS,
                        encoder_widths=ENCODER_WIDTHS, disc_widths=DISC_WIDTHS,
                        kl_weight=KL_WEIGHT, gan_weight=GAN_WEIGHT, **changes)


LOSS_CHANGES = {"magnitude": {}, "logmag_if": {},
                "real_imag": {"waveform_weight": WAVEFORM_WEIGHT,
                              "pixel_weight": COMPLEX_PIXEL_WEIGHT}}
corpus = datasets.make_corpus(kinds=KINDS, clips_per_kind=CLIPS_PER_KIND, seed=SEED)
print(corpus.summary())
models = {name: AudioModel.build(ModelConfig(
              name, STFT, network(**LOSS_CHANGES[name]),
              representation_options=None if name == "magnitude" else EXACT_INVERSE),
              corpus, seed=SEED)
          for name in NAMES}
train_waves = corpus.waves("train")
for name, model in models.items():
    x = model.representation.encode_batch(train_waves)
    share = np.mean(np.abs(x) > 1, axis=(0, 1, 2))
    print(f"{name:>10}: x {x.shape}, range [{x.min():.2f}, {x.max():.2f}], "
          f"beyond +-1 per channel: {', '.join(f'{s:.2%}' for s in share)}")
assert models["magnitude"].representation.shape() == (128, 128, 1)
assert (models["real_imag"].representation.shape()
        == models["logmag_if"].representation.shape() == (128, 128, 2))

# %% [markdown]
# What each model sees of the hum clip above.  The magnitude is the same
# picture in `magnitude` and channel 0 of `logmag_if`.  The real part
# (`real_imag`, channel 0) is the magnitude times the cosine of the phase: in
# the bins of every partial it flips sign from frame to frame in a pattern
# set by the partial's exact frequency, a fine texture that a convolutional
# decoder must draw stroke by stroke.  The instantaneous frequency has
# structure where there is sound: each bin near a partial reports the
# partial's frequency relative to the bin's own centre, so a partial shows
# as a pair of bands, red (positive) in the bins just below it and blue in
# those just above, wobbling with the hum's jitter.  Between the partials,
# greyed out here, the model sees noise: the IF of bins that hold only
# background noise is random.

# %%
hum_x = {name: models[name].representation.encode(hum) for name in NAMES}
hum_db = spectral.amplitude_to_db(np.abs(hum_spec), ref="max")
hum_if_shown = np.ma.masked_where(hum_db < -40, hum_x["logmag_if"][..., 1])
extent = (times[0], times[-1], freqs[0], freqs[-1])
panels = [("magnitude: normalised log magnitude", hum_x["magnitude"][..., 0]),
          ("real_imag: real part (compressed, scaled)", hum_x["real_imag"][..., 0]),
          ("logmag_if: IF (grey: over 40 dB below the peak)", hum_if_shown)]
cmap = plt.get_cmap("RdBu_r").with_extremes(bad="lightgrey")
fig, axes = plt.subplots(1, 3, figsize=(16, 3.8))
for ax, (title, values) in zip(axes, panels):
    image = ax.imshow(values, origin="lower", aspect="auto", extent=extent, cmap=cmap,
                      vmin=-1, vmax=1, interpolation="nearest")
    ax.set(xlabel="Time (s)", ylabel="Frequency (Hz)", title=title, ylim=(0, 1000))
    fig.colorbar(image, ax=ax, pad=0.01, label="model input value (dimensionless)")
plt.show()

# %% [markdown]
# ## 3. The floor of each representation
#
# Before any training: how good is a *perfect* model of each representation?
# Encode the held-out clips and decode them straight away
# (`representation.round_trip`).  The reference is each clip low-passed at
# the 2 kHz crop with its true phase (`spectral.lowpass_reference`), so the
# numbers are about the representation, not the crop.  The waveform SNR only
# means something where the phase survives; the log-spectral distance
# compares magnitudes only.  Two extra rows: the true magnitudes with random
# phases (what "no phase at all" sounds like), and `logmag_if` with its log
# magnitude clipped to [-1, 1] as the magnitude representation clips it.

# %%
test_waves = corpus.waves("test")
test_labels = corpus.labels("test")
n_samples = test_waves.shape[-1]
lowpass = spectral.lowpass_reference(test_waves, STFT)
true_mag = spectral.magnitudes(test_waves, STFT)
floor_waves = {name: models[name].representation.round_trip(test_waves) for name in NAMES}
rng = np.random.default_rng(SEED)
random_phase = spectral.istft(
    spectral.uncrop(true_mag * np.exp(2j * np.pi * rng.random(true_mag.shape)), STFT), STFT,
    length=n_samples)
if_rep = models["logmag_if"].representation
x_clipped = if_rep.encode_batch(test_waves)
x_clipped[..., 0] = np.clip(x_clipped[..., 0], -1.0, 1.0)
clipped = if_rep.decode_batch(x_clipped, n_samples)
gl_iters = models["magnitude"].representation.n_iter
floor_rows = {"magnitude, random phase": random_phase,
              f"magnitude + Griffin-Lim ({gl_iters} iterations)": floor_waves["magnitude"],
              "real_imag, inverse STFT": floor_waves["real_imag"],
              "logmag_if, integrated IF + inverse STFT": floor_waves["logmag_if"],
              "logmag_if, log magnitude clipped to [-1, 1]": clipped}
floor = {}
lines = ["| perfect model of | waveform SNR (dB) | log-spectral distance (dB) | "
         "multi-resolution STFT distance |", "|---|---:|---:|---:|"]
for label, wave in floor_rows.items():
    snr = float(np.mean(metrics.snr_db(lowpass, wave)))
    lsd = float(np.mean(metrics.log_spectral_distance(true_mag,
                                                      spectral.magnitudes(wave, STFT))))
    mrstft = float(metrics.multi_resolution_stft_distance(lowpass, wave, STFT.sr))
    floor[label] = {"snr": snr, "lsd": lsd}
    lines.append(f"| {label} | {snr:.1f} | {lsd:.2f} | {mrstft:.3f} |")
display(Markdown("\n".join(lines)))
snr_floor = {name: float(np.mean(metrics.snr_db(lowpass, floor_waves[name]))) for name in NAMES}
assert snr_floor["real_imag"] > 60 and snr_floor["logmag_if"] > 60
assert snr_floor["magnitude"] < 10

# %% [markdown]
# What clipping would cost, kind by kind: the waveform SNR of the exact
# `logmag_if` round trip against the clipped one (mean over the held-out
# clips of each kind, and the worst clip).

# %%
snr_exact = metrics.snr_db(lowpass, floor_waves["logmag_if"])
snr_clipped = metrics.snr_db(lowpass, clipped)
for kind in corpus.kinds:
    rows = np.array([label == kind for label in test_labels])
    if rows.any():
        print(f"{kind:>14}: exact {snr_exact[rows].mean():6.1f} dB, clipped "
              f"{snr_clipped[rows].mean():6.1f} dB (worst clip {snr_clipped[rows].min():.1f} dB)")

# %% [markdown]
# The complex representations lose nothing (their SNR is float32
# round-off).  The magnitude's floor is Griffin-Lim's: its magnitudes come
# close, but its phase is not the clip's, so the waveform is a different one
# (an SNR at or below 0 dB means the error is as large as the signal) even
# where it sounds alike.  Random phases are no worse by that measure (both
# waveforms are unrelated to the original) but far worse in magnitude: the
# sound they make does not even have the magnitudes they started from (the
# cell below prints the two log-spectral distances).  Listen on the hum
# clip of the test split:

# %%
gl_label = f"magnitude + Griffin-Lim ({gl_iters} iterations)"
print(f"log-spectral distance: random phase {floor['magnitude, random phase']['lsd']:.1f} dB, "
      f"Griffin-Lim {floor[gl_label]['lsd']:.1f} dB")
i_hum = test_labels.index("hum")
for label, wave in (("original, low-passed at 2 kHz", lowpass[i_hum]),
                    *((name, w[i_hum]) for name, w in floor_rows.items())):
    display(Markdown(f"*{label}*"), Audio(wave, rate=STFT.sr))

# %% [markdown]
# ## 4. Why a squared error on real and imaginary parts gives silence
#
# Notebook 05's model learns by a pointwise squared error between its input
# and its reconstruction, bin by bin.  On log magnitudes that works: a bin's
# value says how loud it is, and nearby clips of a kind have similar values.
# On real and imaginary parts it does not.  The real part of a bin is its
# magnitude times the cosine of its phase, and the phase of a jittering
# partial, of beating bees and of noise is, for a model that sees a short
# code, unpredictable: the same spectrogram in magnitude can have either
# sign in every bin.  The squared error's best answer to a value whose sign
# it cannot predict is the mean, and the mean of a bin over clips whose
# phases are unrelated is zero.  Measured on the training clips: the mean of
# each bin over the clips, against its RMS, in the louder half of the bins.
# For `n` values of random sign the ratio would be about `1/sqrt(n)`.

# %%
ri_rep = models["real_imag"].representation
x_train_ri = ri_rep.encode_batch(train_waves)                   # (n, freq, time, 2)
bin_mean = np.abs(x_train_ri.mean(axis=0))
bin_rms = np.sqrt(np.mean(x_train_ri ** 2, axis=0))
louder = bin_rms > np.median(bin_rms)
mean_to_rms = float(np.median(bin_mean[louder] / bin_rms[louder]))
print(f"median |mean| / RMS over the louder half of the bins: {mean_to_rms:.3f}; "
      f"1/sqrt(n) for n = {len(x_train_ri)} training clips: {1 / np.sqrt(len(x_train_ri)):.3f}")

# %% [markdown]
# The mean carries no more than chance.  Worse, the squared error ranks
# wrong answers against what we hear.  Take two wrong answers for the
# held-out clips: silence (every part 0), and the clips' true magnitudes with
# Griffin-Lim's phase (section 3's floor: nearly the right sound).  Score both
# with the squared error on the parts (summed over bins, per clip, as the
# model's `pixel` term) and with the multi-resolution STFT loss on their audio
# (`losses.multi_resolution_stft_loss`, which notebook 09 uses too: spectral
# convergence plus log-magnitude distance at six FFT sizes, 64 to 2048
# samples).

# %%
x_true = ri_rep.encode_batch(test_waves)                        # what the model is shown
answers = {"silence (all parts 0)": np.zeros_like(lowpass),
           "true magnitudes, Griffin-Lim's phase": floor_waves["magnitude"],
           "the clip itself (low-passed)": lowpass}
scores = {label: (float(losses.mse_pixels(x_true, ri_rep.encode_batch(wave))),
                  float(losses.multi_resolution_stft_loss(lowpass, wave)))
          for label, wave in answers.items()}
lines = ["| answer | squared error on the parts (per clip) | multi-resolution STFT loss |",
         "|---|---:|---:|"]
lines += [f"| {label} | {sq:.1f} | {mr:.3f} |" for label, (sq, mr) in scores.items()]
display(Markdown("\n".join(lines)))
sq_silence, mr_silence = scores["silence (all parts 0)"]
sq_gl, mr_gl = scores["true magnitudes, Griffin-Lim's phase"]
print(f"squared error prefers {'silence' if sq_silence < sq_gl else 'the Griffin-Lim sound'} "
      f"(silence {sq_silence:.1f} vs {sq_gl:.1f}); the STFT loss prefers "
      f"{'silence' if mr_silence < mr_gl else 'the Griffin-Lim sound'} "
      f"({mr_silence:.2f} vs {mr_gl:.2f})")

# %% [markdown]
# Read the line under the table.  For two vectors at unrelated angles the
# expected squared error is the sum of their squared lengths, twice the
# squared length of the target, which is what silence costs: a right
# magnitude with the wrong phase is punished harder than no sound at all, so
# a model that cannot get the phase right is pushed to output nothing.  The
# STFT loss compares what we hear and ranks the two the other way.
#
# Now the model itself: `real_imag` trained by the squared error alone (the
# class defaults, `pixel_weight=1`, no waveform term), briefly:
# `DIAGNOSIS_EPOCHS` epochs.  Three checks, printed below: its squared error
# against that of the constant answer 0 (`losses.mse_pixels` against zeros,
# on the training arrays), the level of what its decoder draws for held-out
# clips against the level of those clips' arrays, and the loudest sample of
# its generated audio against the held-out clips'.

# %%
mse_only = AudioModel.build(ModelConfig("real_imag", STFT, network(),
                                       representation_options=EXACT_INVERSE),
                           corpus, seed=SEED)
print(f"{MSE_ONLY}: waveform_weight {mse_only.config.network.waveform_weight}, "
      f"pixel_weight {mse_only.config.network.pixel_weight}")
mse_run = mse_only.train(corpus, epochs=DIAGNOSIS_EPOCHS, batch_size=BATCH_SIZE, seed=SEED,
                         verbose=VERBOSE)
assert mse_run.finite, mse_run.event
zero_loss = float(losses.mse_pixels(x_train_ri, np.zeros_like(x_train_ri)))
mse_pixel = mse_run.history.history["pixel"]                      # one value per epoch
drawn_back = np.asarray(mse_only.network.decode(mse_only.encode(test_waves)))  # (n, f, t, 2)
drawn_level_db = 20 * np.log10(np.sqrt(np.mean(np.square(drawn_back)))
                         / np.sqrt(np.mean(np.square(x_true))))
mse_peak = float(np.abs(mse_only.generate(N_LISTEN, seed=SEED)).max())
print(f"training squared error, last epoch: {mse_pixel[-1]:.1f}; of the answer 0: "
      f"{zero_loss:.1f} (ratio {mse_pixel[-1] / zero_loss:.2f})")
print(f"level of the decoded arrays re the held-out arrays: {drawn_level_db:.1f} dB")
print(f"loudest generated sample: {mse_peak:.2g}; loudest held-out sample: "
      f"{np.abs(test_waves).max():.2f}")

# %% [markdown]
# Read the three lines above: a ratio near 1 is a model at the answer 0, a
# level far below 0 dB is a decoder that draws almost nothing, and a
# generated peak far below the data's is silence.  Training longer does not
# change what the loss asks for: the squared error's best answer stays the
# mean, zero.
#
# ## 5. Judge the complex output by its sound
#
# The cure follows from the table above: score the model's real and
# imaginary parts by the sound they make, not bin by bin.  The
# representation's inverse (undo the per-frequency scale and the power law,
# inverse STFT) is differentiable, so it can run inside the training graph.
# `layers.CompressedComplexToWave` is its TensorFlow twin:

# %%
show_source(layers.CompressedComplexToWave.call)

# %% [markdown]
# Twin means the same numbers: the layer against
# `RealImagRepresentation.decode_batch` on the held-out arrays.

# %%
to_wave = models["real_imag"].network.waveform                  # built by VAEGANConfig.build
wave_tf = np.asarray(to_wave(x_true))
wave_np = ri_rep.decode_batch(x_true, n_samples)
twin_error = float(np.abs(wave_tf - wave_np).max() / np.abs(wave_np).max())
print(f"largest difference, re the loudest sample: {twin_error:.1e}")
assert twin_error < 1e-3

# %% [markdown]
# `VAEGAN.compute_losses` then adds the multi-resolution STFT loss between
# the audio of the input and the audio of the reconstruction, weighted by
# `waveform_weight` (the config's `log_magnitude_weight` adds a phase-free
# log-magnitude distance on the parts; the package's default network sets
# it to 0.01, and we leave it at 0 here to see the waveform loss alone).  The squared
# error stays, at `COMPLEX_PIXEL_WEIGHT`, as a gentle pull towards the true
# parts; and the six STFTs are the loss itself:

# %%
show_source(vaegan.VAEGAN.compute_losses, "if self.waveform_weight:", "gan_kw = ")
show_source(losses.multi_resolution_stft_loss, "total = 0.0")

# %% [markdown]
# Why these weights: the two terms come in very different units (a sum over
# 32768 squared values against an average of six spectral distances).  At
# the silent answer, weighted by `WAVEFORM_WEIGHT` and `COMPLEX_PIXEL_WEIGHT`,
# they weigh as printed below: the larger of the two is what pushes the
# decoder.

# %%
print(f"silence: {WAVEFORM_WEIGHT:g} x STFT loss {mr_silence:.2f} = "
      f"{WAVEFORM_WEIGHT * mr_silence:.0f}; {COMPLEX_PIXEL_WEIGHT:g} x squared error "
      f"{sq_silence:.0f} = {COMPLEX_PIXEL_WEIGHT * sq_silence:.0f}")
print("the larger term at silence: "
      + ("the sound's" if WAVEFORM_WEIGHT * mr_silence > COMPLEX_PIXEL_WEIGHT * sq_silence
         else "the squared error's"))

# %% [markdown]
# ## 6. The same model, the same budget, three representations
#
# `AudioModel.build` handed each `VAEGANConfig` to `vaegan.build_vaegan`,
# notebook 05's model for any `(freq, time, channels)`: the same encoder,
# decoder, discriminator and optimisers.  The representation chooses the
# decoder's output activation (the config's `output_activation="auto"` takes
# the representation's) and the model's name; `real_imag` also gets the
# waveform layer.

# %%
show_source(VAEGANConfig.build)
show_source(vaegan.build_vaegan, "activation = (")

# %% [markdown]
# Train each for `EPOCHS` epochs on the same clips in the same order
# (`model.train` orders the batches by seed and epoch, and stops at the first
# non-finite loss).  Each run prints its steps and seconds.

# %%
runs = {}
for name, model in models.items():
    rep = model.representation
    print(f"--- {name}: input {rep.shape()}, output activation "
          f"{rep.output_activation or 'linear'}, waveform_weight "
          f"{model.config.network.waveform_weight:g}")
    runs[name] = model.train(corpus, epochs=EPOCHS, batch_size=BATCH_SIZE, seed=SEED,
                             verbose=VERBOSE)
for name, run in runs.items():
    print(f"{name:>10}: {run}")
    assert run.finite, run.event

# %% [markdown]
# The two complex models are saved for `python -m beeutils.generate`, each
# with the representation that turns its output into sound (`real_imag`
# with its waveform loss), under names that start with this notebook's
# number, so that they never replace the benchmark's models (0-8 kHz), which
# notebook 10 loads.  The magnitude model is not saved: notebook 05 trained
# its own for longer.

# %%
for name in ("real_imag", "logmag_if"):
    saved = models[name].save(model_path(f"06_{name}"))
    print(f"saved {saved.relative_to(beeutils.config.ROOT)} (+ {saved.with_suffix('.json').name})")

# %% [markdown]
# The reconstruction loss of each model on training and validation clips.
# They are in different units (a representation's squared error, or the
# STFT loss for `real_imag`), so compare shapes, not heights: does it fall,
# and does validation follow?  The squared-error-only model's panel also
# shows the squared error of the answer 0 (dashed).

# %%
curves = [("magnitude", runs["magnitude"], "pixel", "squared error, summed over bins"),
          (MSE_ONLY, mse_run, "pixel", "squared error, summed over bins"),
          ("real_imag", runs["real_imag"], "waveform", "multi-resolution STFT loss"),
          ("logmag_if", runs["logmag_if"], "pixel", "squared error, summed over bins")]
fig, axes = plt.subplots(1, 4, figsize=(19, 3.3))
for ax, (name, run, key, what) in zip(axes, curves):
    plotting.plot_losses(run.history, ax, keys=[key, f"val_{key}"], title=f"{name}:\n{what}")
    ax.set_ylabel(f"{what} (dimensionless)")
axes[1].axhline(zero_loss, color="grey", ls="--", label="the answer 0")
axes[1].legend(fontsize="small")
plt.show()

# %% [markdown]
# ## 7. The numbers
#
# `evaluate.evaluate_model` asks each model for audio, through the same
# `AudioModel` calls for all: reconstructions of the held-out clips and
# `N_GENERATED` decoded prior samples, each turned into sound by the model's
# own representation (`decode` -> `network.decode_waves` ->
# `representation.decode_batch`).  It hands the audio to
# `evaluate.evaluate_waves`, the one yardstick of the series (notebooks 05
# to 07, 09 and 10 and the benchmark): everything in the model's band (0-2
# kHz here, 0-8 kHz in notebook 10 and the benchmark) against the clips
# low-passed there with their true phase.
#
# - **reconstruction**: waveform SNR (only a model that keeps phase can score
#   above 0 dB), log-spectral distance and spectral convergence of the
#   magnitudes, multi-resolution STFT distance, and the pitch error on
#   held-out hum.  The floor row is section 3's round trip measured the way
#   the reconstructions are (the audio band-limited once more, which leaks a
#   little), so it sits slightly above section 3's table;
# - **consistency**: spectral convergence between the magnitude a model
#   *meant* for its prior samples (`model.intended_magnitudes`) and the
#   magnitude of the audio that comes out.  A generated spectrogram need not
#   be the STFT of any signal; Griffin-Lim and the inverse STFT each turn it
#   into the nearest thing that is, and this measures how far that moved it;
# - **generation**: Frechet distance ratio (1 = as close as real held-out
#   clips are to the training clips), NDB/K, the f0 distribution distance
#   and the share of hum-pitched samples (real data: the held-out share).

# %%
show_source(evaluate.evaluate_model, "original = corpus.waves(split)",
            'metrics["generate_x_realtime"]')
show_source(AudioModel.decode)
show_source(vaegan.VAEGAN.decode_waves)
show_source(vaegan.VAEGAN.intended_magnitudes)

# %% [markdown]
# Each model through that one function, section 4's squared-error-only
# model included (it trained `DIAGNOSIS_EPOCHS` epochs, the others `EPOCHS`:
# its training-time rows are not comparable); the table is
# `evaluate.comparison_table`, the renderer every notebook uses.

# %%
evaluated = {"magnitude": models["magnitude"], MSE_ONLY: mse_only,
             "real_imag": models["real_imag"], "logmag_if": models["logmag_if"]}
results, eval_waves = {}, {}
for name, model in evaluated.items():
    start = time.perf_counter()
    results[name], eval_waves[name] = evaluate.evaluate_model(
        model, corpus, n_generated=N_GENERATED, seed=SEED, return_waves=True)
    print(f"{name:>30}: evaluated in {time.perf_counter() - start:.0f} s (decoding included)")
display(Markdown(evaluate.comparison_table(results)))
print(f"held-out share of hum-pitched clips: {results['magnitude']['data_share_hum_band']:.2f}; "
      f"Frechet distance floor (train vs held-out): {results['magnitude']['fd_floor']:.1f}")
for name, scores_ in results.items():
    for key in ("recon_snr_db", "recon_lsd_db", "recon_mrstft", "consistency_sc_db",
                "fd_ratio", "ndb_k"):
        assert np.isfinite(scores_[key]), (name, key)
    assert eval_waves[name]["generated"].shape == (N_GENERATED, n_samples)
gen_peak = {name: float(np.abs(eval_waves[name]["generated"]).max()) for name in evaluated}
print("loudest generated sample (0-2 kHz): "
      + ", ".join(f"{name} {peak:.2g}" for name, peak in gen_peak.items()))

# %% [markdown]
# ## 8. Listen
#
# First the reconstructions: one row per model, one held-out clip of each
# kind per column; the top row is the original low-passed at 2 kHz (what a
# perfect model would return), the others each model's reconstruction
# through its own inverse.

# %%
pick = [test_labels.index(kind) for kind in corpus.kinds]
display(listening_grid({"original (0-2 kHz)": lowpass[pick],
                        **{name: eval_waves[name]["recon"][pick] for name in evaluated}},
                       list(corpus.kinds), STFT.sr))

# %% [markdown]
# The same reconstructions as spectrograms (dB re the original's loudest
# bin), for the hum, a toot and worker piping: the kinds where steady
# partials, pulses and glides each test something different.

# %%
show_kinds = [kind for kind in ("hum", "queen_toot", "worker_pipe") if kind in corpus.kinds]
columns = ["original", *evaluated]
fig, axes = plt.subplots(len(show_kinds), len(columns), figsize=(20, 2.7 * len(show_kinds)),
                         squeeze=False)
for row, kind in enumerate(show_kinds):
    i = test_labels.index(kind)
    ref = float(true_mag[i].max())
    mags = [true_mag[i]] + [spectral.magnitudes(eval_waves[n]["recon"][i], STFT)
                            for n in evaluated]
    for col, (mag, what) in enumerate(zip(mags, columns)):
        plotting.show_spectrogram(mag, STFT, axes[row, col], ref=ref, vmin=-80, vmax=0,
                                  colorbar=col == len(columns) - 1,
                                  title=f"{kind}: {what}")
plt.show()

# %% [markdown]
# Now generation: `N_LISTEN` prior samples of each model, decoded by its own
# inverse.

# %%
display(listening_grid({name: eval_waves[name]["generated"][:N_LISTEN] for name in evaluated},
                       [f"sample {j}" for j in range(N_LISTEN)], STFT.sr))

# %% [markdown]
# Consistency, seen.  What a decoder *meant* is the array it drew for a
# latent, read as magnitudes by its representation; the same prior latents
# as `evaluate_model` (`model.prior_latents(N_GENERATED, SEED)`) give the
# same samples.  For the first prior sample of each model: the magnitude it
# meant to produce (top) and the magnitude of the sound that came out
# (bottom).  Where the two differ, the decoded spectrogram was not the STFT
# of any signal and the inverse had to compromise.

# %%
gen_drawn, gen_mag = {}, {}
for name, model in evaluated.items():
    gen_drawn[name] = model.network.decode(model.prior_latents(N_GENERATED, SEED))
    gen_mag[name] = model.representation.magnitudes(gen_drawn[name])   # (n, freq, time)
fig, axes = plt.subplots(2, len(evaluated), figsize=(19, 5.4))
for col, name in enumerate(evaluated):
    meant = gen_mag[name][0]
    produced = spectral.magnitudes(eval_waves[name]["generated"][0], STFT)
    ref = float(meant.max())
    last = col == len(evaluated) - 1
    plotting.show_spectrogram(meant, STFT, axes[0, col], ref=ref, vmin=-80, vmax=0,
                              colorbar=last, title=f"{name}: meant")
    plotting.show_spectrogram(produced, STFT, axes[1, col], ref=ref, vmin=-80, vmax=0,
                              colorbar=last,
                              title=f"produced ({results[name]['consistency_sc_db']:.1f} dB "
                                    "mean SC)")
plt.show()

# %% [markdown]
# ## 9. What the numbers say
#
# The cell below reads your run's numbers and prints, for each question,
# the comparison that answers it; the paragraphs say what to look for.  In
# fast mode (one epoch on a tiny corpus) the trained models have learnt next
# to nothing and only the floors are meaningful; run in full mode to judge
# the models.
#
# **The floor is real.**  With perfect magnitudes, Griffin-Lim gives back
# nearly the right spectrum but not the waveform, while both complex
# representations are exact (section 3).
#
# **The squared error alone teaches `real_imag` silence.**  Its best answer
# for a bin whose sign it cannot predict is the mean, zero; it scores a right
# magnitude with another phase worse than silence (section 4's table), and
# the model trained that way sits at the answer 0 (its loss ratio, its drawn
# level and its generated peak, printed below again).
#
# **Judged by its sound, does `real_imag` make sound?**  With the
# multi-resolution STFT loss through the in-graph inverse STFT, the same
# network on the same representation is compared below with its
# squared-error-only twin (log-spectral distance, Frechet ratio, loudest
# generated sample).
#
# **How far is each trained model from its floor?**  Where a trained model
# is still far above its representation's floor, what limits it is the
# model and its budget, not the phase.  The consistency row of section 7
# and the pictures of section 8 show the other gap: what a decoder draws is
# not always the STFT of any signal.  Notebook 07 takes that up.

# %%
mag, ri, lif, mse = (results[n] for n in (*NAMES, MSE_ONLY))
print("The floor (perfect models, section 3's table):")
for label, values in floor.items():
    print(f"  {label:>44}: waveform SNR {values['snr']:6.1f} dB, "
          f"log-spectral distance {values['lsd']:.2f} dB")
print(f"{MSE_ONLY}: training loss / that of the answer 0 = {mse_pixel[-1] / zero_loss:.2f}, "
      f"drawn level {drawn_level_db:.1f} dB re the data, loudest generated sample "
      f"{gen_peak[MSE_ONLY]:.2g} (data {np.abs(lowpass).max():.2f})")
print(f"real_imag, squared error only -> with the waveform loss: log-spectral distance "
      f"{mse['recon_lsd_db']:.1f} -> {ri['recon_lsd_db']:.1f} dB, Frechet ratio "
      f"{mse['fd_ratio']:.1f} -> {ri['fd_ratio']:.1f}, loudest generated sample "
      f"{gen_peak[MSE_ONLY]:.2g} -> {gen_peak['real_imag']:.2g}")
print("Trained models against their floors (log-spectral distance, dB, evaluate_model):")
for name in NAMES:
    r = results[name]
    print(f"  {name:>10}: {r['recon_lsd_db']:.2f} against a floor of {r['floor_lsd_db']:.2f} "
          f"({r['recon_lsd_db'] / max(r['floor_lsd_db'], 1e-9):.1f} times)")
best_snr = max(results[n]["recon_snr_db"] for n in NAMES)
print(f"Best trained waveform SNR on held-out clips: {best_snr:.2f} dB "
      f"({'positive' if best_snr > 0 else 'none positive'})")
print("Consistency of prior samples (dB, lower is better): " + ", ".join(
    f"{n} {results[n]['consistency_sc_db']:.2f}" for n in NAMES))
print("Training speed (examples/s): " + ", ".join(
    f"{n} {results[n]['train_examples_per_s']:.1f}" for n in NAMES)
    + f"; real_imag is {mag['train_examples_per_s'] / ri['train_examples_per_s']:.1f} times "
      "slower per example than magnitude")

# %% [markdown]
# ## What we learned
#
# - The phase of an STFT bin turns through several whole cycles per frame;
#   what carries information is its advance, the instantaneous frequency:
#   the exact pitch that sounds in the bin, frame by frame (section 1: closer
#   to the hum's true fundamental than the bin's centre is).
# - Keeping the phase makes the representation invertible: real/imaginary
#   parts and log magnitude + IF come back through the inverse STFT to
#   float32 round-off; magnitudes only through Griffin-Lim's estimate.
# - Raw complex values need an invertible compression (a phase-preserving
#   power law here) and per-frequency scaling before a network can learn
#   them; clipping them, as the magnitude representation does, would cost
#   the exact inverse on pulsed sounds.
# - A pointwise squared error on real and imaginary parts is the wrong loss:
#   a phase the model cannot predict makes its best answer zero, it ranks a
#   right-sounding answer with another phase below silence, and a model
#   trained by it outputs near silence (section 4).
# - Judging the complex output by its sound fixes that: the representation's
#   inverse as a layer (`layers.CompressedComplexToWave`) and a
#   multi-resolution STFT loss on its audio (`waveform_weight`), at the cost
#   of slower training per example (the table's training speed).
# - One contract serves every model: `AudioModel.build`, `train`, `save` and
#   `evaluate.evaluate_model` never ask which representation or loss they
#   hold; the representation alone decides how arrays become sound.
# - What a decoder draws need not be the STFT of any signal (section 8's
#   consistency pictures): how far each model is from its floor, and how far
#   its sound is from what it drew, are two different gaps.
#
# **Next:** [07 · Making the phase count](07_phase_decoding_and_onsets.ipynb):
# decoding `logmag_if` so that its sound matches what it drew, asking the
# complex output for consistency, and whether keeping the phase beats
# magnitudes + Griffin-Lim at the onsets of pulsed sounds.
