# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 05 · Complex spectrograms against magnitudes
#
# The STFT is complex, and notebook 04 threw half of it away.  Here we keep
# the phase, in two ways, train the *same* VAE-GAN with the *same* budget on
# each representation, and measure all three with the same yardstick.
#
# **You will learn**
# - what the phase of an STFT is, seen on a bee's hum: a fast-turning angle
#   whose frame-to-frame advance, the *instantaneous frequency*, is the exact
#   pitch each "key" of the spectrogram plays;
# - three model-ready representations and their inverses: normalised log
#   magnitude (Griffin-Lim back to sound), real and imaginary parts of a
#   compressed STFT (exact inverse STFT), and GANSynth's log magnitude +
#   instantaneous frequency (exact, by integrating the frequency);
# - how each representation's own floor (a perfect model's error) compares
#   with what a trained model reaches;
# - how to read a comparison of generators: reconstruction, consistency of
#   the output, generation, training time, and your ears.
#
# **Prerequisites:** `04_magnitude_vaegan` (the model, its training and the
# metrics); `02_bee_audio_and_stft` for the STFT.
#
# **Run time on a CPU:** most of a full-mode run is training the three
# models, `EPOCHS` epochs each; the training cell prints the time each model
# took on your machine, and the tables of sections 5 and 8 repeat it.  Fast
# mode (`BEE_FAST=1`) trains a tiny corpus for one epoch and is checked by the
# test suite to stay within its fast-mode time budget.

# %% [markdown]
# ## Setup

# %%
import os
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import HTML, Audio, Markdown, display

import beeutils
from beeutils.data import datasets
from beeutils.data import synth
from beeutils.dsp import representations
from beeutils.dsp import spectral
from beeutils.dsp.spectral import STFTConfig
from beeutils.evaluation import evaluate
from beeutils.evaluation import metrics
from beeutils.models import vaegan
from beeutils.models.audio_model import AudioModel, model_path
from beeutils.models.configs import ModelConfig, VAEGANConfig
from beeutils.source import show_source
from beeutils.ui import plotting

CFG = beeutils.setup(seed=0)
print(f"fast mode: {CFG.fast}")

# %% [markdown]
# Everything you may want to change.  The three models share every setting
# but the representation; only the decoder's last activation follows the
# range of its input (`tanh` for values clipped to [-1, 1], linear
# otherwise).  Fast mode trains a tiny corpus for one epoch: it checks that
# the code runs, not that the models sound good.

# %%
SEED = 0
KINDS = ("hum", "queen_toot", "worker_pipe") if CFG.fast else synth.KINDS
CLIPS_PER_KIND = 4 if CFG.fast else 40      # 80 % train, 10 % validation, 10 % test
EPOCHS = 1 if CFG.fast else 25              # the same budget for every representation
BATCH_SIZE = 4 if CFG.fast else 16
LATENT_DIM = 32
ENCODER_WIDTHS = (16, 32, 64, 128)          # as in notebook 04
DECODER_WIDTHS = (8, 16, 32, 64)
DISC_WIDTHS = (16, 32, 64)
KL_WEIGHT = 1.0
GAN_WEIGHT = 1.0
N_GENERATED = 8 if CFG.fast else 256        # prior samples for the generation metrics
N_LISTEN = 2 if CFG.fast else 4             # prior samples per model in the listening grid
VERBOSE = 2                                 # Keras: one line per epoch
NAMES = ("magnitude", "real_imag", "logmag_if")
IF_DITHER_DB = -40.0                        # section 7: random IF below this level (dB re peak)
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
# frames (256 samples, 16 ms) a 250 Hz partial turns through 4 whole cycles
# plus a fraction, and only the fraction is visible.  Middle: unwrapped.
# `np.unwrap` cannot do it here (it assumes less than half a turn per
# frame), but the bin's centre frequency tells us how many whole turns to
# add: 4 per frame.  Add them, keep the leftover fraction, and the phase is
# a straight ramp whose slope is the frequency; the dashed line is the ramp
# of the bin's *centre* frequency.  Right: the difference of the two, the
# phase relative to the bin centre: a slow drift.  Its slope says how far the
# partial sits from the bin's centre, and its wobble is the hum's pitch
# jitter and the beating of neighbouring bees.

# %%
phase = np.angle(hum_spec[k])
advance = representations.bin_phase_advance(STFT, STFT.n_freq_keep)[k]  # radians per hop
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
# **instantaneous frequency** (IF) that GANSynth (Engel et al. 2019) gives a
# model instead of the raw phase: in each bin, the phase advance since the
# previous frame minus the advance of the bin's centre frequency, wrapped
# into [-1, 1].  Converted to Hz it is the frequency that actually sounds in
# the bin, frame by frame:

# %%
show_source(representations.instantaneous_frequency, "phase = ")
show_source(representations.if_to_hz, "inst_freq = ")

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
# Back to the answer's picture of a keyboard turned 90 degrees: each
# frequency bin is a key, about 15.6 Hz wide, and the magnitude says how hard
# it is pressed.  The instantaneous frequency says *which pitch inside the
# key* the string plays at each moment (here a few Hz off the key's centre,
# wandering with the jitter), and the phase says where each string is in its
# cycle.  A magnitude spectrogram keeps the key presses and loses the
# tuning and the alignment; Griffin-Lim has to guess them back, and notebook
# 04 measured what the guess costs.  The question of this notebook: does a
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
# | `magnitude` | log magnitude, SpecGAN's per-frequency scaling (notebook 04) | clipped to [-1, 1] | Griffin-Lim: a phase is estimated |
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
# it would cost.  Its values (and `real_imag`'s) pass slightly beyond +-1, so
# those two decoders end in a linear layer instead of `tanh`.
#
# One call makes each model.  `AudioModel.build` takes a `ModelConfig`
# (which approach, which STFT grid, which network settings), fits the
# approach's representation on the corpus's training split and builds the
# network for its `(freq, time, channels)`, seeded.  The weights are
# random until section 4 trains them; until then we only use each model's
# fitted `representation`.

# %%
show_source(AudioModel.build)

# %% [markdown]
# The same corpus as notebook 04, and the three models, identical but for the
# approach name.  Printed for each: the shape of its training arrays, their
# range, and how many values fall beyond +-1 in each channel.

# %%
corpus = datasets.make_corpus(kinds=KINDS, clips_per_kind=CLIPS_PER_KIND, seed=SEED)
print(corpus.summary())
models = {
    name: AudioModel.build(
        ModelConfig(name, STFT, VAEGANConfig(
            latent_dim=LATENT_DIM, widths=DECODER_WIDTHS, encoder_widths=ENCODER_WIDTHS,
            disc_widths=DISC_WIDTHS, kl_weight=KL_WEIGHT, gan_weight=GAN_WEIGHT)),
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
# ## 4. The same model, the same budget, three representations
#
# `AudioModel.build` handed each `VAEGANConfig` to `vaegan.build_vaegan`,
# notebook 04's model for any `(freq, time, channels)`: the same encoder,
# decoder, discriminator, losses and optimisers.  The representation only
# chooses the decoder's output activation (the config's
# `output_activation="auto"` takes the representation's) and the model's
# name.

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
          f"{rep.output_activation or 'linear'}")
    runs[name] = model.train(corpus, epochs=EPOCHS, batch_size=BATCH_SIZE, seed=SEED,
                             verbose=VERBOSE)
for name, run in runs.items():
    print(f"{name:>10}: {run}")
    assert run.finite, run.event

# %% [markdown]
# The two complex models are saved where notebook 07 and
# `python -m beeutils.generate` look for them, each with the representation
# that turns its output into sound.  The magnitude model is not: notebook 04
# trained and saved its own for longer, and this one must not overwrite it.

# %%
for name in ("real_imag", "logmag_if"):
    saved = models[name].save(model_path(name))
    print(f"saved {saved.relative_to(beeutils.config.ROOT)} (+ {saved.with_suffix('.json').name})")

# %% [markdown]
# The reconstruction loss of each model on training and validation clips.
# The three are in different units (each representation's own squared
# error), so compare shapes, not heights: does it fall, and does validation
# follow?

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 3.3))
for ax, name in zip(axes, NAMES):
    plotting.plot_losses(runs[name].history, ax, keys=["pixel", "val_pixel"],
                         title=f"{name}: squared error, summed over bins")
    ax.set_ylabel(f"squared error ({name} units², summed)")
plt.show()

# %% [markdown]
# ## 5. The numbers
#
# `evaluate.evaluate_model` asks each model for audio, through the same
# `AudioModel` calls for all three: reconstructions of the held-out clips
# and `N_GENERATED` decoded prior samples, each turned into sound by the
# model's own representation (`decode` -> `network.decode_waves` ->
# `representation.decode_batch`).  It hands the audio to
# `evaluate.evaluate_waves`, the one yardstick of the series (notebooks 04 to
# 07 and the benchmark): everything in the 0-2 kHz band against the clips
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
# Each model through that one function; the table is `evaluate.comparison_table`,
# the renderer every notebook uses.

# %%
results, eval_waves = {}, {}
for name, model in models.items():
    start = time.perf_counter()
    results[name], eval_waves[name] = evaluate.evaluate_model(
        model, corpus, n_generated=N_GENERATED, seed=SEED, return_waves=True)
    print(f"{name:>10}: evaluated in {time.perf_counter() - start:.0f} s (decoding included)")
display(Markdown(evaluate.comparison_table(results)))
print(f"held-out share of hum-pitched clips: {results['magnitude']['data_share_hum_band']:.2f}; "
      f"Frechet distance floor (train vs held-out): {results['magnitude']['fd_floor']:.1f}")
for name, scores in results.items():
    for key in ("recon_snr_db", "recon_lsd_db", "recon_mrstft", "consistency_sc_db",
                "fd_ratio", "ndb_k"):
        assert np.isfinite(scores[key]), (name, key)
    assert eval_waves[name]["generated"].shape == (N_GENERATED, n_samples)

# %% [markdown]
# ## 6. Listen
#
# First the reconstructions: one held-out clip of each kind, the original
# low-passed at 2 kHz (what a perfect model would return), then each model's
# reconstruction through its own inverse.

# %%
def audio_html(wave: np.ndarray) -> str:
    """An HTML audio player for a table cell."""
    return Audio(wave, rate=STFT.sr)._repr_html_()


def audio_grid(rows: dict[str, list[np.ndarray]], columns: list[str]) -> HTML:
    """A table of audio players: one row per entry, one column per name."""
    head = "<tr><th></th>" + "".join(f"<th>{c}</th>" for c in columns) + "</tr>"
    body = "".join(f"<tr><td><b>{label}</b></td>"
                   + "".join(f"<td>{audio_html(w)}</td>" for w in waves) + "</tr>"
                   for label, waves in rows.items())
    return HTML(f"<table>{head}{body}</table>")


pick = [test_labels.index(kind) for kind in corpus.kinds]
display(audio_grid({test_labels[i]: [lowpass[i]] + [eval_waves[n]["recon"][i] for n in NAMES]
                    for i in pick}, ["original (0-2 kHz)", *NAMES]))

# %% [markdown]
# The same reconstructions as spectrograms (dB re the original's loudest
# bin), for the hum, a toot and worker piping: the kinds where steady
# partials, pulses and glides each test something different.

# %%
show_kinds = [kind for kind in ("hum", "queen_toot", "worker_pipe") if kind in corpus.kinds]
fig, axes = plt.subplots(len(show_kinds), 4, figsize=(16, 2.7 * len(show_kinds)),
                         squeeze=False)
for row, kind in enumerate(show_kinds):
    i = test_labels.index(kind)
    ref = float(true_mag[i].max())
    mags = [true_mag[i]] + [spectral.magnitudes(eval_waves[n]["recon"][i], STFT) for n in NAMES]
    for col, (mag, what) in enumerate(zip(mags, ["original", *NAMES])):
        plotting.show_spectrogram(mag, STFT, axes[row, col], ref=ref, vmin=-80, vmax=0,
                                  colorbar=col == 3, title=f"{kind}: {what}")
plt.show()

# %% [markdown]
# Now generation: `N_LISTEN` prior samples of each model, decoded by its own
# inverse.

# %%
display(audio_grid({name: list(eval_waves[name]["generated"][:N_LISTEN]) for name in NAMES},
                   [f"sample {j}" for j in range(N_LISTEN)]))

# %% [markdown]
# Consistency, seen.  What a decoder *meant* is the array it drew for a
# latent, read as magnitudes by its representation; the same prior latents
# as `evaluate_model` (`model.prior_latents(N_GENERATED, SEED)`) give the
# same samples.  For the first prior sample of each model: the magnitude it
# meant to produce (top) and the magnitude of the sound that came out
# (bottom).  Where the two differ, the decoded spectrogram was not the STFT
# of any signal and the inverse had to compromise.

# %%
gen_mag = {}
for name, model in models.items():
    drawn = model.network.decode(model.prior_latents(N_GENERATED, SEED))  # (n, freq, time, ch)
    gen_mag[name] = model.representation.magnitudes(drawn)                # (n, freq, time)
fig, axes = plt.subplots(2, 3, figsize=(15, 5.4))
for col, name in enumerate(NAMES):
    meant = gen_mag[name][0]
    produced = spectral.magnitudes(eval_waves[name]["generated"][0], STFT)
    ref = float(meant.max())
    plotting.show_spectrogram(meant, STFT, axes[0, col], ref=ref, vmin=-80, vmax=0,
                              colorbar=col == 2, title=f"{name}: meant")
    plotting.show_spectrogram(produced, STFT, axes[1, col], ref=ref, vmin=-80, vmax=0,
                              colorbar=col == 2,
                              title=f"produced ({results[name]['consistency_sc_db']:.1f} dB "
                                    "mean SC)")
plt.show()

# %% [markdown]
# ## 7. The click train of a mean IF, and a remedy
#
# Where the instantaneous frequency is unpredictable (bins holding only
# background noise), a decoder trained with a squared error predicts its
# mean, 0.  IF 0 in every such bin means each of them advances by exactly its
# centre frequency, and with a hop of a quarter window those advances are
# whole multiples of a quarter turn: every 4 frames all of them are back in
# line and add up to a click, a click train under the sound (a test in
# `tests/test_representations.py` shows it on a synthetic case).  Is that
# what makes the `logmag_if` output less consistent than the magnitude
# model's?  Noise's true IF is random, so decode with random IF in the quiet
# bins and measure: `LogMagIFRepresentation(...,
# dither_below_db=IF_DITHER_DB)` replaces the IF of bins more than
# `-IF_DITHER_DB` dB below the clip's loudest bin by uniform noise.  The
# network is the same trained one; only the decoding changes, so we wrap it
# in a second `AudioModel` with the dithered representation (and the same
# training record).

# %%
show_source(representations.LogMagIFRepresentation._decode)
print(f"frames per realignment: n_fft / hop = {STFT.n_fft // STFT.hop}, "
      f"i.e. a click train at {STFT.sr / STFT.n_fft:.1f} Hz")

# %% [markdown]
# Evaluate the same trained network through the dithered representation, and
# count how many of its generated bins the dither touches.

# %%
base = models["logmag_if"]
dithered_rep = representations.LogMagIFRepresentation.from_config(
    {**base.representation.get_config(), "dither_below_db": IF_DITHER_DB, "seed": SEED})
dithered = AudioModel(base.config, base.network, dithered_rep, base.kinds, base.n_samples)
dithered.train_result = base.train_result
results["logmag_if + dither"], eval_waves["logmag_if + dither"] = evaluate.evaluate_model(
    dithered, corpus, n_generated=N_GENERATED, seed=SEED, return_waves=True)
quiet = gen_mag["logmag_if"] < (gen_mag["logmag_if"].max(axis=(1, 2), keepdims=True)
                                * 10 ** (IF_DITHER_DB / 20))
print(f"bins dithered: {quiet.mean():.1%} of the generated spectrograms' bins")
fig, axes = plt.subplots(1, 2, figsize=(13, 3.2))
for ax, name in zip(axes, ("logmag_if", "logmag_if + dither")):
    produced = spectral.magnitudes(eval_waves[name]["generated"][0], STFT)
    plotting.show_spectrogram(produced, STFT, ax, vmin=-80, colorbar=ax is axes[-1],
                              title=f"prior sample 0 through {name}")
plt.show()
display(audio_grid({name: [eval_waves[name]["recon"][i_hum]]
                    + list(eval_waves[name]["generated"][:N_LISTEN])
                    for name in ("logmag_if", "logmag_if + dither")},
                   ["held-out hum", *(f"sample {j}" for j in range(N_LISTEN))]))

# %% [markdown]
# ## 8. All the numbers
#
# The table of section 5 with the dithered decoding as a fourth column: the
# same trained network as `logmag_if`, hence the same training time.  Its
# floor row is the dithered round trip of the true clips, what dithering
# costs a perfect model.

# %%
display(Markdown(evaluate.comparison_table(results)))

# %% [markdown]
# ## 9. What the numbers say
#
# The cell below reads your run's numbers and prints, for each question,
# the comparison that answers it.  In fast mode (one epoch on a tiny corpus)
# the trained models have learnt next to nothing and only the floors are
# meaningful; run in full mode to judge the models.  What a full-mode run
# showed when this notebook was written, and what to check in yours:
#
# **The floor is real.**  With perfect magnitudes, Griffin-Lim gives back
# nearly the right spectrum but not the waveform, while both complex
# representations are exact.  The claim that a magnitude spectrogram loses
# something holds for the representation.
#
# **But no model here comes near any floor.**  The magnitude model's
# reconstructions sit several times further (log-spectral distance) from the
# truth than Griffin-Lim's floor: what limits a VAE-GAN with a `LATENT_DIM`-number
# code after this budget is the model, not the missing phase.  And keeping the phase in the
# representation does not make a model reproduce it: no trained model
# reached a positive waveform SNR on held-out clips.  The exact phase of a
# jittering partial, of beating bees and of background noise cannot be
# predicted from so short a code, so the decoder cannot draw it.
#
# **`real_imag` fails outright.**  Its training loss stayed flat at the
# variance of the data: the decoder learnt to output the mean, zero, in every
# bin, which is near silence (by far the largest log-spectral distance and
# Frechet ratio of the table).  In those two channels the value of a bin
# flips sign from frame to frame at a rate set by the partial's exact
# frequency and starting phase; over the training clips the best
# squared-error guess for every bin is zero.  A VAE with a squared error is
# the wrong tool for raw phase.
#
# **`logmag_if` trains like the magnitude model**, as it should: the same
# magnitude channel, plus an IF channel that is predictable where there is
# sound.  Its reconstructions and generation came out close to the magnitude
# model's (on this data, ties), but its output is less self-consistent: the
# decoded IF and magnitudes do not form the STFT of any signal, and the
# inverse STFT leaves the mismatch in the sound as interference (the
# checkered texture and the stripes at the onset in the spectrograms above),
# where Griffin-Lim's iterations project the magnitude model's output onto
# a consistent one.  Dithering the IF of the quiet bins changed next to
# nothing: the model's spectrograms rarely drop `-IF_DITHER_DB` dB below
# their peak (the share of bins dithered, printed in section 7), so the click
# train of a mean IF is not the problem; the IF in the bins that sound is.
#
# **Where magnitude + Griffin-Lim is good enough:** here, everywhere.  At
# this model size and budget it was as good as or better than both complex
# representations on reconstruction, pitch and consistency, and it trains no
# slower (differences in training time on a shared machine are its load:
# two input channels only widen the first and last convolutions).  The phase
# floor would start to matter once the magnitudes come close to the truth
# (a much larger or longer-trained model), and first for pulsed
# sounds, whose onsets Griffin-Lim smears.  To get phase-coherent sound
# without asking a network to regress phase at all, generate the phase by
# construction: notebook 06's oscillator bank integrates its own frequencies.

# %%
mag, ri, lif, dith = (results[n] for n in (*NAMES, "logmag_if + dither"))
ri_pixel = runs["real_imag"].history.history["pixel"]                # one value per epoch
print("The floor (perfect models, section 3's table):")
for label, values in floor.items():
    print(f"  {label:>44}: waveform SNR {values['snr']:6.1f} dB, "
          f"log-spectral distance {values['lsd']:.2f} dB")
print("Trained models against their floors, both measured by evaluate_model "
      "(log-spectral distance, dB):")
for name in NAMES:
    r = results[name]
    print(f"  {name:>10}: {r['recon_lsd_db']:.2f} against a floor of {r['floor_lsd_db']:.2f} "
          f"({r['recon_lsd_db'] / max(r['floor_lsd_db'], 1e-9):.1f} times)")
best_snr = max(results[n]["recon_snr_db"] for n in NAMES)
print(f"Best trained waveform SNR on held-out clips: {best_snr:.2f} dB "
      f"({'positive' if best_snr > 0 else 'none positive'})")
print(f"real_imag against magnitude: log-spectral distance {ri['recon_lsd_db']:.1f} vs "
      f"{mag['recon_lsd_db']:.1f} dB, Frechet ratio {ri['fd_ratio']:.1f} vs "
      f"{mag['fd_ratio']:.1f}, last epoch's training loss / first epoch's: "
      f"{ri_pixel[-1] / ri_pixel[0]:.2f}")
print(f"logmag_if against magnitude: log-spectral distance {lif['recon_lsd_db']:.1f} vs "
      f"{mag['recon_lsd_db']:.1f} dB, multi-resolution {lif['recon_mrstft']:.2f} vs "
      f"{mag['recon_mrstft']:.2f}, Frechet ratio {lif['fd_ratio']:.2f} vs "
      f"{mag['fd_ratio']:.2f}, NDB/K {lif['ndb_k']:.2f} vs {mag['ndb_k']:.2f}")
print(f"Consistency (dB, lower is better): magnitude {mag['consistency_sc_db']:.2f}, "
      f"logmag_if {lif['consistency_sc_db']:.2f}, with dither {dith['consistency_sc_db']:.2f}; "
      f"Frechet ratio with dither {dith['fd_ratio']:.2f} vs {lif['fd_ratio']:.2f}")
print("Training time (s): " + ", ".join(f"{n} {results[n]['train_seconds']:.0f}" for n in NAMES)
      + f", {runs['magnitude'].steps} steps each")

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
# - One contract serves all three: `AudioModel.build`, `train`, `save` and
#   `evaluate.evaluate_model` never ask which representation they hold; the
#   representation alone decides how arrays become sound.
# - Dropping the phase does leave a floor (Griffin-Lim on perfect
#   magnitudes: close spectra, no waveform match), but a small VAE-GAN
#   trained on this budget sat far above it in full mode: at this scale the
#   model, not the phase, is the limit.
# - The same model on real and imaginary parts learnt nothing in full mode
#   (it output the mean, silence); on log magnitude + IF it matched the
#   magnitude model but its output was less consistent, and no
#   representation made the model reproduce held-out waveforms.  Magnitudes
#   + Griffin-Lim are good enough here.
#
# **Next:** [06 · An oscillator bank](06_oscillator_bank.ipynb): the answer's
# keyboard taken literally, a decoder that drives harmonic oscillators and
# filtered noise, with no spectrogram inversion at all.
