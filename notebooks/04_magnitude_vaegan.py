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
# # 04 · A magnitude VAE-GAN that works
#
# The repaired VAE-GAN, trained on normalised log-magnitude spectrograms of the
# synthetic bee corpus, turned back into sound with Griffin-Lim, and measured
# against the error floor that throwing the phase away leaves.
#
# **You will learn**
# - how to scale spectrograms for a generator: SpecGAN's per-frequency
#   statistics of the log magnitude, fitted on the training split only, and why
#   per-clip statistics are a trap;
# - the repaired model (every fix of notebook 03 switched on) and how to train
#   it with a NaN watch, then save and reload it with its normaliser;
# - how to look at and listen to reconstructions, prior samples and the latent
#   space;
# - Griffin-Lim: how a waveform is recovered from a magnitude, what that
#   costs (the *phase-less error floor*), and how our batched TensorFlow
#   version compares with librosa's;
# - how to measure a generator with no pretrained network: log-spectral and
#   multi-resolution STFT distances, a Frechet distance on hand-made features,
#   NDB/K and the fundamental-frequency distribution.
#
# **Prerequisites:** `03_naive_port_and_nan` (why the naive port diverges and
# the fixes); `02_bee_audio_and_stft` for the STFT.
#
# **Run time on a CPU (measured on 2 cores shared with other jobs, so
# pessimistic):** full mode 6 to 8 minutes (343 s and 454 s in two runs), of
# which training takes 285 to 396 s (960 steps of 16 clips); fast mode
# (`BEE_FAST=1`) 30 to 50 s.  The training cell prints the time it took on
# your machine.

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
from beeutils.models import approaches
from beeutils.data import datasets
from beeutils.evaluation import metrics
from beeutils.dsp import phase
from beeutils.evaluation import bench
from beeutils.ui import plotting
from beeutils.data import synth
from beeutils.training import fit
from beeutils.dsp.representations import MagnitudeRepresentation
from beeutils.dsp.normalize import DbRangeNormalizer, PerFrequencyNormalizer
from beeutils.dsp.spectral import STFTConfig

CFG = beeutils.setup(seed=0)
print(f"fast mode: {CFG.fast}")

# %% [markdown]
# Everything you may want to change.  Fast mode trains a tiny corpus for two
# epochs: it checks that the code runs, not that the model sounds good.

# %%
SEED = 0
KINDS = ("hum", "queen_toot", "worker_pipe") if CFG.fast else synth.KINDS
CLIPS_PER_KIND = 4 if CFG.fast else 40      # 80 % train, 10 % validation, 10 % test
EPOCHS = 2 if CFG.fast else 60
BATCH_SIZE = 4 if CFG.fast else 16
LATENT_DIM = 32
ENCODER_WIDTHS = (16, 32, 64, 128)          # conv blocks, each halves freq and time
DECODER_WIDTHS = (8, 16, 32, 64)            # in reverse: 64 channels at 8 x 8 ... 8 at 128 x 128
DISC_WIDTHS = (16, 32, 64)
KL_WEIGHT = 1.0
GAN_WEIGHT = 1.0
GL_ITERS = 32                               # Griffin-Lim iterations (librosa's default)
N_SHOW = 3 if CFG.fast else 8               # prior samples shown and played
N_GENERATED = 12 if CFG.fast else 256       # prior samples for the generation metrics
N_LIBROSA = 2 if CFG.fast else 16           # clips for the Griffin-Lim comparison
VERBOSE = 2 if CFG.fast else 1              # Keras progress display
HUM_BAND = fit.HUM_BAND_HZ             # (190, 270) Hz
STFT = STFTConfig()                         # n_fft 1024, hop 256, crop 128 bins x 128 frames
MODEL_PATH = approaches.model_path("magnitude")  # build/models/ (fast/ in fast mode)
print(STFT)
print(f"model input: {STFT.n_freq_keep} bins x {STFT.n_frames} frames = 0-"
      f"{STFT.n_freq_keep * STFT.bin_hz:.0f} Hz x {STFT.n_frames * STFT.frame_seconds:.2f} s")


# %% [markdown]
# As in notebook 02, a helper prints a function's source with its docstring
# folded away, so that we read the essential lines of `beeutils` as we meet
# them.

# %%
from beeutils.source import show_source  # noqa: E402  (docstring folded, optional excerpt)

# %% [markdown]
# ## 1. The data
#
# The synthetic corpus of notebook 02, split 80/10/10 within each kind.  The
# model sees the lowest 128 bins (0-2 kHz, where bee sounds live) of 128
# frames (2.048 s): one `(128, 128)` magnitude spectrogram per clip, frequency
# by time.

# %%
corpus = datasets.make_corpus(kinds=KINDS, clips_per_kind=CLIPS_PER_KIND, seed=SEED)
print(corpus.summary())

# %% [markdown]
# ## 2. Scaling: per-frequency statistics, fitted on the training split
#
# Notebook 03 showed that raw magnitudes and raw decibels blow the losses up,
# and fixed it with one dB range for every bin, fitted on the training set
# (`DbRangeNormalizer`).  That is enough to stay finite.  Here we take one
# more step, SpecGAN's recipe (Donahue et al. 2019): take `log(|X| + 1e-6)`,
# subtract each frequency bin's mean and divide by its standard deviation
# (both over the whole training set), divide by 3 and clip to `[-1, 1]`, the
# range of a `tanh` output.  Per *frequency* because a spectrum is not flat:
# the bins at the common fundamentals and harmonics are louder on average than
# those between them and near 2 kHz, and with one global range every bin
# carries that offset into the model (we compare the two below).  The
# essential lines of `PerFrequencyNormalizer`:

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
# `fit.prepare_magnitude_data` does the STFT, the crop and the scaling
# for every split, fitting the normaliser on `train` alone.  It is
# `fit.prepare_data` with the *magnitude representation* (notebook 05
# adds others): the representation is fitted on the training waves, then
# encodes every split:

# %%
show_source(fit.prepare_data, "waves = ", "cfg = ")
show_source(MagnitudeRepresentation._fit)
show_source(MagnitudeRepresentation._encode)
data = fit.prepare_magnitude_data(corpus, STFT, PerFrequencyNormalizer())
print(data.summary())
norm = data.normalizer

# %% [markdown]
# The fitted statistics: the mean log magnitude falls with frequency, with
# peaks at the fundamentals and harmonics most clips share (hum, waggle,
# pre-swarm near 250 Hz; toots near 500 Hz).  On the right, the values the
# model is trained on: most lie well inside `[-1, 1]`; what falls beyond 3
# standard deviations is clipped.

# %%
freqs = STFT.frequencies(cropped=True)
x_train = data.x["train"]
clipped = float(np.mean(np.abs(x_train) >= 1.0))
fig, axes = plt.subplots(1, 3, figsize=(14, 3.4))
axes[0].plot(freqs, norm.mean)
axes[0].set(xlabel="Frequency (Hz)", ylabel="mean of ln magnitude", title="per-bin mean (train)")
axes[1].plot(freqs, norm.std, color="C1")
axes[1].set(xlabel="Frequency (Hz)", ylabel="std of ln magnitude", title="per-bin std (train)")
axes[2].hist(x_train.ravel(), bins=100, color="C2")
axes[2].set(xlabel="normalised value", ylabel="bins (count)",
            title=f"model inputs: {clipped:.2%} clipped at +-1")
plt.show()
assert x_train.min() >= -1 and x_train.max() <= 1 and clipped < 0.02

# %% [markdown]
# Against notebook 03's single dB range (`DbRangeNormalizer`, here mapped to
# `[-1, 1]`): per bin, the average value the model would see.  With one range
# for all bins, the average input follows the shape of the corpus's spectrum,
# peaks at the shared partials and a slope toward 2 kHz, which the model must
# learn before anything else; per-frequency statistics centre every bin on 0.
# On this corpus the difference is modest, as the curve shows; the steeper a
# corpus's spectrum, the more it matters.

# %%
db_range = DbRangeNormalizer(top_db=80).fit(data.mags["train"])
fig, ax = plt.subplots(figsize=(9, 3))
ax.plot(freqs, db_range.transform(data.mags["train"]).mean(axis=(0, 2)),
        label="one dB range for all bins (notebook 03)")
ax.plot(freqs, x_train[..., 0].mean(axis=(0, 2)), label="per-frequency (SpecGAN)")
ax.set(xlabel="Frequency (Hz)", ylabel="mean normalised value", ylim=(-1.05, 1.05),
       title="average model input per frequency bin, training split")
ax.legend(fontsize="small")
plt.show()

# %% [markdown]
# The inverse is exact wherever nothing was clipped: a round trip changes a
# spectrogram by a fraction of a decibel at most in the bins that matter.

# %%
mags_test = data.mags["test"]
back = norm.inverse(norm.transform(mags_test))
lsd_round_trip = float(np.mean(metrics.log_spectral_distance(mags_test, back)))
print(f"log-spectral distance of the round trip: {lsd_round_trip:.3f} dB")
assert lsd_round_trip < 1.0

# %% [markdown]
# ## 3. The repaired model
#
# The same VAE-GAN as notebooks 01 and 03 (Larsen et al. 2016: encoder,
# decoder, discriminator, each with its own optimiser), with each fix from
# notebook 03's table switched on:
#
# | cause in notebook 03 | the repair here |
# |---|---|
# | binary cross-entropy on targets above 1 | squared error on inputs in [-1, 1]; `tanh` output |
# | `exp(z_log_var)` overflow | `z_log_var` clipped to [-10, 10] before `exp` |
# | `log(0)` on silent bins | `log(|X| + 1e-6)` inside the normaliser |
# | unnormalised dB scale | per-frequency standardisation (section 2) |
# | saturated discriminator `log(sigmoid)` | GAN losses from logits (`softplus`) |
# | transposed `(time, freq)` layout | `spectral.crop` of the `(freq, time)` STFT |
#
# The reconstruction term is a squared error summed over the 16384 bins (the
# VAE's Gaussian likelihood) plus Larsen's squared error between the
# discriminator's features of the input and of its reconstruction, summed over
# the feature map.  The discriminator learns ten times slower than the
# encoder and decoder: one that wins outright (`D(fake)` near 0) gives the
# decoder nothing useful to learn from.
#
# One more choice is about time rather than correctness: the decoder runs
# twice per step (a reconstruction and a prior sample) at full 128 x 128
# resolution, so its high-resolution layers are narrow (8 and 16 channels).
# Doubling every width would roughly quadruple its cost.

# %%
show_source(fit.build_magnitude_vaegan, "keras.utils.set_random_seed")

# %%
model = fit.build_magnitude_vaegan(
    data.input_shape, LATENT_DIM, DECODER_WIDTHS, DISC_WIDTHS, seed=SEED,
    encoder_widths=ENCODER_WIDTHS, kl_weight=KL_WEIGHT, gan_weight=GAN_WEIGHT)
for part in (model.encoder, model.decoder, model.discriminator):
    print(f"{part.name:>14}: {part.count_params():>9,} parameters")

# %% [markdown]
# ## 4. Training, with the NaN watch on
#
# `fit.train` is `model.fit` with `diagnostics.NaNWatch` (notebook 03)
# always on: had any loss term or gradient norm gone inf or NaN, training
# would stop there, the last finite weights would come back and `result.event`
# would name the term.  It also times the run.

# %%
show_source(fit.train, "keras.utils.set_random_seed")

# %%
result = fit.train(model, data.x["train"], data.x["validation"], epochs=EPOCHS,
                        batch_size=BATCH_SIZE, seed=SEED, verbose=VERBOSE)
print(result)
assert result.finite, result.event

# %% [markdown]
# The loss curves.  Left: the reconstruction error on training and
# validation clips.  Validation falls with training for the first twenty-odd
# epochs, then levels off while training keeps improving: from there on the
# model learns details of its 256 training clips more than bee sounds in
# general (more clips would help; stopping earlier would lose little).
# Middle: the KL term (nats; it grows as the encoder starts to use its code)
# and the GAN terms.  Right: the discriminator's mean probability of "real"
# on real and on decoded inputs; it wins most of the time, but not so
# completely that its gradients vanish.

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 3.4))
plotting.plot_losses(result.history, axes[0], keys=["pixel", "val_pixel"],
                     title="reconstruction: squared error, summed over bins")
plotting.plot_losses(result.history, axes[1], keys=["kl", "val_kl", "gan_dec", "disc"],
                     title="KL (nats) and GAN losses")
plotting.plot_losses(result.history, axes[2], keys=["d_real", "d_fake"],
                     title="discriminator: mean P(real)")
axes[2].set_ylabel("probability")
plt.show()

# %% [markdown]
# A trained model is only useful with the statistics that undo its scaling,
# so `approaches.save` writes the `.keras` file and, beside it, a JSON
# description: which representation the model speaks, with the normaliser's
# statistics, the kinds and the sample rate.  That is all notebook 07 and the
# `python -m beeutils.generate` command need to make sound from it.  Loading
# uses Keras's `safe_mode`: no code is read from the file, every layer is a
# registered `beeutils` class.  The reloaded model reconstructs exactly as the
# one in memory.

# %%
trained = approaches.TrainedApproach("magnitude", model, data.representation, data.kinds,
                                     conditional=False, n_samples=data.waves["train"].shape[-1])
model_file = approaches.save(trained, MODEL_PATH)
loaded = approaches.load(model_file)
same = np.array_equal(loaded.model.reconstruct(data.x["test"]),
                      model.reconstruct(data.x["test"]))
print(f"{model_file.name} ({model_file.stat().st_size / 1e6:.1f} MB) + "
      f"{model_file.with_suffix('.json').name}; identical reconstructions after reload: {same}")
assert same and np.array_equal(loaded.representation.normalizer.mean, norm.mean)

# %% [markdown]
# ## 5. Reconstructions, seen and heard
#
# Each held-out clip goes through the encoder (posterior mean), the decoder,
# the inverse scaling and Griffin-Lim.  We pick one test clip of each kind.

# %%
test_labels = data.labels["test"]
pick = [test_labels.index(kind) for kind in data.kinds]
recon_mag = fit.from_model_output(model.reconstruct(data.x["test"][pick]), norm)
true_mag = data.mags["test"][pick]
n_samples = data.waves["test"].shape[-1]
recon_wave = fit.griffin_lim_waves(recon_mag, STFT, n_samples, GL_ITERS, seed=SEED)
floor_wave = fit.griffin_lim_waves(true_mag, STFT, n_samples, GL_ITERS, seed=SEED)

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
# 32-number code cannot hold is smoothed: short pulses come back blurred or
# run together (the quacks lose their sharp edges, the toot's short
# syllables merge into one tone), and the fine texture of noise (hiss,
# no-bee) returns as a smooth wash with a faint checkerboard, the footprint
# of the decoder's strided transposed convolutions.

# %% [markdown]
# Listen: for each kind, the original clip, Griffin-Lim on its **true**
# magnitudes (the best any magnitude-only model can do; low-passed at 2 kHz
# by the crop) and Griffin-Lim on the **reconstructed** magnitudes.

# %%
for j, i in enumerate(pick):
    display(Markdown(f"**{test_labels[i]}**: original · Griffin-Lim of the true "
                     "magnitudes (floor) · Griffin-Lim of the reconstruction"))
    display(Audio(data.waves["test"][i], rate=STFT.sr), Audio(floor_wave[j], rate=STFT.sr),
            Audio(recon_wave[j], rate=STFT.sr))

# %% [markdown]
# **Is it hum?**  Two checks a listener makes without thinking: the pitch and
# the harmonic stack.  There is a catch: the training set's *average*
# spectrum already peaks near 240 Hz (the mean curve in section 2), so a
# model that ignored its input would produce hum-pitched sound on average.
# What shows that the model listens is that each reconstruction follows its
# own clip: below, every held-out hum clip, its true fundamental (from the
# synthesis recipe) and the fundamental of its reconstruction after
# Griffin-Lim (YIN, `metrics.fundamental_frequency`).

# %%
hum_idx = [i for i, kind in enumerate(test_labels) if kind == "hum"]
hum_rec_mag = fit.from_model_output(model.reconstruct(data.x["test"][hum_idx]), norm)
hum_rec_wave = fit.griffin_lim_waves(hum_rec_mag, STFT, n_samples, GL_ITERS, seed=SEED)
f0_true = np.array([data.metas["test"][i]["f0_hz"] for i in hum_idx])
f0_rec = np.atleast_1d(metrics.fundamental_frequency(hum_rec_wave, STFT.sr))
f0_error = np.abs(f0_rec - f0_true)
rows = [f"| {i} | {t:.1f} | {r:.1f} |" for i, t, r in zip(hum_idx, f0_true, f0_rec)]
display(Markdown("| held-out hum clip | true f0 (Hz) | reconstruction's f0 (Hz) |\n"
                 "|---|---:|---:|\n" + "\n".join(rows)))
print(f"median |f0 error|: {np.median(f0_error):.1f} Hz over a {np.ptp(f0_true):.0f} Hz spread "
      f"of true fundamentals")

# %% [markdown]
# The harmonic stack: the time-averaged spectrum of one reconstruction should
# peak at `f0` and `2 f0` and dip between them, as the real clip's does.

# %%
profile_db = 20 * np.log10(hum_rec_mag[0].mean(axis=1) + 1e-6)    # (freq,)
true_db = 20 * np.log10(data.mags["test"][hum_idx[0]].mean(axis=1) + 1e-6)
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
if not CFG.fast:  # two epochs on six clips do not make a model
    in_band = (f0_rec >= HUM_BAND[0]) & (f0_rec <= HUM_BAND[1])
    assert in_band.all() and np.median(f0_error) < 8 and contrast > 6

# %% [markdown]
# ## 6. Prior samples: generation
#
# Now the generator proper: draw `z` from the prior `N(0, I)`, decode, undo
# the scaling, run Griffin-Lim.  The model is unconditional: it does not know
# about kinds, so it chooses one (or a mixture) by itself.  Expect mostly
# hum-like harmonic stacks, some with piping-like glides or toot-like
# partials blended in: a prior sample lands between the training clips' codes
# as often as on one of them.

# %%
gen_mag = fit.from_model_output(model.sample(N_SHOW, seed=SEED + 1), norm)
gen_wave = fit.griffin_lim_waves(gen_mag, STFT, n_samples, GL_ITERS, seed=SEED)
gen_f0 = metrics.fundamental_frequency(gen_wave, STFT.sr)
fig, axes = plotting.spectrogram_grid(
    list(gen_mag), STFT, titles=[f"sample {i}: f0 {f:.0f} Hz" for i, f in enumerate(gen_f0)],
    ncols=4, floor_db=-80)
plt.show()
display(*[Audio(w, rate=STFT.sr) for w in gen_wave])

# %% [markdown]
# ## 7. The latent space
#
# Where does the encoder put each kind?  The posterior means of every clip,
# projected onto their two principal components.  The model was never told
# the kinds, so any grouping is its own.  Two components of a 32-dimensional
# code show only a slice of it: typically no-bee, hum and pre-swarm clips
# form their own regions, while the pulsed sounds (toot, quack, piping,
# waggle) and hiss overlap in this view.

# %%
x_all = np.concatenate([data.x[s] for s in ("train", "validation", "test")])
labels_all = np.concatenate([data.labels[s] for s in ("train", "validation", "test")])
z_mean, _ = model.encode(x_all)
pca = PCA(n_components=2, random_state=SEED).fit(z_mean)
z2 = pca.transform(z_mean)
fig, ax = plt.subplots(figsize=(7, 5))
for kind in data.kinds:
    sel = labels_all == kind
    ax.scatter(z2[sel, 0], z2[sel, 1], s=14, label=kind)
ax.set(xlabel=f"PC 1 ({pca.explained_variance_ratio_[0]:.0%} of variance)",
       ylabel=f"PC 2 ({pca.explained_variance_ratio_[1]:.0%})",
       title="posterior means z_mean, 2-D PCA, coloured by sound kind")
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
# true ones, come back with an error: this is the floor no magnitude-only
# model can go below.  Here it is in numbers on the clips above (spectral
# convergence: energy of the magnitude error relative to the target, in dB;
# log-spectral distance: RMS dB difference per frame), next to the
# reconstructions, which carry the model's own error on top.  Both are
# measured in the model's band, 0-2 kHz.  The last row asks how closely
# Griffin-Lim can realise the generated magnitudes at all: a decoded
# spectrogram need not be the STFT of any signal.

# %%
def band_errors(target: np.ndarray, waves: np.ndarray) -> tuple[float, float]:
    est = fit.magnitudes(waves, STFT)
    return (float(np.mean(metrics.spectral_convergence_db(target, est))),
            float(np.mean(metrics.log_spectral_distance(target, est))))


sc_floor, lsd_floor = band_errors(true_mag, floor_wave)
sc_rec, lsd_rec = band_errors(true_mag, recon_wave)
sc_gen, _ = band_errors(gen_mag, gen_wave)
display(Markdown(
    "| Griffin-Lim on | spectral convergence (dB) | log-spectral distance (dB) |\n"
    "|---|---:|---:|\n"
    f"| true magnitudes (the floor) | {sc_floor:.1f} | {lsd_floor:.2f} |\n"
    f"| reconstructed magnitudes, against the true ones | {sc_rec:.1f} | {lsd_rec:.2f} |\n"
    f"| generated magnitudes, against themselves | {sc_gen:.1f} | |"))
assert sc_floor < -15 and sc_floor < sc_rec

# %% [markdown]
# Two things hide in "Griffin-Lim on the true magnitudes":
#
# - **the crop**: the model keeps 0-2 kHz, so everything above is gone (the
#   missing bins are zeros, a low-pass).  Bee sounds live below 2 kHz, but
#   hissing and the no-bee crickets do not;
# - **the phase**: Griffin-Lim's phase is not the true one.  Phase errors
#   between frames smear pulse onsets and typically add a faint "phasey",
#   reverberant colour.
#
# Listen to them one at a time on the hum: the original, the crop alone
# (inverse STFT of the cropped *complex* spectrogram, true phase), then crop
# plus Griffin-Lim, then the model's reconstruction.

# %%
j_hum = list(data.kinds).index("hum")
hum_original = data.waves["test"][pick[j_hum]]
hum_lowpass = fit.lowpass_reference(hum_original[None], STFT)[0]
for name, wave in (("original", hum_original), ("crop only (true phase)", hum_lowpass),
                   ("crop + Griffin-Lim (the floor)", floor_wave[j_hum]),
                   ("model reconstruction + Griffin-Lim", recon_wave[j_hum])):
    display(Markdown(f"*{name}*"), Audio(wave, rate=STFT.sr))

# %% [markdown]
# ### Our Griffin-Lim against librosa's
#
# `bench.compare_with_librosa` runs both on the same full-band magnitudes from
# the same random initial phases, with the same 32 iterations and momentum
# 0.99: quality (spectral convergence, lower is better) should agree, and the
# batched TensorFlow loop should be faster than librosa's clip-by-clip loop.

# %%
cmp = bench.compare_with_librosa(data.waves["test"][:N_LIBROSA], STFT.replace(n_freq_keep=None),
                                  n_iter=GL_ITERS, momentum=0.99, seed=SEED)
display(Markdown(
    f"| {cmp['n_clips']} clips, {cmp['n_iter']} iterations | ours (TensorFlow, batched) | "
    f"librosa |\n|---|---:|---:|\n"
    f"| spectral convergence (dB) | {cmp['sc_db_ours']:.2f} | {cmp['sc_db_librosa']:.2f} |\n"
    f"| wall clock (s) | {cmp['seconds_ours']:.2f} | {cmp['seconds_librosa']:.2f} |\n"
    f"| CPU time, all threads (s) | {cmp['cpu_seconds_ours']:.2f} | "
    f"{cmp['cpu_seconds_librosa']:.2f} |"))
assert abs(cmp["sc_db_ours"] - cmp["sc_db_librosa"]) < 0.5

# %% [markdown]
# ## 9. The numbers
#
# `fit.evaluate_magnitude_model` measures everything at once on the
# held-out clips, each number beside its reference:
#
# - **reconstruction**: spectral convergence and log-spectral distance in the
#   0-2 kHz band after Griffin-Lim, against the floor above; the
#   multi-resolution STFT distance (Parallel WaveGAN's three resolutions)
#   of the waveform from the clip low-passed at 2 kHz with its true phase,
#   against the same distance for Griffin-Lim on the true magnitudes.  The
#   reference is low-passed so that the numbers are about phase and model,
#   not about the crop;
# - **generation**: `N_GENERATED` prior samples against real clips passed
#   through the *same* crop and Griffin-Lim (otherwise the phase and the
#   missing 2-8 kHz would dominate every distance).  The Frechet distance
#   between Gaussians fitted to standardised hand-made features (log-mel and
#   MFCC statistics) of generated and held-out clips, divided by the same
#   distance between training and held-out clips: 1 would mean "as close as
#   real data gets";  NDB/K, the share of k-means bins of the training
#   features where generated clips land in a significantly different
#   proportion (held-out real clips score the floor); and the fundamental
#   frequency.

# %%
scores, eval_waves = fit.evaluate_magnitude_model(
    model, data, n_iter=GL_ITERS, n_generated=N_GENERATED, seed=SEED, return_waves=True)
display(Markdown(fit.metrics_table(scores)))
print(f"evaluation took {scores['eval_seconds']:.0f} s")
assert scores["sc_floor_db"] < scores["sc_model_db"]

# %% [markdown]
# **Reading the table.**  The reconstruction rows sit well above their
# floors: the decoder's magnitudes are smoother than the real ones (a VAE
# averages what it cannot encode), and Griffin-Lim adds its phase error on
# top.  Most of the gap is the model's, not the phase's: compare the
# log-spectral distance of the decoded magnitudes (no phase involved) with
# the same distance after Griffin-Lim.
#
# The generation rows compare *distributions*, and the generator is
# unconditional: it does not choose "hum", it draws from everything it
# learned.  So we do not compare generated clips with hum clips; we compare
# the whole f0 distribution of the generated clips with the held-out clips'
# (Wasserstein distance, in Hz), and the share of clips whose f0 falls in the
# hum band.  That share counts waggle, pre-swarm and late worker piping too,
# whose fundamentals overlap the hum's, so it says "hum-pitched", not "hum".
# The held-out sets are small (four clips per kind), so the floors themselves
# are noisy: read differences of a few tens of per cent as ties.
#
# The f0 distributions side by side:

# %%
f0_gen_all = eval_waves["f0_generated"]
f0_data_all = eval_waves["f0_data"]
bins = np.linspace(80, 800, 37)
fig, ax = plt.subplots(figsize=(9, 3.2))
ax.hist(f0_data_all[np.isfinite(f0_data_all)], bins=bins, density=True, alpha=0.6,
        label=f"held-out clips through Griffin-Lim (n={np.isfinite(f0_data_all).sum()})")
ax.hist(f0_gen_all[np.isfinite(f0_gen_all)], bins=bins, density=True, alpha=0.6,
        label=f"generated (n={np.isfinite(f0_gen_all).sum()})")
ax.axvspan(*HUM_BAND, color="grey", alpha=0.2, label="hum band")
ax.set(xlabel="fundamental frequency, YIN median (Hz)", ylabel="density",
       title="f0 of generated clips against the corpus")
ax.legend(fontsize="small")
plt.show()

# %% [markdown]
# The histogram says what the table's NDB/K says: the generator
# **over-produces the majority**.  Five of the eight kinds have fundamentals
# near 200-300 Hz, and generated clips crowd into that band, while the
# queens' 350 Hz quacks and 500 Hz toots are rare or missing.  This is the
# VAE side of the model at work: prior samples fall between the codes of
# the training clips, and the average of many kinds is hum-like.  Conditioning
# on the kind (notebook 07) is the direct cure; a better representation
# (notebooks 05 and 06) makes each sound cheaper to encode.

# %% [markdown]
# ## What we learned
#
# - Scale spectrograms with statistics a generator can know: per-frequency
#   mean and standard deviation of the log magnitude over the *training set*
#   (SpecGAN), clipped to the `tanh` range, saved beside the model.
#   Per-clip statistics cannot be undone for a sample drawn from the prior.
# - With notebook 03's fixes on (normalised inputs, squared error, clamped
#   log-variance, GAN losses from logits) the VAE-GAN trains with every loss
#   term finite; `NaNWatch` stays on anyway and would say where it broke.
# - Reconstructions keep the pitch and the harmonic stack of hum; the
#   decoder smooths what the 32-number code cannot hold (pulse timing, the
#   fine noise texture).
# - A magnitude spectrogram is half of the STFT.  Griffin-Lim finds a phase,
#   but not the true one: even perfect magnitudes come back with an error
#   (the floor measured above) and often a phasey colour, and the 2 kHz crop removes
#   what lies above it.  No magnitude-only model can beat that floor.
# - Our batched TensorFlow Griffin-Lim matches librosa's quality from the
#   same initial phases, and runs a whole batch at once.
# - A generator is measured against real data passed through the same
#   pipeline: Frechet distance ratio, NDB/K and the f0 distribution, each next
#   to its floor.  Ours makes recognisable hum-pitched harmonic sounds but
#   over-produces them: the queens' higher-pitched calls are rare among its
#   samples.
#
# **Next:** [05 · Complex spectrograms against magnitudes](05_complex_vs_magnitude.ipynb):
# give the model the phase (real and imaginary parts, or GANSynth's
# instantaneous frequency) and remove the floor instead of living with it.
