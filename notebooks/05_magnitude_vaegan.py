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
# # 05 · A magnitude VAE-GAN that works
#
# The repaired VAE-GAN, trained on normalised log-magnitude spectrograms of the
# synthetic bee corpus, turned back into sound with Griffin-Lim, and measured
# against the error floor that throwing the phase away leaves.
#
# **You will learn**
# - how to scale spectrograms for a generator: SpecGAN's per-frequency
#   statistics of the log magnitude, fitted on the training split only, and why
#   per-clip statistics are a trap;
# - the repaired model (every fix of notebook 04 switched on), built and
#   trained through `AudioModel`, the one contract every model of the series
#   follows (audio in, audio out), with a NaN watch; then saved and reloaded
#   with its normaliser;
# - how to look at and listen to reconstructions, prior samples and the latent
#   space;
# - Griffin-Lim: how a waveform is recovered from a magnitude, what that
#   costs (the *phase-less error floor*), and how our batched TensorFlow
#   version compares with librosa's (a better start than random phase waits
#   in notebook 07);
# - why samples from the N(0, I) prior can fall between kinds, how a
#   Gaussian mixture fitted to the training codes samples where they lie,
#   and how to tell whether the prior or the decoder holds what is left;
# - why a decoder's smooth magnitudes sound like the average of many noises,
#   and how a noise's texture turns them into a sample;
# - how to measure a generator with no pretrained network: log-spectral and
#   multi-resolution STFT distances, a Frechet distance on hand-made features,
#   NDB/K and the fundamental-frequency distribution.
#
# **Prerequisites:** `03_naive_port_and_nan` and `04_nan_causes_and_fixes`
# (why the naive port diverges, and the fixes); `02_bee_audio_and_stft` for
# the STFT.
#
# **Run time on a CPU:** most of it is training; the training cell prints the
# time it took on your machine and the evaluation cell its own.  A full run
# takes minutes; fast mode (`BEE_FAST=1`) checks that the code runs in well
# under the test suite's budget.

# %% [markdown]
# ## Setup

# %%
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")


import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Audio, Markdown, display
from sklearn.decomposition import PCA

import beeutils
from beeutils.data import datasets, synth
from beeutils.dsp import phase, spectral
from beeutils.dsp.normalize import DbRangeNormalizer, PerFrequencyNormalizer
from beeutils.dsp.representations import (MagnitudeRepresentation, make_representation,
                                           noise_texture)
from beeutils.dsp.spectral import STFTConfig
from beeutils.evaluation import bench, evaluate, metrics
from beeutils.models import vaegan
from beeutils.models.audio_model import AudioModel, model_path
from beeutils.models.configs import ModelConfig, VAEGANConfig
from beeutils.training import fit
from beeutils.ui import plotting

CFG = beeutils.setup(seed=0)
print(f"fast mode: {CFG.fast}")

# %% [markdown]
# Everything you may want to change.  Fast mode trains a tiny corpus for a
# few epochs: it checks that the code runs, not that the model sounds good.  The
# network constants fill the model's configuration in section 3.

# %%
SEED = 0
KINDS = ("hum", "queen_toot", "worker_pipe") if CFG.fast else synth.KINDS
CLIPS_PER_KIND = 4 if CFG.fast else 40      # 80 % train, 10 % validation, 10 % test
EPOCHS = 2 if CFG.fast else 60
BATCH_SIZE = 4 if CFG.fast else 16         # the benchmark and `train` take 4 (README recipe, 6)
LATENT_DIM = 32
ENCODER_WIDTHS = (16, 32, 64, 128)          # conv blocks, each halves freq and time
DECODER_WIDTHS = (8, 16, 32, 64)            # in reverse: 64 channels at 8 x 8 ... 8 at 128 x 128
DISC_WIDTHS = (16, 32, 64)
KL_WEIGHT = 1.0
GAN_WEIGHT = 1.0
N_SHOW = 3 if CFG.fast else 8               # prior samples shown and played
N_GENERATED = 12 if CFG.fast else 256       # prior samples for the generation metrics
N_LIBROSA = 2 if CFG.fast else 16           # clips for the Griffin-Lim comparison
VERBOSE = 2 if CFG.fast else 1              # Keras progress display
HUM_BAND = evaluate.HUM_BAND_HZ             # f0 band of colony hum, Hz
STFT = STFTConfig()                         # n_fft 1024, hop 256, crop 128 bins x 128 frames
MODEL_PATH = model_path("05_magnitude")     # build/models/ (fast/ in fast mode)
print(STFT)
print(f"model input: {STFT.n_freq_keep} bins x {STFT.n_frames} frames = 0-"
      f"{STFT.n_freq_keep * STFT.bin_hz:.0f} Hz x {STFT.n_frames * STFT.frame_seconds:.2f} s"
      f" ({STFT.n_freq_keep * STFT.n_frames} values per clip)")
print(f"hum band: {HUM_BAND[0]:.0f}-{HUM_BAND[1]:.0f} Hz")


# %% [markdown]
# As in notebook 02, a helper prints a function's source with its docstring
# folded away, so that we read the essential lines of `beeutils` as we meet
# them.  `show_source(obj, start, stop)` prints only the lines from the first
# one containing `start` up to (not including) the next one containing `stop`.

# %%
from beeutils.source import show_source  # noqa: E402  (docstring folded, optional excerpt)

# %% [markdown]
# ## 1. The data
#
# The synthetic corpus of notebook 02, split into training, validation and
# test clips within each kind (the summary below gives the counts).  The
# model sees the lowest bins of the STFT (where bee sounds live) over a fixed
# number of frames, the grid the setup cell printed: one magnitude
# spectrogram per clip, frequency by time.

# %%
corpus = datasets.make_corpus(kinds=KINDS, clips_per_kind=CLIPS_PER_KIND, seed=SEED)
print(corpus.summary())

# %% [markdown]
# ## 2. Scaling: per-frequency statistics, fitted on the training split
#
# Notebook 04 showed that raw magnitudes and raw decibels blow the losses up,
# and fixed it with one dB range for every bin, fitted on the training set
# (`DbRangeNormalizer`).  That is enough to stay finite.  Here we take one
# more step, SpecGAN's recipe (Donahue et al. 2019): take `log(|X| + 1e-6)`,
# subtract each frequency bin's mean and divide by its standard deviation
# (both over the whole training set), divide by 3 and clip to `[-1, 1]`, the
# range of a `tanh` output.  Per *frequency* because a spectrum is not flat:
# the bins at the common fundamentals and harmonics are louder on average than
# those between them and near the top of the band, and with one global range
# every bin carries that offset into the model (we compare the two below).
# The essential lines of `PerFrequencyNormalizer`:

# %%
show_source(PerFrequencyNormalizer.fit, "logs = ", "return self")
show_source(PerFrequencyNormalizer.transform, "mags = ")
show_source(PerFrequencyNormalizer.inverse, "if clip")

# %% [markdown]
# **Why not per-clip statistics?**  A popular tutorial min-max scales each
# spectrogram by its *own* minimum and maximum and keeps the two numbers to
# undo the scaling.  That works for reconstructing a clip you already have,
# but a generator drawing from the prior has no clip, hence no min and max:
# it cannot say how loud its output is.  Every number used to undo the scaling
# must be known without the clip; so it comes from the training set, is saved
# with the model, and held-out clips never touch it (their statistics would
# leak into the test).
#
# In the package this scaling is the *magnitude representation*, the object
# that turns waveforms into what the encoder reads and the decoder's output
# back into sound (notebook 06 adds others).  `AudioModel.build`, which we
# call in section 3, fits it on the training split alone before it builds the
# network.  Those lines of `AudioModel.build`, then what fitting and encoding
# do for magnitudes:

# %%
show_source(AudioModel.build, "waves = corpus.waves", "kinds = tuple")
show_source(MagnitudeRepresentation._fit)
show_source(MagnitudeRepresentation._encode)

# %% [markdown]
# To look at the statistics before there is a model, we do that first step by
# hand, exactly as `AudioModel.build` will (section 3 checks that the model
# holds the same numbers), and encode the training clips with it.

# %%
train_waves = corpus.waves("train")
rep = make_representation("magnitude", STFT).fit(train_waves)
norm = rep.normalizer
x_train = rep.encode_batch(train_waves)          # what the encoder reads
mags_train = spectral.magnitudes(train_waves, STFT)  # the cropped linear magnitudes
print(rep)
print(f"training inputs {x_train.shape} (clips, freq, time, channels), "
      f"from magnitudes {mags_train.shape}")

# %% [markdown]
# The fitted statistics: the mean log magnitude falls with frequency, with
# peaks at the fundamentals and harmonics most clips share (the cell prints
# the highest one above 100 Hz).  On the right, the values the model is
# trained on: most lie well inside `[-1, 1]`; what falls beyond 3 standard
# deviations is clipped (the title gives the share).

# %%
freqs = STFT.frequencies(cropped=True)
clipped = float(np.mean(np.abs(x_train) >= 1.0))
above_100 = freqs > 100
mean_peak_hz = float(freqs[above_100][np.argmax(norm.mean[above_100])])
fig, axes = plt.subplots(1, 3, figsize=(14, 3.4))
axes[0].plot(freqs, norm.mean)
axes[0].set(xlabel="Frequency (Hz)", ylabel="mean of ln magnitude", title="per-bin mean (train)")
axes[1].plot(freqs, norm.std, color="C1")
axes[1].set(xlabel="Frequency (Hz)", ylabel="std of ln magnitude", title="per-bin std (train)")
axes[2].hist(x_train.ravel(), bins=100, color="C2")
axes[2].set(xlabel="normalised value (dimensionless)", ylabel="bins (count)",
            title=f"model inputs: {clipped:.2%} clipped at +-1")
plt.show()
print(f"highest mean log magnitude above 100 Hz: {mean_peak_hz:.0f} Hz")
assert x_train.min() >= -1 and x_train.max() <= 1 and clipped < 0.02

# %% [markdown]
# Against notebook 04's single dB range (`DbRangeNormalizer`, here mapped to
# `[-1, 1]`): per bin, the average value the model would see.  With one range
# for all bins, the average input follows the shape of the corpus's spectrum,
# peaks at the shared partials and a slope toward the top of the band, which
# the model must learn before anything else; per-frequency statistics centre
# every bin on 0.  On this corpus the difference is modest, as the curve
# shows; the steeper a corpus's spectrum, the more it matters.

# %%
db_range = DbRangeNormalizer(top_db=80).fit(mags_train)
fig, ax = plt.subplots(figsize=(9, 3))
ax.plot(freqs, db_range.transform(mags_train).mean(axis=(0, 2)),
        label="one dB range for all bins (notebook 04)")
ax.plot(freqs, x_train[..., 0].mean(axis=(0, 2)), label="per-frequency (SpecGAN)")
ax.set(xlabel="Frequency (Hz)", ylabel="mean normalised value (dimensionless)",
       ylim=(-1.05, 1.05), title="average model input per frequency bin, training split")
ax.legend(fontsize="small")
plt.show()

# %% [markdown]
# The inverse is exact wherever nothing was clipped, so a round trip of the
# held-out magnitudes through the scaling should change them very little in
# the bins that matter: the cell prints by how much (log-spectral distance)
# and checks that it stays under a decibel.

# %%
mags_test = spectral.magnitudes(corpus.waves("test"), STFT)
back = norm.inverse(norm.transform(mags_test))
lsd_round_trip = float(np.mean(metrics.log_spectral_distance(mags_test, back)))
print(f"log-spectral distance of the round trip: {lsd_round_trip:.3f} dB")
assert lsd_round_trip < 1.0

# %% [markdown]
# ## 3. The repaired model
#
# The same VAE-GAN as notebooks 01 and 03 (Larsen et al. 2016: encoder,
# decoder, discriminator, each with its own optimiser), with each fix from
# notebook 04's table switched on:
#
# | cause in notebook 04 | the repair here |
# |---|---|
# | binary cross-entropy on targets above 1 | squared error on inputs in [-1, 1]; `tanh` output |
# | `exp(z_log_var)` overflow | `z_log_var` clipped to `[-log_var_clamp, log_var_clamp]` before `exp` |
# | `log(0)` on silent bins | `log(|X| + 1e-6)` inside the normaliser |
# | unnormalised dB scale | per-frequency standardisation (section 2) |
# | saturated discriminator `log(sigmoid)` | GAN losses from logits (`softplus`) |
# | transposed `(time, freq)` layout | `spectral.crop` of the `(freq, time)` STFT |
#
# The reconstruction term is a squared error summed over every bin of the
# spectrogram (the VAE's Gaussian likelihood) plus Larsen's squared error
# between the discriminator's features of the input and of its
# reconstruction, summed over the feature map.  The discriminator learns
# more slowly than the encoder and decoder (the build cell prints both
# learning rates), so that it does not win outright too soon: once
# `D(fake)` sits near 0, its verdict gives the decoder little to learn
# from (section 4 shows whether it did).
#
# One more choice is about time rather than correctness: the decoder runs
# twice per step (a reconstruction and a prior sample) at full resolution, so
# its high-resolution layers are narrow (the first entries of
# `DECODER_WIDTHS`).  Doubling every width would roughly quadruple its cost.
#
# A model is described by a `ModelConfig`: the approach (`"magnitude"`), the
# STFT grid and the network's `VAEGANConfig`, which we fill from the
# constants at the top (every other field keeps its default).
# `AudioModel.build` fits the representation (section 2), seeds Keras and asks
# the network config to build the network for the representation's arrays;
# `VAEGANConfig.build` passes the representation's output activation (`tanh`
# for magnitudes) to `vaegan.build_vaegan`, which assembles and compiles the
# three parts:

# %%
show_source(AudioModel.build, "keras.utils.set_random_seed")
show_source(VAEGANConfig.build, "from beeutils")
show_source(vaegan.build_vaegan, "encoder_widths = config.widths")

# %%
model = AudioModel.build(
    ModelConfig("magnitude", STFT, VAEGANConfig(
        latent_dim=LATENT_DIM, widths=DECODER_WIDTHS, encoder_widths=ENCODER_WIDTHS,
        disc_widths=DISC_WIDTHS, kl_weight=KL_WEIGHT, gan_weight=GAN_WEIGHT)),
    corpus, seed=SEED)
net = model.config.network
print(model)
print(net)
print(f"learning rates: encoder and decoder {net.learning_rate:g}, "
      f"discriminator {net.disc_learning_rate:g}")
for part in (model.network.encoder, model.network.decoder, model.network.discriminator):
    print(f"{part.name:>14}: {part.count_params():>9,} parameters")
print(model.representation)
assert np.array_equal(model.representation.normalizer.mean, norm.mean)  # section 2's numbers
assert np.array_equal(model.representation.normalizer.std, norm.std)

# %% [markdown]
# ## 4. Training, with the NaN watch on
#
# `model.train` reads the corpus's training split through the representation
# (and the validation split, for the `val_*` curves) and hands the arrays to
# `fit.train`, the one training loop of the series.  That is `model.fit`
# with `diagnostics.NaNWatch` (notebook 03) always on: had any loss term or
# gradient norm gone inf or NaN, training would stop there, the last finite
# weights would come back and `result.event` would name the term.  Batches
# come in an order set by `(seed, epoch)` alone, and with `backup_dir` an
# interrupted run started again resumes where it stopped.  It also times
# the run.

# %%
show_source(AudioModel.train, "val = ")
show_source(AudioModel.training_data, "waves = corpus.waves")
show_source(fit.train, "x, y = _inputs_and_labels")

# %%
result = model.train(corpus, epochs=EPOCHS, batch_size=BATCH_SIZE, seed=SEED, verbose=VERBOSE)
print(result)
assert result.finite, result.event

# %% [markdown]
# The loss curves.  Left: the reconstruction error on training and
# validation clips.  Validation falls with training at first; where it levels
# off while training keeps improving (the cell prints the epoch of the lowest
# validation error), the model starts to learn details of its training clips
# more than bee sounds in general (more clips would help; stopping around
# there would lose little).  Middle: the KL term (nats; it grows as the
# encoder starts to use its code) and the GAN terms.  Right: the
# discriminator's mean probability of "real" on real and on decoded inputs
# (last-epoch values printed): it should win most of the time, but not so
# completely that `D(fake)` sits at 0 and its gradients vanish.  Where it
# does win outright (the cell says so), the decoder learns from then on
# mostly from the reconstruction and feature terms, and the GAN term
# (`gan_dec`) climbs; a slower discriminator or a smaller `GAN_WEIGHT` are
# the knobs to try.

# %%
history = result.history.history
fig, axes = plt.subplots(1, 3, figsize=(15, 3.4))
plotting.plot_losses(result.history, axes[0], keys=["pixel", "val_pixel"],
                     title="reconstruction: squared error, summed over bins")
axes[0].set_ylabel("squared error (normalised units$^2$, summed)")
plotting.plot_losses(result.history, axes[1], keys=["kl", "val_kl", "gan_dec", "disc"],
                     title="KL (nats) and GAN losses")
axes[1].set_ylabel("loss (nats)")
plotting.plot_losses(result.history, axes[2], keys=["d_real", "d_fake"],
                     title="discriminator: mean P(real)")
axes[2].set_ylabel("probability")
plt.show()
best_epoch = int(np.argmin(history["val_pixel"])) + 1
print(f"lowest validation reconstruction error at epoch {best_epoch} of {result.epochs}; "
      f"{len(corpus.labels('train'))} training clips")
print(f"last epoch: D(real) {history['d_real'][-1]:.2f}, D(fake) {history['d_fake'][-1]:.2f}")
won_at = next((i + 1 for i, p in enumerate(history["d_fake"]) if p < 0.1), None)
print(f"D(fake) first fell below 0.1 (the discriminator winning outright) at epoch {won_at}"
      if won_at else "D(fake) never fell below 0.1: the discriminator never won outright")

# %% [markdown]
# A trained model is only useful with the statistics that undo its scaling,
# so `model.save` writes the `.keras` file and, beside it, a JSON
# description: the `ModelConfig`, the representation with the normaliser's
# statistics, the kinds and the clip length.  That is all
# `python -m beeutils.generate` needs to make sound from it.  The file is
# named after this notebook (`05_magnitude.keras`), so that it never replaces
# the benchmark's `magnitude.keras`, which notebook 10 loads.
# `AudioModel.load` uses Keras's `safe_mode`: no code is read from the file,
# every layer is a registered `beeutils` class.  The reloaded model encodes
# the held-out clips to the same codes and decodes them to the same arrays as
# the one in memory.

# %%
model_file = model.save(MODEL_PATH)
loaded = AudioModel.load(model_file)
test_waves = corpus.waves("test")
z_test = model.encode(test_waves)
same = (np.array_equal(loaded.encode(test_waves), z_test)
        and np.array_equal(loaded.network.decode(z_test), model.network.decode(z_test)))
print(loaded)
print(f"{model_file.name} ({model_file.stat().st_size / 1e6:.1f} MB) + "
      f"{model_file.with_suffix('.json').name}; identical codes and decoder outputs after "
      f"reload: {same}")
assert same and np.array_equal(loaded.representation.normalizer.mean,
                               model.representation.normalizer.mean)

# %% [markdown]
# ## 5. Reconstructions, seen and heard
#
# An `AudioModel` speaks audio: `model.reconstruct(waves)` encodes each clip
# (posterior mean) and decodes the code back to a waveform.  Decoding is the
# network's decoder followed by the representation's inverse, which for
# magnitudes undoes the scaling and runs Griffin-Lim (section 8):

# %%
show_source(AudioModel.decode)
show_source(vaegan.VAEGAN.decode_waves)
show_source(MagnitudeRepresentation._decode)

# %% [markdown]
# We pick one test clip of each kind.  To *see* what the decoder drew we also
# keep its magnitudes before Griffin-Lim, `representation.magnitudes` of the
# decoder's arrays (`model.intended_magnitudes(z)` is the same thing), and
# for reference the representation's own round trip of each clip: its true
# magnitudes through the scaling and Griffin-Lim, the best any
# magnitude-only model can do.

# %%
test_labels = corpus.labels("test")
pick = [test_labels.index(kind) for kind in model.kinds]
picked = test_waves[pick]
recon_wave = model.reconstruct(picked)                       # audio in, audio out
recon_mag = model.representation.magnitudes(model.network.decode(model.encode(picked)))
true_mag = spectral.magnitudes(picked, STFT)
floor_wave = model.representation.round_trip(picked)         # true magnitudes + Griffin-Lim
print(f"{len(pick)} clips: waves {recon_wave.shape}, magnitudes {recon_mag.shape}")

# %% [markdown]
# Each real spectrogram above its reconstruction, with the same axes and the
# same colour scale (dB re the real clip's loudest bin, floor -80 dB).

# %%
ncols = min(4, len(pick))
nrows = 2 * -(-len(pick) // ncols)
fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 2.6 * nrows), squeeze=False)
for j, i in enumerate(pick):
    row, col = 2 * (j // ncols), j % ncols
    for dr, (mag, what) in enumerate(((true_mag[j], "real"), (recon_mag[j], "reconstructed"))):
        plotting.show_spectrogram(mag, STFT, axes[row + dr, col], ref=float(true_mag[j].max()),
                                  vmin=-80, vmax=0, colorbar=col == ncols - 1,
                                  title=f"{test_labels[i]}: {what}")
for ax in axes.ravel()[2 * len(pick):]:
    ax.set_visible(False)
plt.show()

# %% [markdown]
# Steady harmonic sounds come back well: the hum's stack of partials, the
# rising pre-swarm partials, the toot's long rising syllable.  What the
# latent code cannot hold is smoothed: short pulses come back blurred or
# run together (the quacks lose their sharp edges, the toot's short
# syllables merge into one tone), and the fine texture of noise (hiss,
# no-bee) returns as a smooth wash with a faint checkerboard, the footprint
# of the decoder's strided transposed convolutions.
#
# Why smoothed: the pixel loss is a squared error per bin and frame, and when
# the code cannot say *when* a pulse starts, a level that never moves costs
# less than the right pulse a few frames off.  `losses.modulation_distance`
# asks instead how strongly, and at which rates, each bin rises and falls,
# wherever in time; `VAEGANConfig(modulation_weight=...)` adds it to the
# reconstruction loss.  The package's default network for this approach
# (`configs.default_network("magnitude")`, what the benchmark and
# `python -m beeutils.train` build) takes it at weight 0.01; the model above
# keeps `VAEGANConfig`'s default, no such term, so the blur you see is the
# pixel loss's own.  The benchmark notes (`results/README.md`, "A loss on
# each bin's rise and fall") measure the term over three seeds: every
# generation row improves a little; the conditioned model's quacks still
# fail.

# %% [markdown]
# Listen: for each kind, the original clip, Griffin-Lim on its **true**
# magnitudes (the representation's round trip; low-passed at the top of the
# crop) and Griffin-Lim on the **reconstructed** magnitudes.

# %%
for j, i in enumerate(pick):
    display(Markdown(f"**{test_labels[i]}**: original · Griffin-Lim of the true "
                     "magnitudes (floor) · Griffin-Lim of the reconstruction"))
    display(Audio(test_waves[i], rate=STFT.sr), Audio(floor_wave[j], rate=STFT.sr),
            Audio(recon_wave[j], rate=STFT.sr))

# %% [markdown]
# **Is it hum?**  Two checks a listener makes without thinking: the pitch and
# the harmonic stack.  There is a catch: the training set's *average*
# spectrum already peaks in the hum's range (the peak printed in section 2),
# so a model that ignored its input would produce hum-pitched sound on
# average.  What shows that the model listens is that each reconstruction
# follows its own clip: below, every held-out hum clip, its true fundamental
# (from the synthesis recipe) and the fundamental of its reconstruction after
# Griffin-Lim (YIN, `metrics.fundamental_frequency`).

# %%
hum_idx = [i for i, kind in enumerate(test_labels) if kind == "hum"]
hum_waves = test_waves[hum_idx]
hum_rec_wave = model.reconstruct(hum_waves)
hum_rec_mag = model.intended_magnitudes(model.encode(hum_waves))
f0_true = np.array([corpus.metas("test")[i]["f0_hz"] for i in hum_idx])
f0_rec = np.atleast_1d(metrics.fundamental_frequency(hum_rec_wave, STFT.sr))
f0_error = np.abs(f0_rec - f0_true)
per_clip = {f"clip {i}, true f0 {t:.1f} Hz": {"f0_rec": r, "f0_error": e}
            for i, t, r, e in zip(hum_idx, f0_true, f0_rec, f0_error)}
display(Markdown(evaluate.comparison_table(per_clip, rows=(
    ("f0_rec", "reconstruction's f0 (YIN, after Griffin-Lim)", "Hz", None),
    ("f0_error", "|f0 error| against the true f0", "Hz", True)))))
print(f"median |f0 error|: {np.median(f0_error):.1f} Hz over a {np.ptp(f0_true):.0f} Hz spread "
      f"of true fundamentals")

# %% [markdown]
# The harmonic stack: the time-averaged spectrum of one reconstruction should
# peak at `f0` and `2 f0` and dip between them, as the real clip's does.

# %%
profile_db = 20 * np.log10(hum_rec_mag[0].mean(axis=1) + 1e-6)    # (freq,)
true_db = 20 * np.log10(spectral.magnitudes(hum_waves[:1], STFT)[0].mean(axis=1) + 1e-6)
at = lambda f: profile_db[int(round(f / STFT.bin_hz))]              # noqa: E731
contrast = min(at(f0_true[0]), at(2 * f0_true[0])) - at(1.5 * f0_true[0])
print(f"peaks at f0 and 2 f0 over the dip between them: {contrast:.1f} dB")
fig, ax = plt.subplots(figsize=(9, 3))
ax.plot(freqs, true_db, label="real hum", lw=1)
ax.plot(freqs, profile_db, label="reconstruction", lw=1.5)
for k in range(1, 9):
    ax.axvline(k * f0_true[0], color="grey", ls=":", lw=0.8)
ax.set(xlabel="Frequency (Hz)", ylabel="mean magnitude (dB)",
       title="time-averaged spectrum of a held-out hum (dotted: harmonics of the true f0)")
ax.legend()
plt.show()
if not CFG.fast:  # a fast-mode run is far too short to make a model
    in_band = (f0_rec >= HUM_BAND[0]) & (f0_rec <= HUM_BAND[1])
    assert in_band.all() and np.median(f0_error) < 8 and contrast > 6

# %% [markdown]
# ## 6. Prior samples: generation
#
# Now the generator proper: `model.generate(n, seed=...)` draws latents `z`
# from the model's prior (`model.prior_latents`, which depends on the seed
# alone) and decodes them: decoder, inverse scaling, Griffin-Lim.  For the
# pictures we ask for the magnitudes the decoder drew for the same latents.
# The model is unconditional: it does not know about kinds, so it chooses
# one (or a blend) by itself.
#
# Which prior?  The VAE's KL term pulls every code towards `N(0, I)`, but a
# small model trained on a few hundred clips never gets there: the codes of
# each kind gather in clusters (section 7 shows them), and most of the
# `N(0, I)` volume lies *between* the clusters, where the decoder was never
# trained and blends kinds.  Ghosh et al. (ICLR 2020, "From variational to
# deterministic autoencoders") fit a Gaussian mixture to the training
# clips' codes after training and sample from it instead.  `model.train`
# ends by doing exactly that (`model.fit_prior`, one encoder pass and
# scikit-learn's `GaussianMixture`), and the mixture is saved with the model:

# %%
show_source(AudioModel.fit_prior, "waves = corpus.waves")
show_source(AudioModel.generate)
print(model.prior)

# %%
gen_wave = model.generate(N_SHOW, seed=SEED + 1)
gen_mag = model.intended_magnitudes(model.prior_latents(N_SHOW, seed=SEED + 1))
gen_f0 = metrics.fundamental_frequency(gen_wave, STFT.sr)
fig, axes = plotting.spectrogram_grid(
    list(gen_mag), STFT, titles=[f"sample {i}: f0 {f:.0f} Hz" for i, f in enumerate(gen_f0)],
    ncols=4, floor_db=-80)
plt.show()
display(*[Audio(w, rate=STFT.sr) for w in gen_wave])

# %% [markdown]
# ## 7. The latent space
#
# Where does the encoder put each kind?  The posterior means of every clip
# (`model.encode`), projected onto their two principal components.  The
# model was never told the kinds, so any grouping is its own.  Two components
# of the code (its size is `LATENT_DIM`) show only a slice of it: kinds
# that overlap here may still be apart in the other directions.

# %%
splits = ("train", "validation", "test")
z_mean = np.concatenate([model.encode(corpus.waves(s)) for s in splits])
labels_all = np.concatenate([corpus.labels(s) for s in splits])
pca = PCA(n_components=2, random_state=SEED).fit(z_mean)
z2 = pca.transform(z_mean)
fig, ax = plt.subplots(figsize=(7, 5))
for kind in model.kinds:
    sel = labels_all == kind
    ax.scatter(z2[sel, 0], z2[sel, 1], s=14, label=kind)
ax.set(xlabel=f"PC 1 of z_mean (latent units, 1 = prior std; "
              f"{pca.explained_variance_ratio_[0]:.0%} of variance)",
       ylabel=f"PC 2 (latent units; {pca.explained_variance_ratio_[1]:.0%})",
       title=f"posterior means, {model.latent_dim}-d, 2-D PCA, coloured by sound kind")
ax.legend(fontsize="small", loc="best")
plt.show()

# %% [markdown]
# ## 8. The phase-less error floor
#
# The model only ever sees magnitudes; the STFT's phase was thrown away
# before training.  To make a sound we need some phase, and Griffin-Lim
# (1984, with the momentum of Perraudin et al. 2013) finds one whose STFT
# magnitude comes close to the target: it alternates "impose the target
# magnitude, keep the phase" with "go to a waveform and back" (which makes the
# spectrogram that of a real signal).  Our version runs a whole batch in one
# compiled TensorFlow loop:

# %%
show_source(phase._compiled, "def body", "_, angles, _ = ")

# %% [markdown]
# Griffin-Lim only approaches its target.  So even **perfect** magnitudes, the
# true ones, come back with an error: the representation's round trip
# (`round_trip`: scale, then decode with Griffin-Lim) is the floor no
# magnitude-only model can go below.  `evaluate.reconstruction_metrics`
# measures it exactly as it measures the model's reconstructions, in the
# model's band, against the clip low-passed at the crop with its true phase:
# spectral convergence (energy of the magnitude error relative to the target,
# dB), log-spectral distance (RMS dB difference per frame), waveform SNR and
# the multi-resolution STFT distance.  Side by side, on the clips of section
# 5: the floor; the decoded magnitudes *before* Griffin-Lim (the model's own
# error, no phase involved: only the magnitude rows apply); the
# reconstructions after Griffin-Lim, which carry both.  The last column asks
# how closely Griffin-Lim can realise the generated magnitudes at all
# (consistency): a decoded spectrogram need not be the STFT of any signal.
# The waveform SNR is there to show what it cannot see: sample by sample,
# a phase that is not the true one counts as noise, so for a magnitude-only
# model even the floor scores near or below 0 dB (notebook 06 gives the
# model the phase and makes this row meaningful).

# %%
picked_labels = [test_labels[i] for i in pick]
picked_metas = [corpus.metas("test")[i] for i in pick]
floor_scores = evaluate.reconstruction_metrics(STFT, picked, floor_wave, picked_labels,
                                               picked_metas)
recon_scores = evaluate.reconstruction_metrics(STFT, picked, recon_wave, picked_labels,
                                               picked_metas)
decoded_scores = {
    "recon_sc_db": float(np.mean(metrics.spectral_convergence_db(true_mag, recon_mag))),
    "recon_lsd_db": float(np.mean(metrics.log_spectral_distance(true_mag, recon_mag)))}
gen_scores = {"consistency_sc_db": float(np.mean(metrics.spectral_convergence_db(
    gen_mag, spectral.magnitudes(gen_wave, STFT))))}
floor_rows = [row for row in evaluate.TABLE_ROWS
              if row[0] in {"recon_snr_db", "recon_lsd_db", "recon_sc_db", "recon_mrstft",
                            "consistency_sc_db"}]
display(Markdown(evaluate.comparison_table({
    "true magnitudes + Griffin-Lim (the floor)": floor_scores,
    "decoded magnitudes, no Griffin-Lim": decoded_scores,
    "reconstruction + Griffin-Lim": recon_scores,
    "prior samples": gen_scores}, floor_rows)))
assert floor_scores["recon_sc_db"] < -15
assert floor_scores["recon_sc_db"] < recon_scores["recon_sc_db"]

# %% [markdown]
# Three things hide in the row "true magnitudes + Griffin-Lim (the floor)":
#
# - **the crop**: the model keeps the lowest bins only, so everything above is
#   gone (the missing bins are zeros, a low-pass).  Bee sounds live below the
#   crop, but hissing and the no-bee crickets do not (the table below);
# - **the scaling's clip** at 3 standard deviations: small, as the round
#   trip of section 2 measured;
# - **the phase**: Griffin-Lim's phase is not the true one.  Phase errors
#   between frames smear pulse onsets and typically add a faint "phasey",
#   reverberant colour.
#
# How much of each kind survives the crop?  `evaluate.band_share` measures
# the share of each held-out clip's energy inside the model's band (FFT
# energy, no window involved), for this notebook's grid and for
# `spectral.WIDEBAND`, the 0-8 kHz grid (512-point FFT, 256 bins) that the
# benchmark and `python -m beeutils.train` give every model.  This notebook
# keeps the 0-2 kHz crop on purpose: its 15.6 Hz bins draw the harmonics
# that the lessons look at in detail, and it is the cheaper grid; the cost of
# the wide one is 256 x 128 values per clip instead of 128 x 128.

# %%
band_rows = {}
for name, grid in (("this notebook (0-2 kHz)", STFT), ("WIDEBAND (0-8 kHz)", spectral.WIDEBAND)):
    shares = evaluate.band_share(grid, test_waves, test_labels)["band_share_per_kind"]
    band_rows[name] = shares
kinds_shown = list(next(iter(band_rows.values())))
display(Markdown(evaluate.comparison_table(
    band_rows, rows=[(k, k, "share of energy", False) for k in kinds_shown])))

# %% [markdown]
# Listen to them one at a time on the hum: the original, the crop alone
# (inverse STFT of the cropped *complex* spectrogram, true phase), then crop
# plus Griffin-Lim, then the model's reconstruction.

# %%
j_hum = list(model.kinds).index("hum")
hum_original = test_waves[pick[j_hum]]
hum_lowpass = spectral.lowpass_reference(hum_original[None], STFT)[0]
for name, wave in (("original", hum_original), ("crop only (true phase)", hum_lowpass),
                   ("crop + Griffin-Lim (the floor)", floor_wave[j_hum]),
                   ("model reconstruction + Griffin-Lim", recon_wave[j_hum])):
    display(Markdown(f"*{name}*"), Audio(wave, rate=STFT.sr))

# %% [markdown]
# ### Our Griffin-Lim against librosa's
#
# `bench.compare_with_librosa` runs both on the same full-band magnitudes from
# the same random initial phases, with the iterations and momentum the
# model's representation uses (printed below): quality (spectral convergence,
# lower is better) should agree, and the batched TensorFlow loop should be
# faster than librosa's clip-by-clip loop.

# %%
gl = model.representation
cmp = bench.compare_with_librosa(test_waves[:N_LIBROSA], STFT.replace(n_freq_keep=None),
                                 n_iter=gl.n_iter, momentum=gl.momentum, seed=SEED)
print(f"{cmp['n_clips']} clips, {cmp['n_iter']} iterations, momentum {cmp['momentum']}")
display(Markdown(evaluate.comparison_table(
    {"ours (TensorFlow, batched)": {"sc_db": cmp["sc_db_ours"], "seconds": cmp["seconds_ours"],
                                    "cpu_seconds": cmp["cpu_seconds_ours"]},
     "librosa": {"sc_db": cmp["sc_db_librosa"], "seconds": cmp["seconds_librosa"],
                 "cpu_seconds": cmp["cpu_seconds_librosa"]}},
    rows=(("sc_db", "spectral convergence, full band", "dB", True),
          ("seconds", "wall clock", "s", True),
          ("cpu_seconds", "CPU time, all threads", "s", True)))))
assert abs(cmp["sc_db_ours"] - cmp["sc_db_librosa"]) < 0.5

# %% [markdown]
# ## 9. The numbers
#
# `evaluate.evaluate_model` measures everything at once on the held-out
# clips, from audio, as it does for every model of the series:
#
# - **reconstruction**: waveform SNR, spectral convergence and log-spectral
#   distance in the model's band, and the multi-resolution STFT distance
#   (Parallel WaveGAN's), all against the clip low-passed at the crop with
#   its true phase.  The reference is low-passed so that the numbers are
#   about phase and model, not about the crop.  The `floor_*` keys are the
#   same metrics for the representation's round trip (section 8, now on every
#   held-out clip);
# - **generation**: `N_GENERATED` prior samples against real clips low-passed
#   in the same way (otherwise the missing band above the crop would dominate
#   every distance).  The Frechet distance between Gaussians fitted to
#   standardised hand-made features (log-mel and MFCC statistics) of
#   generated and held-out clips, divided by the same distance between
#   training and held-out clips: 1 would mean "as close as real data gets";
#   NDB/K, the share of k-means bins of the training features where generated
#   clips land in a significantly different proportion (held-out real clips
#   score the floor); and the fundamental frequency.
#
# `evaluate.comparison_table` renders a column per result; the second column
# holds each metric's floor (or real data's value), taken from the same dict.

# %%
scores, eval_waves = evaluate.evaluate_model(model, corpus, n_generated=N_GENERATED, seed=SEED,
                                             return_waves=True)  # the model's prior: the mixture
reference = {"recon" + key[len("floor"):]: value for key, value in scores.items()
             if key.startswith("floor_")}
reference.update(ndb_k=scores["ndb_k_floor"], gen_share_hum_band=scores["data_share_hum_band"])
display(Markdown(evaluate.comparison_table(
    {"magnitude VAE-GAN": scores, "floor / real data": reference},
    rows=[row for row in evaluate.TABLE_ROWS if row[0] != "floor_lsd_db"])))
print(f"evaluation took {scores['eval_seconds']:.0f} s; generation runs at "
      f"{scores['generate_x_realtime']:.1f} x real time")
assert scores["floor_sc_db"] < scores["recon_sc_db"]

# %% [markdown]
# ### How close could a reconstruction be?
#
# The floor is Griffin-Lim on the clip's own magnitudes, noise samples and
# all.  A code of `latent_dim` numbers cannot carry a clip's noise samples
# (the hive's hiss, the jitter of a crowd of bees): a decoder can at best
# learn the *recipe*.  The synthesiser can show what that leaves:
# `synth.resynthesize` makes a clip again from its own recipe (the same kind,
# levels, f0 track, pulse times and hive body) with other noise samples and
# starting phases, and `evaluate.realisation_metrics` measures each such twin
# against its clip exactly as a reconstruction is measured.

# %%
twin = evaluate.realisation_metrics(STFT, test_waves, test_labels, corpus.metas("test"))
display(Markdown(evaluate.comparison_table(
    {"magnitude VAE-GAN": scores, "another realisation of the recipe": twin,
     "floor (Griffin-Lim, true magnitudes)": reference},
    rows=[row for row in evaluate.TABLE_ROWS
          if row[0] in {"recon_lsd_db", "recon_sc_db", "recon_mrstft"}])))
# In a bin that holds only noise, two realisations have independent Rayleigh
# magnitudes: how far apart in dB, as the log-spectral distance counts it?
rng = np.random.default_rng(SEED)
rayleigh = np.abs(rng.standard_normal((2, 100_000)) + 1j * rng.standard_normal((2, 100_000)))
noise_bin_db = float(np.sqrt(np.mean((20 * np.log10(rayleigh[0] / rayleigh[1])) ** 2)))
print(f"two noise realisations, one bin: {noise_bin_db:.1f} dB RMS apart")
assert twin["recon_mrstft"] < scores["recon_mrstft"]

# %% [markdown]
# The log-spectral distance weighs every bin alike, in dB, and most bins of a
# bee clip hold noise: there two realisations sit the RMS printed above
# apart, so even a perfect twin scores far above the floor.  On that row the
# floor measures how well the noise was *copied*, which no generator is
# asked to do.  Spectral convergence and the multi-resolution STFT distance
# weigh bins by their energy, so the partials and pulses count most: there
# the twin is far closer than the model, and that gap is what the model has
# still to learn.  The README's benchmark reports the same reference for its
# own held-out clips.

# %% [markdown]
# ### Two priors, the same decoder
#
# Section 6's mixture samples where the training codes lie.  Does that bring
# the clips closer to the data?  The same model, the same metrics, the
# latents drawn from `N(0, I)` instead
# (`prior="normal"`): the generation rows, plus the kinds a classifier
# (trained on the training clips as this representation renders them) hears
# in the generated clips, against the share of each kind in the data.
#
# A third column asks how far any prior could take this decoder: the
# training clips' own codes, decoded (`fd_ratio_train_recon`, which
# `evaluate_model` also reports).  A prior that drew exactly those codes
# would score that Frechet ratio; what the mixture scores above it is the
# prior's share of the gap, and what lies between it and 1 the decoder's.

# %%
normal_scores = evaluate.evaluate_model(model, corpus, n_generated=N_GENERATED, seed=SEED,
                                        prior="normal")
gen_rows = [row for row in evaluate.TABLE_ROWS
            if row[0] in {"fd_ratio", "ndb_k", "f0_wasserstein_hz", "gen_share_hum_band"}]
gen_rows += list(evaluate.table_rows("gen_kind_share_error"))
display(Markdown(evaluate.comparison_table(
    {"N(0, I) prior": normal_scores, "mixture prior": scores,
     "training codes (any prior's best)": {"fd_ratio": scores["fd_ratio_train_recon"]}},
    gen_rows)))
display(Markdown(evaluate.comparison_table(
    {"data (training split)": scores["data_kind_share"],
     "N(0, I) prior": normal_scores["gen_kind_share"],
     "mixture prior": scores["gen_kind_share"]},
    rows=[(k, k, "share of clips", None) for k in scores["data_kind_share"]])))
print(f"Frechet ratio: N(0, I) {normal_scores['fd_ratio']:.2f}, mixture {scores['fd_ratio']:.2f}, "
      f"the training codes decoded {scores['fd_ratio_train_recon']:.2f} (1 = real data)")
PRIOR_ROWS = (("fd_ratio", "Frechet ratio"), ("ndb_k", "NDB/K"),
              ("f0_wasserstein_hz", "f0 distance"), ("gen_kind_share_error", "kind-share gap"))
better = [label for key, label in PRIOR_ROWS if scores[key] < normal_scores[key]]
print("the mixture does better than N(0, I) on: " + (", ".join(better) or "none of these rows"))
decoder_share = (scores["fd_ratio_train_recon"] - 1) / max(scores["fd_ratio"] - 1, 1e-9)
print(f"the training codes decoded keep {decoder_share:.0%} of the mixture's Frechet gap "
      "(ratio - 1): the decoder's share, which no prior closes")

# %% [markdown]
# **Reading the table.**  The reconstruction rows sit well above their
# floors: the decoder's magnitudes are smoother than the real ones (a VAE
# averages what it cannot encode), and Griffin-Lim adds its phase error on
# top.  How much of the gap is the model's and how much the phase's?
# Section 8's table answers on one clip per kind: compare the log-spectral
# distance of the decoded magnitudes (no phase involved) with the floor's
# and with the same distance after Griffin-Lim.
#
# The generation rows compare *distributions*, and the generator is
# unconditional: it does not choose "hum", it draws from everything it
# learned.  So we do not compare generated clips with hum clips; we compare
# the whole f0 distribution of the generated clips with the held-out clips'
# (Wasserstein distance, in Hz), and the share of clips whose f0 falls in the
# hum band.  That share counts waggle, pre-swarm and late worker piping too,
# whose fundamentals overlap the hum's, so it says "hum-pitched", not "hum".
# The held-out sets are small (the corpus summary of section 1 gives the
# counts), so the floors themselves are noisy: read differences of a few tens
# of per cent as ties.
#
# The f0 distributions side by side, and the median f0 of the held-out clips
# of each kind:

# %%
f0_gen_all = eval_waves["f0_generated"]
f0_data_all = eval_waves["f0_data"]
bins = np.linspace(80, 800, 37)
fig, ax = plt.subplots(figsize=(9, 3.2))
ax.hist(f0_data_all[np.isfinite(f0_data_all)], bins=bins, density=True, alpha=0.6,
        label=f"held-out clips, low-passed (n={np.isfinite(f0_data_all).sum()})")
ax.hist(f0_gen_all[np.isfinite(f0_gen_all)], bins=bins, density=True, alpha=0.6,
        label=f"generated (n={np.isfinite(f0_gen_all).sum()})")
ax.axvspan(*HUM_BAND, color="grey", alpha=0.2, label="hum band")
ax.set(xlabel="fundamental frequency, YIN median (Hz)", ylabel="density (1/Hz)",
       title="f0 of generated clips against the corpus")
ax.legend(fontsize="small")
plt.show()
for kind in model.kinds:
    f0_kind = f0_data_all[np.asarray(test_labels) == kind]
    f0_kind = f0_kind[np.isfinite(f0_kind)]
    median = f"{np.median(f0_kind):.0f} Hz" if f0_kind.size else "unvoiced"
    print(f"{kind:>14}: held-out median f0 {median}")
print(f"generated clips in the hum band: {scores['gen_share_hum_band']:.0%} "
      f"(held-out clips: {scores['data_share_hum_band']:.0%})")

# %% [markdown]
# Read the histogram with the kind-share table above: where generated clips
# crowd into the hum band while the queens' higher-pitched quacks and toots
# are rare, prior samples are falling between the codes of the training
# clips, and the average of many kinds is hum-like.  The mixture prior draws
# from the clusters themselves; how much that helps depends on how well the
# decoder learned each cluster (the reconstruction rows, and the decoder's
# share of the gap printed above).  Conditioning on the kind (notebook 10) asks for a kind directly;
# a better representation (notebooks 06 and 09) makes each sound cheaper to
# encode.

# %% [markdown]
# ### A sample of the noise, not its average
#
# Where does the decoder's share of the gap come from?  Much of a bee clip is
# noise (a crowd's hiss, the hive body's rumble), and the decoder was trained
# with a squared error on log magnitudes: for each bin it draws the *mean* log
# level, a smooth envelope.  A real noise's STFT magnitudes scatter around
# that level, several dB from bin to bin (the Rayleigh scatter that section 9
# measured between two realisations).  Rendering the envelope renders the
# average of many noises, which no recording is.
#
# `AudioModel.decode(z, texture=True)` samples instead: it multiplies the
# decoded magnitudes by `representations.noise_texture`, the STFT magnitudes
# of white noise scaled so that their log averages 0, so each bin keeps its
# mean level and gains a noise's scatter, and then runs Griffin-Lim as
# before.  Reconstructions stay the average (the closest guess at a given
# clip); only the prior samples change.  One sample, both ways:

# %%
show_source(noise_texture, "n, n_freq")
z_one = model.prior_latents(1, seed=SEED)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), sharey=True)
for ax, textured, title in zip(axes, (False, True), ("decoded magnitudes (the average)",
                                                      "times the noise texture (a sample)")):
    mag_db = 20 * np.log10(model.intended_magnitudes(z_one, texture=textured)[0] + 1e-6)
    image = ax.imshow(mag_db, origin="lower", aspect="auto", cmap="magma",
                      vmin=mag_db.max() - 80, vmax=mag_db.max(),
                      extent=(0, mag_db.shape[1] * STFT.frame_seconds, 0,
                              mag_db.shape[0] * STFT.bin_hz))
    ax.set(title=title, xlabel="time (s)")
axes[0].set_ylabel("frequency (Hz)")
fig.colorbar(image, ax=axes, label="magnitude (dB)")
plt.show()
for textured in (False, True):
    display(Markdown(f"*{'with' if textured else 'without'} the texture*"),
            Audio(model.decode(z_one, texture=textured)[0], rate=STFT.sr))

# %% [markdown]
# The same latents as the mixture column above, measured again with the
# texture:

# %%
textured_scores = evaluate.evaluate_model(model, corpus, n_generated=N_GENERATED, seed=SEED,
                                          texture=True)
display(Markdown(evaluate.comparison_table(
    {"mixture prior": scores, "mixture prior, noise texture": textured_scores},
    gen_rows + list(evaluate.table_rows("diversity_ratio", "consistency_sc_db")))))
print(f"Frechet ratio {scores['fd_ratio']:.2f} -> {textured_scores['fd_ratio']:.2f} with the "
      f"texture (the training codes decoded without it: {scores['fd_ratio_train_recon']:.2f})")
assert textured_scores["recon_lsd_db"] == scores["recon_lsd_db"]  # reconstructions unchanged

# %% [markdown]
# **Reading it.**  The texture goes on every bin, the harmonics' too, though
# a partial's magnitude is steady where a noise's scatters: the lines come
# out rough (the right-hand spectrogram), and Griffin-Lim realises the
# scattered magnitudes less exactly (the consistency row).  Where the
# Frechet ratio falls, the clips' statistics moved towards the recordings'
# because most bins of a bee clip are noise; the f0 and kind rows say what
# the rough lines cost.  The README's benchmark measures the same over three
# seeds (`bench --texture`).

# %% [markdown]
# ## What we learned
#
# - Scale spectrograms with statistics a generator can know: per-frequency
#   mean and standard deviation of the log magnitude over the *training set*
#   (SpecGAN), clipped to the `tanh` range, saved beside the model.
#   Per-clip statistics cannot be undone for a sample drawn from the prior.
# - `AudioModel` holds the network, the fitted representation and the
#   `ModelConfig` that built them: `build`, `train`, `encode`, `decode`,
#   `reconstruct`, `generate`, `save` and `load` all speak audio, and
#   notebooks 06, 09 and 10 use the very same calls for other representations.
# - With notebook 04's fixes on (normalised inputs, squared error, clamped
#   log-variance, GAN losses from logits) the VAE-GAN trains with every loss
#   term finite; `NaNWatch` stays on anyway and would say where it broke.
# - Reconstructions keep the pitch and the harmonic stack of hum; the
#   decoder smooths what the latent code cannot hold (pulse timing, the
#   fine noise texture).
# - A magnitude spectrogram is half of the STFT.  Griffin-Lim finds a phase,
#   but not the true one: even perfect magnitudes come back with an error
#   (the `floor_*` numbers) and often a phasey colour, and the crop removes
#   what lies above it.  No magnitude-only model can beat that floor.
# - Our batched TensorFlow Griffin-Lim matches librosa's quality from the
#   same initial phases, and runs a whole batch at once.
# - The `N(0, I)` prior of a small VAE can put samples between the kinds; a
#   Gaussian mixture fitted to the training codes samples where they lie,
#   and the same metrics show what that changes.  Decoding the training
#   codes themselves shows how far any prior could go: the rest of the gap
#   is the decoder's (section 9 prints its share).
# - A decoder trained on log magnitudes draws each bin's average; a sample
#   of a noisy sound needs a noise's scatter around it (`texture=True`).
# - A generator is measured against real data passed through the same
#   pipeline: Frechet distance ratio, NDB/K and the f0 distribution, each next
#   to its floor.  Ours makes recognisable hum-pitched harmonic sounds but
#   over-produces them: the queens' higher-pitched calls are rare among its
#   samples.
#
# **Next:** [06 · Complex spectrograms against magnitudes](06_complex_vs_magnitude.ipynb):
# give the model the phase (real and imaginary parts, or GANSynth's
# instantaneous frequency) and remove the floor instead of living with it.
