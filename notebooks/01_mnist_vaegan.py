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
# # 01 · A VAE-GAN on handwritten digits
#
# The starting point of the series: the Keras MNIST VAE-GAN, rebuilt in
# Keras 3 and taken apart piece by piece, trained on handwritten digits on a
# CPU.
#
# **You will learn**
# - what the three networks of a VAE-GAN do: the *encoder* (image to a
#   distribution over a small latent code), the *decoder* (code to image) and
#   the *discriminator* (real or generated?);
# - the three losses of Larsen et al. (2016): the KL divergence that shapes
#   the latent space, a reconstruction measured on a hidden layer of the
#   discriminator instead of on pixels, and the GAN loss in which both
#   reconstructions and samples from the prior count as fakes;
# - how a custom `train_step` gives each network its own loss, gradient and
#   optimiser, and which numbers to watch while it trains;
# - how to judge the result: samples from the prior, reconstructions of
#   held-out digits, the latent space coloured by digit, and a classifier's
#   opinion of the samples.
#
# **Prerequisites:** a little Python and Keras.  Nothing about audio yet; that
# starts in notebook 02, and notebook 03 ports this very model to spectrograms.
#
# **Run time on a CPU:** most of a full-mode run is training (the training
# cell prints its time); the README's notebook table gives the full-mode and
# fast-mode (`BEE_FAST=1`) times measured on 2 CPU cores, and the rendered
# page in `docs/` states the run time of the run it shows.
# Data: MNIST if it is already in your Keras cache, otherwise scikit-learn's
# bundled 8x8 digits upscaled to 28x28.  Nothing is downloaded.

# %% [markdown]
# ## The question this series answers
#
# Why start with handwritten digits in a series about bees?  Because that is
# where the question started.  A researcher wanted to generate honeybee
# sounds.  They took the Keras MNIST VAE-GAN, the model of this notebook, ran
# an STFT over their bee recordings to turn each one into an "image" laid out
# time by frequency, fed those images to the unchanged model, and after about
# ten training steps the loss went to inf or NaN.  They asked: **why**, and
# **what is the legitimate way to generate audio with a VAE-GAN?**
#
# The answer they got, in our words, makes five points; each one is
# demonstrated later in the series:
#
# 1. **A spectrogram is frequency by time**: frequency up the vertical axis
#    (high pitch at the top), time along the horizontal one.  Its two axes
#    mean different things, so it is not just another picture (notebook 02).
# 2. **The STFT window length is a trade-off**: a long window resolves
#    frequency finely and smears time, a short one does the opposite; choose
#    it for the sound (notebook 02).
# 3. **Think of the decoder as driving a bank of oscillators**: a piano
#    keyboard turned 90 degrees, its keys running up the frequency axis;
#    moment by moment the decoder chooses which keys are pressed and how hard
#    (notebook 09 builds that decoder).
# 4. **The STFT is complex.**  A spectrogram shows only its magnitude; a model
#    that throws the phase away has an error floor it cannot go below,
#    however well it trains (notebooks 05 and 06 measure it).
# 5. **Read about vocoders, Prony's method and speech synthesis**: vocoders
#    rebuild a waveform from a compact description of it, Prony's method
#    describes a signal as a sum of damped sinusoids (notebook 08), and speech
#    synthesis has long generated sound from such descriptions.
#
# The "why" is the subject of notebooks 03 and 04: they feed spectrograms to
# this very model, find where the numbers break, and why.  To follow them we
# first need the model itself, and the choices in it that only matter once
# the inputs stop being digits.

# %% [markdown]
# ## Setup
#
# `beeutils.setup` seeds Python, NumPy and Keras, sets the plot defaults,
# quiets TensorFlow's start-up messages and reads the fast-mode flag.

# %%
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import math
import time

import matplotlib.pyplot as plt
import numpy as np

import beeutils

CFG = beeutils.setup(seed=1)  # first: it also quiets TensorFlow's start-up logs

import keras  # noqa: E402

from beeutils.data import digits  # noqa: E402
from beeutils.models import layers  # noqa: E402
from beeutils.models import losses  # noqa: E402
from beeutils.models import vaegan  # noqa: E402
from beeutils.ui import plotting  # noqa: E402

print(f"fast mode: {CFG.fast}; Keras {keras.__version__} on {keras.backend.backend()}")

# %% [markdown]
# Everything you may want to change is a constant here; fast mode uses a few
# hundred images and a handful of steps (enough to check that everything runs,
# not enough to draw digits).  Training length is given in *steps* (batches)
# so that it does not depend on how many images the data source has.

# %%
SEED = 1
MAX_IMAGES = 300 if CFG.fast else 12000   # images used (sklearn has 1,797; MNIST 70,000)
HOLDOUT = 0.1                             # share kept out of training, for honest reconstructions
LATENT_DIM = 8                            # size of the code z
ENC_WIDTHS = (32, 64)                     # conv filters, 28x28 -> 14x14 -> 7x7
DEC_WIDTHS = (32, 64)                     # the decoder mirrors them: 7x7 -> 14x14 -> 28x28
DISC_WIDTHS = (32, 64)                    # discriminator convs; the last one is the feature layer
BATCH_SIZE = 64
TRAIN_STEPS = 10 if CFG.fast else 1300    # optimiser steps for each of the three networks
KL_WEIGHT = 1.0                           # encoder: KL + reconstruction
GAMMA = 0.3                               # decoder: GAMMA * reconstruction + GAN
PIXEL_WEIGHT = 0.2                        # pixel cross-entropy beside the feature loss
LR_ENC, LR_DEC, LR_DISC = 1e-3, 1e-3, 2e-4  # Adam, beta_1 = 0.5 (DCGAN's setting)
N_SAMPLES = 64                            # prior samples in the grid


# %% [markdown]
# One small helper prints a function's source with its docstring folded away,
# so that we can read the essential lines of `beeutils` as we meet them.

# %%
from beeutils.source import show_source  # noqa: E402  (docstring folded, optional excerpt)

# %% [markdown]
# ## 1. The data: handwritten digits, offline
#
# The Keras examples load MNIST with `keras.datasets.mnist.load_data()`, which
# downloads it the first time.  This series never downloads anything, so
# `digits.load_digits_28` reads MNIST only if the file is already in the Keras
# cache (`~/.keras/datasets/mnist.npz`).  Otherwise it falls back on the 1,797
# 8x8 digits that ship inside scikit-learn, upscaled to MNIST's layout: a
# 20x20 digit centred in a 28x28 frame, intensities in [0, 1].

# %%
show_source(digits.upscale_digits)

# %%
x_all, y_all, SOURCE = digits.load_digits_28(n=MAX_IMAGES, seed=SEED)
print(f"Data: {digits.SOURCES[SOURCE]}.")
print(f"{len(x_all)} images of shape {x_all.shape[1:]}, values in "
      f"[{x_all.min():.1f}, {x_all.max():.1f}]")
assert x_all.shape[1:] == (28, 28, 1) and 0.0 <= x_all.min() and x_all.max() <= 1.0

# %% [markdown]
# We keep a tenth of the images out of training: reconstructions of digits the
# model has never seen tell us whether it learned digits or memorised images.

# %%
n_val = max(8, int(round(HOLDOUT * len(x_all))))
x_train, y_train = x_all[n_val:], y_all[n_val:]
x_val, y_val = x_all[:n_val], y_all[:n_val]
print(f"train {len(x_train)}, held out {len(x_val)}")

fig, axes = plt.subplots(2, 10, figsize=(10, 2.4))
for ax, img, label in zip(axes.flat, x_train, y_train):
    ax.imshow(img[..., 0], cmap="gray", vmin=0, vmax=1)
    ax.set_title(str(label), fontsize=9)
    ax.axis("off")
fig.suptitle(f"Training images ({SOURCE}), labelled with their digit")
plt.show()

# %% [markdown]
# ## 2. Three networks
#
# A **variational autoencoder** (VAE; Kingma & Welling 2014) squeezes each
# image through a small random code `z` and learns to rebuild it.  A **GAN**
# (Goodfellow et al. 2014) trains a generator against a critic that tries to
# tell its images from real ones.  The **VAE-GAN** of Larsen et al. (2016),
# "Autoencoding beyond pixels using a learned similarity metric", joins them:
# the VAE's decoder *is* the GAN's generator.
#
# The builders below are the ones the whole series uses.  The few lines about
# `n_classes` (a "label" input) serve notebook 10, where the model is told
# which kind of bee sound to make; here `n_classes` is 0 and they do nothing.
#
# ### The encoder
#
# As in the keras.io "Variational AutoEncoder" example: two stride-2
# convolutions (28x28 -> 14x14 -> 7x7), a dense layer, then two heads that give
# the mean and the log-variance of a Gaussian over `z`.  The encoder does not
# say "this image is code `z`", it says "it is somewhere around `z_mean`, give
# or take `exp(0.5 * z_log_var)`".

# %%
show_source(vaegan.build_encoder)

# %% [markdown]
# To train through a random draw, the **reparameterisation trick** moves the
# randomness into a separate standard-normal `eps`:
# `z = z_mean + exp(0.5 * z_log_var) * eps`.  Gradients then flow into
# `z_mean` and `z_log_var` as through any other layer.  `log_var_clamp` keeps
# `exp` from overflowing; notebook 03 switches it off and watches the
# gradient it feeds overflow when squared.

# %%
show_source(layers.Sampling.call)

# %% [markdown]
# ### The decoder
#
# The mirror image: a dense layer to a 7x7 grid of 64 channels, two stride-2
# transposed convolutions back up to 28x28, and a last convolution to one
# channel with a sigmoid, so that every pixel is an intensity in [0, 1].
# `PadCrop` trims the output to exactly the input shape, which matters later
# for spectrograms whose sides are not a multiple of 4 (for 28x28 it does
# nothing).  (The `n_classes` lines serve the models conditioned on a kind,
# in notebook 10; here there is none.)

# %%
show_source(vaegan.build_decoder)

# %% [markdown]
# ### The discriminator
#
# As in the keras.io DCGAN example: stride-2 convolutions with LeakyReLU(0.2)
# and a single output, a *logit* (a score; `sigmoid(logit)` is the probability
# that the input is real).  Unlike a plain GAN critic it has **two outputs**:
# the logit, and the activations of a hidden layer, the *features* in which the
# VAE-GAN measures how close a reconstruction is to its original.

# %%
show_source(vaegan.build_discriminator)

# %% [markdown]
# We build the three networks for 28x28x1 images and wrap them in the
# `VAEGAN` model, which owns the losses and the training step.  The pixel term
# is the keras.io VAE's binary cross-entropy, with a small weight next to
# Larsen's feature loss (section 3 explains each weight).

# %%
keras.utils.set_random_seed(SEED)
SHAPE = x_train.shape[1:]
encoder = vaegan.build_encoder(SHAPE, LATENT_DIM, ENC_WIDTHS)
decoder = vaegan.build_decoder(SHAPE, LATENT_DIM, DEC_WIDTHS, output_activation="sigmoid")
discriminator = vaegan.build_discriminator(SHAPE, DISC_WIDTHS)
mnist_vaegan = vaegan.VAEGAN(
    encoder, decoder, discriminator,
    kl_weight=KL_WEIGHT, gamma=GAMMA,
    pixel_loss="bce", pixel_weight=PIXEL_WEIGHT,
    seed=SEED,
)
for net in (encoder, decoder, discriminator):
    outs = [tuple(o.shape) for o in net.outputs]
    print(f"{net.name:14s} {tuple(net.inputs[0].shape)} -> {outs}, "
          f"{net.count_params():,} parameters")

# %% [markdown]
# ## 3. The losses
#
# **KL divergence** pulls every encoded Gaussian towards the prior `N(0, I)`,
# so that random codes drawn from the prior decode to something sensible.
# Summed over the latent dimensions, averaged over the batch; zero when the
# encoder outputs exactly `N(0, 1)` (and then tells the decoder nothing).

# %%
show_source(losses.kl_divergence)

# %% [markdown]
# **Reconstruction.**  A plain VAE compares pixels, and pixel-wise losses
# punish a stroke drawn one pixel to the left as hard as a missing stroke, so
# the decoder hedges and blurs.  Larsen et al. compare the discriminator's
# *features* instead: the discriminator has learned what matters for telling
# digits apart from fakes, so its hidden layer is a learned similarity.  The
# loss is the squared error of those features, summed per image (the same
# scale as the KL; `VAEGAN` passes `feature_reduction="sum"`, its default,
# to the function below).

# %%
show_source(losses.feature_matching)

# %% [markdown]
# **GAN losses.**  The discriminator minimises binary cross-entropy with real
# images labelled 1 and two kinds of fakes labelled 0: reconstructions `x~`
# and decoded prior samples `x_p`.  The decoder minimises the *non-saturating*
# loss `-log D(fake)`, which keeps pushing even while the discriminator is
# winning.  Both work on logits (`softplus(-logit) == -log(sigmoid(logit))`),
# so a confident discriminator never produces `log(0)`; `from_logits=False` is
# the naive form, kept for notebooks 03 and 04.

# %%
show_source(losses.gan_discriminator_loss)
show_source(losses.gan_generator_loss)

# %% [markdown]
# **Who minimises what.**  The key idea of the VAE-GAN is that each network
# gets its own loss:
#
# | network | minimises | why |
# |---|---|---|
# | encoder | `KL_WEIGHT * kl + recon` | a useful code that stays close to the prior |
# | decoder | `GAMMA * recon + gan_dec` | rebuild the input *and* fool the discriminator |
# | discriminator | `disc` | tell real from reconstructed and from sampled |
#
# with `recon = feature + PIXEL_WEIGHT * pixel`.  `GAMMA` sets the decoder's
# balance between faithful and convincing; Larsen et al. found a small weight
# best (1e-2 with their mean-squared feature loss); with our per-image sums
# 0.3 works here.  The pixel term is not in the paper; a little of it anchors
# the decoder early on, while the discriminator's features still mean
# nothing, and makes training on a small data set reliable.
#
# In `VAEGAN`'s own terms the decoder minimises
# `gamma * recon + gan_weight * gan_dec`: `gamma` weights the reconstruction,
# `gan_weight` the GAN term.  Here `gan_weight` keeps its default of 1, so
# `GAMMA` alone sets the balance.  Notebooks 05 and 06 keep `gamma` and also
# name the other side, `gan_weight`, through a `GAN_WEIGHT` constant.  For
# the balance, what counts is the ratio of the two weights (Adam largely
# ignores the overall scale of a loss).

# %% [markdown]
# ## 4. The training step
#
# `keras.Model.fit` calls `train_step` once per batch.  The keras.io VAE and
# DCGAN examples override it to run their own losses; we do the same with
# three networks.  First, one forward pass that computes every term:

# %%
show_source(vaegan.VAEGAN.compute_losses)

# %% [markdown]
# Read it top to bottom: encode, sample `z` (reconstruction) and `z_p` (prior),
# decode both, run the discriminator on the real batch, the reconstructions and
# the prior samples, then compute the terms.  `d_real` and `d_fake` are the
# discriminator's mean probabilities, the quickest way to see which side is
# winning (0.5 each: undecided; 1 and 0: the discriminator has won and the
# decoder learns nothing).
#
# Then the step itself:

# %%
show_source(vaegan.VAEGAN.train_step)

# %% [markdown]
# - **One persistent `GradientTape`** records the forward pass once; three
#   `tape.gradient` calls then take the gradient of each network's own loss
#   with respect to that network's weights only.  The decoder's
#   reconstruction gradient flows *through* the discriminator, but the
#   discriminator's weights only move by its own loss.
# - **Three optimisers**, one per network, so that each can have its own
#   learning rate (the discriminator gets a smaller one: if it wins too fast,
#   the decoder's gradients vanish) and its own Adam moments.
# - **Trackers** (`keras.metrics.Mean`) average every term over an epoch, and
#   the global norm of each network's gradient is logged too: a gradient norm
#   that grows by orders of magnitude is the first sign of the divergence
#   notebook 03 investigates.
#
# We compile with the three optimisers.  Before training, the untrained
# discriminator cannot tell anything apart, so its probabilities sit near 0.5
# and each GAN term is near `log 2 = 0.69` per kind of input.

# %%
adam = lambda lr: keras.optimizers.Adam(learning_rate=lr, beta_1=0.5)  # noqa: E731
mnist_vaegan.compile(enc_optimizer=adam(LR_ENC), dec_optimizer=adam(LR_DEC),
               disc_optimizer=adam(LR_DISC))
before = {k: float(v) for k, v in mnist_vaegan.compute_losses(x_train[:BATCH_SIZE]).items()}
print({k: round(v, 3) for k, v in before.items()})
assert abs(before["d_real"] - 0.5) < 0.1 and abs(before["d_fake"] - 0.5) < 0.1

# %% [markdown]
# ## 5. Training
#
# `fit` runs the steps; `validation_data` runs `test_step` (the same losses,
# no updates) on the held-out images after every epoch.  A small callback
# prints a few numbers now and then.

# %%
steps_per_epoch = math.ceil(len(x_train) / BATCH_SIZE)
EPOCHS = max(1, math.ceil(TRAIN_STEPS / steps_per_epoch))
SHOW = ("kl", "feature", "pixel", "gan_dec", "disc", "d_real", "d_fake")
report_every = max(1, EPOCHS // 8)


def report(epoch: int, logs: dict) -> None:
    if (epoch + 1) % report_every == 0 or epoch + 1 == EPOCHS:
        print(f"epoch {epoch + 1:3d}/{EPOCHS}: "
              + ", ".join(f"{k} {logs[k]:.3g}" for k in SHOW), flush=True)


print(f"{EPOCHS} epochs of {steps_per_epoch} steps (batch {BATCH_SIZE})")
start = time.perf_counter()
history = mnist_vaegan.fit(
    x_train, batch_size=BATCH_SIZE, epochs=EPOCHS, shuffle=True, verbose=0,
    validation_data=(x_val,),
    callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=report)],
)
TRAIN_SECONDS = time.perf_counter() - start
print(f"trained in {TRAIN_SECONDS:.0f} s ({1000 * TRAIN_SECONDS / (EPOCHS * steps_per_epoch):.0f}"
      " ms per step)")
H = history.history
assert all(np.isfinite(values).all() for values in H.values()), "a loss went non-finite"

# %% [markdown]
# ### Loss curves
#
# A GAN's losses do not fall to zero: the two sides keep pushing against each
# other, and a healthy run reaches a stalemate.  What to look for: the KL
# rises at first (the encoder starts to use its code) and then rises only
# slowly; the
# reconstruction terms fall, on held-out images (dashed) as on training ones;
# the discriminator's probabilities stay apart from 0 and 1; gradient norms
# stay within an order of magnitude.

# %%
epochs_axis = np.arange(1, EPOCHS + 1)
fig, axes = plt.subplots(2, 2, figsize=(12, 7))
ax = axes[0, 0]
for key in ("kl", "feature"):
    (line,) = ax.plot(epochs_axis, H[key], label=f"{key} (train)")
    ax.plot(epochs_axis, H[f"val_{key}"], ls="--", color=line.get_color(),
            label=f"{key} (held out)")
ax.set(xlabel="Epoch", ylabel="Loss per image (nats / squared feature units)",
       title="Latent code and learned similarity")
ax.legend(fontsize="small")
ax = axes[0, 1]
ax.plot(epochs_axis, H["pixel"], label="pixel BCE (train)")
ax.plot(epochs_axis, H["val_pixel"], ls="--", label="pixel BCE (held out)")
ax.set(xlabel="Epoch", ylabel="Binary cross-entropy per image (nats)",
       title="Pixel reconstruction")
ax.legend(fontsize="small")
ax = axes[1, 0]
plotting.plot_losses(history, ax=ax, keys=["gan_dec", "disc"], title="Adversarial losses")
ax.set_ylabel("Loss per batch (nats)")
twin = ax.twinx()  # probabilities on their own 0-1 axis
twin.plot(epochs_axis, H["d_real"], color="k", lw=0.8, label="D(real), right axis")
twin.plot(epochs_axis, H["d_fake"], color="gray", lw=0.8, ls=":", label="D(fake), right axis")
twin.set_ylim(0, 1)
twin.set_ylabel("Mean discriminator probability")
ax.get_legend().remove()
handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
twin.legend(handles=handles, loc="lower right", fontsize="small")
plotting.plot_losses(history, ax=axes[1, 1], keys=list(vaegan.GRAD_NORMS), logy=True,
                     title="Gradient global norms")
axes[1, 1].set_ylabel("Global L2 norm of the gradient")
plt.show()

# %% [markdown]
# Why do both probabilities settle near 1/3 rather than 1/2?  Each step shows
# the discriminator one real batch and *two* fake batches (reconstructions and
# prior samples).  When it can no longer tell them apart, the best it can do
# is to answer "real" with the base rate, 1 in 3.  Then `disc` sits near
# `-log(1/3) - 2 log(2/3) = 1.91` and `gan_dec` near `2 log 3 = 2.20`: a
# stalemate, which is what a balanced adversarial game looks like.

# %% [markdown]
# ## 6. Samples from the prior
#
# The test of a generative model: draw codes from the prior `N(0, I)` and
# decode them.  None of these images existed before.

# %%
samples = mnist_vaegan.sample(N_SAMPLES, seed=SEED)
side = int(math.sqrt(N_SAMPLES))
grid = samples[: side * side, ..., 0].reshape(side, side, 28, 28).transpose(0, 2, 1, 3)
fig, ax = plt.subplots(figsize=(6, 6))
ax.imshow(grid.reshape(side * 28, side * 28), cmap="gray", vmin=0, vmax=1)
ax.set(title=f"{N_SAMPLES} decoded samples from the prior N(0, I)",
       xlabel="sample (column)", ylabel="sample (row)", xticks=[], yticks=[])
CFG.build_dir.mkdir(parents=True, exist_ok=True)
fig.savefig(CFG.build_dir / f"01_samples{'_fast' if CFG.fast else ''}.png", dpi=100)
plt.show()

# %% [markdown]
# ## 7. Reconstructions of held-out digits
#
# Each held-out image (top) next to the decoder's rendering of its encoded
# mean (bottom).  `reconstruct` is deterministic: it decodes `z_mean` rather
# than a random draw.

# %%
n_show = min(12, len(x_val))
recon = mnist_vaegan.reconstruct(x_val[:n_show])
fig, axes = plt.subplots(2, n_show, figsize=(n_show, 2.3))
for i in range(n_show):
    axes[0, i].imshow(x_val[i, ..., 0], cmap="gray", vmin=0, vmax=1)
    axes[1, i].imshow(recon[i, ..., 0], cmap="gray", vmin=0, vmax=1)
    axes[0, i].set_title(str(y_val[i]), fontsize=9)
    for row in (0, 1):
        axes[row, i].set(xticks=[], yticks=[])
axes[0, 0].set_ylabel("original")
axes[1, 0].set_ylabel("recon.")
fig.suptitle("Held-out digits (top) and their reconstructions (bottom)")
plt.show()

# %% [markdown]
# Is that better than knowing nothing?  The baseline is the *average* training
# image, the best single guess.  We compare pixel cross-entropy per image.

# %%
recon_all = mnist_vaegan.reconstruct(x_val)
bce_model = float(losses.binary_crossentropy_pixels(x_val, recon_all))
mean_image = np.broadcast_to(x_train.mean(axis=0), x_val.shape)
bce_mean = float(losses.binary_crossentropy_pixels(x_val, mean_image))
print(f"held-out pixel BCE per image: model {bce_model:.1f} nats, "
      f"average image {bce_mean:.1f} nats")
if not CFG.fast:
    assert bce_model < 0.8 * bce_mean

# %% [markdown]
# ## 8. The latent space
#
# Where does each digit live in the code space?  We encode every image, take
# `z_mean`, and, since the code has `LATENT_DIM` dimensions, project it onto
# its two principal components.  Digits that look alike should land near each
# other; the KL keeps the cloud centred on the origin with roughly unit
# spread.

# %%
from sklearn.decomposition import PCA  # noqa: E402

z_mean, _ = mnist_vaegan.encode(x_all)
z_2d = PCA(n_components=2, random_state=SEED).fit_transform(z_mean) \
    if LATENT_DIM > 2 else z_mean
fig, ax = plt.subplots(figsize=(7, 5.5))
points = ax.scatter(z_2d[:, 0], z_2d[:, 1], c=y_all, cmap="tab10", s=6, vmin=-0.5, vmax=9.5)
fig.colorbar(points, ax=ax, ticks=range(10), label="digit")
ax.set(xlabel="principal component 1 of z_mean", ylabel="principal component 2 of z_mean",
       title=f"Encoded digits ({LATENT_DIM}-D code, PCA projection)")
plt.show()
print(f"z_mean: mean {z_mean.mean():.2f}, std {z_mean.std():.2f} (prior: 0 and 1)")

# %% [markdown]
# ## 9. Do the samples look like digits?
#
# Our eyes judged the sample grid; a second opinion that cannot be talked into
# anything is a classifier trained on the real training images.  A sample that
# looks like a digit gets a confident prediction, and across many samples all
# ten digits should appear (a GAN that draws only a few kinds has
# *collapsed*).  Two references with no digit in them: the average training
# image (the blur a model produces when it learns nothing) and held-out digits
# with their pixels shuffled (the same ink, no shape).

# %%
from sklearn.linear_model import LogisticRegression  # noqa: E402

flat = lambda images: images.reshape(len(images), -1)  # noqa: E731
classifier = LogisticRegression(max_iter=300, C=0.1).fit(flat(x_train), y_train)
many = mnist_vaegan.sample(500, seed=SEED + 1)
rng = np.random.default_rng(SEED)
scrambled = np.stack([rng.permutation(img.ravel()) for img in x_val])


def confidence(images: np.ndarray) -> float:
    """Mean probability the classifier gives its top digit."""
    return float(classifier.predict_proba(flat(images)).max(axis=1).mean())


counts = np.bincount(classifier.predict(flat(many)), minlength=10)
print(f"classifier accuracy on held-out digits: {classifier.score(flat(x_val), y_val):.2f}")
references = {
    "held-out digits": x_val,
    "prior samples": many,
    "average image": x_train.mean(axis=0, keepdims=True),
    "scrambled digits": scrambled,
}
print("mean confidence: " + ", ".join(f"{name} {confidence(images):.2f}"
                                      for name, images in references.items()))
print("prior samples per predicted digit:", dict(enumerate(counts.tolist())))
if not CFG.fast:
    assert confidence(many) > confidence(scrambled) + 0.15
    assert (counts > 0).sum() >= 8, "samples cover too few digits"

# %% [markdown]
# ## Run summary
#
# The numbers the title cell quotes: how long training took and where each
# loss ended (last epoch, training average).

# %%
print(f"data: {SOURCE}, {len(x_train)} training images; {EPOCHS} epochs, "
      f"{EPOCHS * steps_per_epoch} steps, {TRAIN_SECONDS:.0f} s of training")
print("final losses: " + ", ".join(f"{k} {H[k][-1]:.3g}" for k in SHOW))

# %% [markdown]
# The cells above printed this run's time, final losses, held-out
# reconstruction scores and the classifier's confidences; the rendered page
# of the series (`docs/`) shows a full-mode run.  In full mode most prior
# samples are readable digits of every kind, a little softer than the
# upscaled originals, with some ambiguous blends among them (a 4 that could
# be a 9, a 3 half-way to an 8): compare the classifier's mean confidence on
# the samples with its confidence on real held-out digits and on scrambled
# ones.
#
# ## What we learned
#
# - A VAE-GAN is three networks: an encoder to a Gaussian code, a decoder that
#   is also the GAN's generator, and a discriminator that both judges and
#   provides the feature space in which reconstructions are compared
#   (Larsen et al. 2016).
# - Each network minimises its own loss: encoder KL + reconstruction, decoder
#   `GAMMA` x reconstruction + GAN (`gamma * recon + gan_weight * gan_dec`,
#   with `gan_weight` 1 here), discriminator GAN only.  A custom
#   `train_step` with one persistent tape and three optimisers expresses that
#   in about fifteen lines.
# - The numbers to watch are the separate terms, the discriminator's
#   probabilities and each network's gradient norm, not one total loss.
# - The GAN losses work on logits, the KL on a clamped log-variance, and the
#   pixel cross-entropy on targets in [0, 1].  Every one of those choices
#   matters as soon as the inputs stop being digits.
#
# **Next:** [02 · Bee sounds and the STFT](02_bee_audio_and_stft.ipynb), where
# we meet the sounds and the spectrograms that notebook 03 will feed to this
# model.
