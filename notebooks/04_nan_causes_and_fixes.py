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
# # 04 · The causes of the NaN and the ladder of fixes
#
# The question of the series: a researcher fed the STFT magnitudes of bee
# recordings to a Keras VAE-GAN written for MNIST, and the loss went to inf
# or NaN after about ten steps.  Notebook 03 reproduced that port, unchanged,
# and found where it breaks: with seed 2 the encoder's gradient norm is inf
# at step 7, in its first convolution, because the KL term's gradient grew
# too large to square, and `likely_causes` named two suspects, the unclamped
# `exp(z_log_var)` and binary cross-entropy on targets above 1.
#
# **Why go further?**  Knowing where a run broke is not knowing which fix
# matters.  A spectrogram VAE-GAN has more ways to make an inf or a NaN than
# this run met: some of them broke it, others are traps the next model walks
# into, and a fix that makes the loss finite need not make the model
# healthy.  So we measure each cause on its own, apply the fixes one at a
# time, and keep what we learn as a checklist.
#
# **What this notebook takes from notebook 03:** the small synthetic corpus,
# the question's inputs (raw `|STFT|` transposed to `(time, freq)` and
# cropped to 128 x 128), notebook 01's model with the question's plain
# options (`vaegan.build_mnist_vaegan` with `NAIVE`), and the naive run with
# `NaNWatch` on, its failing batch, gradient report and check-numerics op.
# The setup cells re-create all of them with the same seeds, so the numbers
# are notebook 03's, step for step.
#
# **You will learn**
# - which causes actually broke the naive port (two of them), and which are
#   hazards it had not reached yet;
# - the usual causes in a spectrogram VAE-GAN, each shown on one number or a
#   tiny tensor with its fix: binary cross-entropy on targets above 1,
#   `exp(log_var)` overflow, `log(0)` on silent bins, an unnormalised dB scale,
#   a saturated discriminator's `log`, and what the transposed layout does;
# - a ladder that applies the fixes one after another and measures each
#   version, and why "finite" is not yet "healthy";
# - a checklist to apply to your own model.
#
# **Prerequisites:** `03_naive_port_and_nan` (the naive port, `NaNWatch`,
# check-numerics and the cause table) and `02_bee_audio_and_stft` (the STFT,
# the frequency-by-time layout, dB floors).
#
# **Run time on a CPU:** a few minutes.  The naive port and its variants run
# for up to 40 training steps in full mode and 20 in fast mode (the naive
# port breaks at step 7 either way); each rung of the ladder runs 60 steps in
# full mode and 10 in fast mode; nothing is trained to convergence here.  The README's notebook table gives the full-mode and fast-mode
# (`BEE_FAST=1`) times measured on 2 CPU cores, and the rendered page in
# `docs/` states the run time of the run it shows.

# %% [markdown]
# ## Setup
#
# `beeutils.setup` seeds Python, NumPy and TensorFlow, sets the plot defaults,
# quiets TensorFlow's start-up logs (so it comes before anything imports
# TensorFlow) and reads the fast-mode flag.  `vaegan.build_mnist_vaegan`
# seeds Keras before it builds a model, so every model below starts from the
# same weights: on a CPU the same seed gives the same numbers, step for step.
# `show_source` prints a function's source with its docstring folded away.

# %%
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import beeutils

CFG = beeutils.setup(seed=2)

import math  # noqa: E402

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from IPython.display import Markdown, display  # noqa: E402

from beeutils.data import datasets  # noqa: E402
from beeutils.training import diagnostics  # noqa: E402
from beeutils.models import layers  # noqa: E402
from beeutils.models import losses  # noqa: E402
from beeutils.models import vaegan  # noqa: E402
from beeutils.ui import plotting  # noqa: E402
from beeutils.dsp import spectral  # noqa: E402
from beeutils.dsp.normalize import DbRangeNormalizer  # noqa: E402
from beeutils.dsp.spectral import STFTConfig  # noqa: E402
from beeutils.source import show_source  # noqa: E402  (docstring folded, optional excerpt)

print(f"fast mode: {CFG.fast}; TensorFlow {tf.__version__}, Keras {keras.__version__}")

# %% [markdown]
# Everything you may want to change is a constant here; the first ones are
# notebook 03's.  Fast mode only shortens the training budget of the ladder
# and of the naive port's variants (sections 1 and 3): the data, the model
# and the seeds are the same, so fast mode's runs are the first steps of full
# mode's.

# %%
CORPUS_SEED, SEED = 3, 2          # the clips; every model's weights and sampling noise
KINDS = ("hum", "queen_toot", "worker_pipe")
CLIPS_PER_KIND = 4                # 2 of each kind train
SR = CFG.sr                       # Hz
BATCH_SIZE = 2
NAIVE_STEPS = 20 if CFG.fast else 40     # the naive runs stop at the first non-finite value
LADDER_STEPS = 10 if CFG.fast else 60     # each rung of the ladder
NAIVE = dict(pixel_loss="bce", log_var_clamp=None, gan_from_logits=False)   # the question's

# The fixes
LOG_VAR_CLAMP = 10.0              # z_log_var is clipped into [-10, 10]
FLOOR_DB = -80.0                  # dB floor: silent bins sit here instead of -inf

FULL = STFTConfig(sr=SR, n_fft=1024, hop=256, n_freq_keep=None, n_frames=None)
STFT = FULL.replace(n_freq_keep=128, n_frames=128)   # the model's 128 bins x 128 frames

# %% [markdown]
# ### Notebook 03's run, re-created
#
# The corpus and the question's inputs, as notebook 03 built them: the STFT
# magnitude transposed to `(time, freq)` and cut `[:128, :128]`, values up
# to about a hundred.

# %%
corpus = datasets.make_corpus(kinds=KINDS, clips_per_kind=CLIPS_PER_KIND, seed=CORPUS_SEED)
waves = corpus.waves("train")
x_naive = np.stack([np.abs(spectral.stft(w, FULL)).T[:128, :128]
                    for w in waves])[..., np.newaxis].astype(np.float32)   # (clips, time, freq, 1)
print(f"{len(waves)} training clips; x_naive {x_naive.shape}, values up to {x_naive.max():.0f}")

# %% [markdown]
# The naive port trained with `StepHistory` and `NaNWatch` in the fixed batch
# order (`diagnostics.watched_fit`, as in notebook 03), then, on the batch
# that failed and with the last finite weights, what notebook 03 read off
# it: the largest `z_log_var`, each loss term's gradient
# (`gradient_report`) and the first op that produced an inf
# (check-numerics).  Section 1 and the ladder's rung 0 use these.

# %%
naive_model = vaegan.build_mnist_vaegan(x_naive.shape[1:], seed=SEED, **NAIVE)
watched, watch = diagnostics.watched_fit(naive_model, x_naive, BATCH_SIZE, NAIVE_STEPS)
event = watch.event
bad_batch = x_naive[event.batch * BATCH_SIZE :][:BATCH_SIZE]
LOG_VAR_PEAK = float(np.max(naive_model.encode(bad_batch)[1]))
grad_report = {r.term: r for r in diagnostics.gradient_report(naive_model, bad_batch)}
_, op_report = diagnostics.run_steps_with_check_numerics(naive_model, bad_batch, BATCH_SIZE,
                                                         steps=1)
print(f"naive port: {event}\nlargest z_log_var {LOG_VAR_PEAK:.1f}; first non-finite op: "
      f"{op_report.op}")
assert event is not None and op_report is not None


# %% [markdown]
# ## 1. Which causes broke the naive port?
#
# The table of known causes (`diagnostics.cause_table()`, shown in notebook
# 03) lists many ways to get an inf or a NaN, and this notebook will show
# five of them.  Before taking them one by one, it pays to know
# which of them broke *this* run: those are the ones to fix first when you
# meet the same symptom, and the others are traps still ahead.  Call a cause
# **active** if removing it alone, and nothing else, keeps the naive run
# finite.  `likely_causes` named two suspects, the binary cross-entropy on
# targets above 1 and `exp(z_log_var)`; we retrain the naive port twice with
# the same seed, batches and budget, once with squared error in place of the
# BCE and once with the log-variance clamped.  One function trains any
# version of the port; the ladder (section 3) uses it too.

# %%
def train_port(x: np.ndarray, steps: int = NAIVE_STEPS, **changes):
    """The naive port with ``changes`` to its options, freshly seeded and trained
    on ``x`` like notebook 03's run: (per-step history, NaNWatch event)."""
    port = vaegan.build_mnist_vaegan(x.shape[1:], seed=SEED, **dict(NAIVE, **changes))
    history, port_watch = diagnostics.watched_fit(port, x, BATCH_SIZE, steps)
    return history.history, port_watch.event


def finite_values(values) -> np.ndarray:
    """The finite entries of a curve."""
    values = np.asarray(values, dtype=float)
    return values[np.isfinite(values)]


removed = {"nothing (notebook 03's run)": (watched.history, event),
           "BCE (squared error instead)": train_port(x_naive, pixel_loss="mse"),
           "exp overflow (log-var clamped)": train_port(x_naive, log_var_clamp=LOG_VAR_CLAMP)}
rows = ["| removed from the naive port | first non-finite value | lowest pixel loss "
        "| largest KL (nats) |", "|---|---|---:|---:|"]
for name, (history, ev) in removed.items():
    where = f"step {ev.step}: `{ev.term}`" if ev else f"none in {len(history['kl'])} steps"
    rows.append(f"| {name} | {where} | {finite_values(history['pixel']).min():.3g} | "
                f"{finite_values(history['kl']).max():.3g} |")
display(Markdown("\n".join(rows)))
assert removed["nothing (notebook 03's run)"][1] is not None
assert all(ev is None for name, (_, ev) in removed.items() if name != "nothing (notebook 03's run)")

# %% [markdown]
# Each change alone keeps the run finite, so **both suspects were active**,
# and it took the two together to produce the NaN:
#
# - **BCE on targets above 1** (2.1).  A third of the inputs are above 1, and
#   the pixel term went negative, to minus hundreds of thousands, a value
#   binary cross-entropy can only reach on such targets.  It is not where the
#   first non-finite number appeared (on the failing batch its gradient is
#   zero: the `pixel` row of the gradient report the setup re-created, which
#   the cell below checks), but with squared error in its place the run
#   stays finite.
# - **The unclamped `exp(z_log_var)`** (2.2), through its gradient.  NaNWatch
#   did not name a loss term: the first non-finite value was the encoder's
#   gradient norm, `enc_grad_norm`, in the first convolution, coming from the
#   KL term's gradient, and check-numerics named `Square`, not `Exp`.
#   `exp(z_log_var)` itself was still finite (`z_log_var` reached about 57,
#   below float32's limit of 88.7); its gradient, `0.5 * exp(z_log_var)`,
#   passed 1.8e19, and the square of that overflowed.  With the clamp the run
#   stays finite.
#
# The two share one root, the raw scale of the inputs: magnitudes up to about
# a hundred are targets above 1, and they make the encoder's pre-activations,
# hence its steps in `z_log_var`, about a hundred times larger (2.2).  Finite
# is not healthy either: without the BCE the KL still climbs to a hundred
# billion nats, and with the clamp the BCE still dives (the table above).
#
# **Hazards the naive port had not reached**, which the ladder (section 3)
# removes anyway because the next model meets them:
#
# - **`log(0)` on silent bins** (2.3): the naive port takes no log, and its
#   smallest input is about 3e-4, not 0; a bare `log` of a zero-padded clip
#   gives `-inf` at once.
# - **An unnormalised dB scale** (2.4): the naive port feeds linear
#   magnitudes; taking the log without normalising is the next trap, and
#   rung 2 of the ladder walks into it.
# - **A saturated discriminator's `log`** (2.5): the GAN terms stayed below
#   4 nats, far from the logits at which float32's sigmoid rounds to 0 or 1.
#
# The transposed layout (2.6) is not a numerical cause at all, but it makes
# every per-axis operation wrong.  The measurements behind each statement:

# %%
gan_peak = max(float(finite_values(watched.history[k]).max()) for k in ("gan_dec", "disc"))
evidence = [
    ("BCE on targets above 1 (2.1)", "**active**",
     f"{np.mean(x_naive > 1):.0%} of the inputs above 1; lowest pixel loss "
     f"{finite_values(watched.history['pixel']).min():.3g}; finite without it"),
    ("`exp(z_log_var)` unclamped (2.2)", "**active**: the first non-finite number",
     f"step {event.step}: `{event.term}` in {event.layer}, gradient of `{event.gradient_term}` "
     f"({grad_report['kl'].max_abs_gradient:.2g}); op `{op_report.op}`; z_log_var up to "
     f"{LOG_VAR_PEAK:.1f}; finite with the clamp"),
    ("`log(0)` on silent bins (2.3)", "hazard",
     f"no log taken; smallest input {x_naive.min():.2g}, exact zeros: {int((x_naive == 0).sum())}"),
    ("unnormalised dB scale (2.4)", "hazard", "linear magnitudes, no dB (rung 2 meets it)"),
    ("saturated discriminator `log` (2.5)", "hazard",
     f"largest GAN loss (decoder or discriminator) {gan_peak:.2f} nats"),
    ("transposed layout (2.6)", "not numerical", "wrong axes, no inf or NaN"),
]
display(Markdown("\n".join(["| cause | in the naive port | measured here |", "|---|---|---|"]
                            + [f"| {c} | {v} | {e} |" for c, v, e in evidence])))
assert event.term == "enc_grad_norm" and event.gradient_term == "kl" and op_report.op == "Square"
assert LOG_VAR_PEAK < 88.7 and (x_naive > 0).all() and gan_peak < 4
assert grad_report["pixel"].max_abs_gradient < 1e-6    # the BCE did not make the overflow

# %% [markdown]
# ## 2. The causes, one at a time
#
# Why away from the model?  Inside a training run every cause mixes with
# every other; on one number or a tiny tensor each shows its mechanism
# plainly, and its fix can be checked on the spot.  The first line of each
# says whether it was active in the naive port.
#
# ### 2.1 Binary cross-entropy on targets above 1
#
# *Active in the naive port.*
#
# The keras.io VAE measures reconstructions with binary cross-entropy,
# `-(x log p + (1 - x) log(1 - p))` per pixel, where `p` is the decoder's
# sigmoid output.  For a target `x` in [0, 1] it is smallest at `p = x`.  For
# `x = 50` the factor `1 - x = -49` is negative, and the loss falls without
# limit as `p -> 1`: each unit the decoder's output logit rises lowers it by
# about 49 nats, forever.  Only the `eps` that keeps the `log` finite stops it (near
# logit 16, where `1 - p` drops below 1e-7 in float32).

# %%
show_source(losses.binary_crossentropy_pixels)
for p in (0.5, 0.9, 0.999, 1 - 1e-6, 1.0):
    print(f"p = {p:<9.7g} BCE(x=0.3) = {float(losses.binary_crossentropy_pixels([0.3], [p])):7.3f}"
          f"   BCE(x=50) = {float(losses.binary_crossentropy_pixels([50.0], [p])):8.1f}")
assert float(losses.binary_crossentropy_pixels([50.0], [0.999])) < -300

# %% [markdown]
# As a picture, against the decoder's output logit (`p = sigmoid(logit)`):

# %%
logit = np.linspace(-10, 25, 400, dtype=np.float32)
p = tf.sigmoid(logit).numpy()
fig, ax = plt.subplots(figsize=(8, 3.4))
for x_target, colour in ((0.3, "C2"), (1.0, "C0"), (50.0, "C3")):
    per_pixel = -(x_target * np.log(p + 1e-7) + (1 - x_target) * np.log(1 - p + 1e-7))
    ax.plot(logit, per_pixel, color=colour, label=f"target x = {x_target:g}")
ax.axhline(0, color="grey", lw=0.6)
ax.set(xlabel="Decoder output logit (p = sigmoid(logit))", ylabel="BCE per pixel (nats)",
       title="Binary cross-entropy: bounded for x in [0, 1], falling forever for x > 1",
       ylim=(-900, 60))
ax.legend(fontsize="small")
plt.show()

# %% [markdown]
# Summed over 16,384 pixels, a third of them above 1, that is the `pixel`
# term's dive to minus several hundred thousand, and the decoder's gradient
# never shrinks.  **Fix:** scale the targets into [0, 1] with numbers fitted
# on the training set (section 2.4), or use squared error, which is bounded
# below by 0 for any target.

# %% [markdown]
# ### 2.2 `exp(log_var)` overflows float32
#
# *Active in the naive port, through its gradient: the first non-finite
# number.*
#
# The encoder outputs the *log* of the posterior variance; the KL term and
# the sampling step exponentiate it.  float32 holds numbers up to about
# 3.4e38, so `exp` overflows above 88.7; the sampling step's
# `exp(0.5 * log_var)` overflows above 177.  Long before that, the KL's
# gradient, `0.5 * exp(log_var)`, passes 1.8e19 at `log_var` of about 45 and
# its square overflows: that is what NaNWatch caught.

# %%
with np.errstate(over="ignore"):                  # NumPy would warn "overflow"
    for v in (45.0, 88.0, 89.0):
        e = np.exp(np.float32(v))
        print(f"log_var = {v:4.0f}: exp = {e:.3g}, gradient of the KL 0.5*exp = {0.5 * e:.3g}, "
              f"its square = {np.float32(0.5 * e) ** 2:.3g}")
    assert np.isinf(np.exp(np.float32(89.0))) and np.isfinite(np.exp(np.float32(88.0)))
zero, big = tf.zeros((1, 1)), tf.constant([[89.0]])
kl_naive = float(losses.kl_divergence(zero, big))
kl_clamped = float(losses.kl_divergence(zero, big, clamp=LOG_VAR_CLAMP))
print(f"KL with log_var = 89: no clamp {kl_naive}, clamped to {LOG_VAR_CLAMP:g}: {kl_clamped:.1f}")
sample = layers.Sampling(seed=0)([zero, tf.constant([[180.0]])])
print("sampled z with log_var = 180, no clamp:", float(sample[0, 0]))
assert math.isinf(kl_naive) and math.isfinite(kl_clamped) and not np.isfinite(sample).all()

# %% [markdown]
# Why does `z_log_var` get anywhere near 45?  It is a linear function of the
# encoder's hidden layer, whose values scale with the input.  Adam moves
# every weight by up to about the learning rate (1e-3) per step, whatever the
# size of the gradient, so the change of `z_log_var` in one step scales with
# those hidden values too.  Compare a freshly built encoder on the raw
# magnitudes and on the same spectrograms divided by their maximum:

# %%
fresh = vaegan.build_mnist_vaegan(x_naive.shape[1:], seed=SEED, **NAIVE)
hidden = keras.Model(fresh.encoder.input, fresh.encoder.get_layer("hidden").output)
peaks = {}
for name, x in (("raw |STFT|", x_naive), ("divided by its maximum", x_naive / x_naive.max())):
    peaks[name] = float(np.abs(hidden(x)).max())
    print(f"{name:>24}: inputs up to {x.max():6.1f}, largest hidden pre-activation "
          f"{peaks[name]:8.3g}")
assert peaks["raw |STFT|"] > 30 * peaks["divided by its maximum"]

# %% [markdown]
# At initialisation the biases are zero and a leaky ReLU of `c * x` is `c`
# times the leaky ReLU of `x`, so the hidden values are exactly as many times
# larger as the inputs (115 times here), and so is the change each Adam step
# makes to `z_log_var` through them.  **Fix:** clamp `z_log_var` before `exp` (the
# `log_var_clamp` option, here into [-10, 10]), and normalise the inputs so
# that the pre-activations stay small in the first place.  The clamp in
# `losses.kl_divergence` (the `Sampling` layer does the same):

# %%
show_source(losses.kl_divergence)

# %% [markdown]
# ### 2.3 `log(0)` on silent bins
#
# *A hazard: the naive port takes no log.*
#
# The usual next step is a log scale (notebook 02).  But a bin that is
# exactly zero (digital silence, or the zero padding a reader adds to a short
# recording) has `log(0) = -inf`.  Here a 1.5 s clip is zero-padded to the
# 2.048 s clip length, and then normalised with its own minimum and maximum, as
# many tutorials do:

# %%
short = waves[0][: int(1.5 * SR)]
padded = np.pad(short, (0, CFG.clip_samples - short.size))          # silence at the end
mag_padded = spectral.crop(np.abs(spectral.stft(padded, FULL)), STFT)
with np.errstate(divide="ignore", invalid="ignore"):
    log_mag = np.log(mag_padded)
    scaled = (log_mag - log_mag.min()) / (log_mag.max() - log_mag.min())
print(f"bins at -inf: {np.isneginf(log_mag).sum()} of {log_mag.size}; "
      f"after min/max scaling: {np.isnan(scaled).sum()} NaN")
op = diagnostics.first_nonfinite_op(tf.math.log, tf.constant(mag_padded))
print("check-numerics:", op)
assert np.isneginf(log_mag).any() and np.isnan(scaled).any() and op.op == "Log"

# %% [markdown]
# One `-inf` makes the minimum `-inf`, and `-inf - (-inf)` is NaN: every bin
# of the clip is lost, and inside a network the NaN spreads to every
# activation it touches.  **Fix:** floor the magnitude before the log.
# `spectral.amplitude_to_db` does it (notebook 02): silent bins sit on the
# floor, here -80 dB.

# %%
db_padded = spectral.amplitude_to_db(mag_padded, floor_db=FLOOR_DB, ref=1.0)
print(f"dB with a floor: min {db_padded.min():.0f} dB, max {db_padded.max():.1f} dB, "
      f"all finite: {np.isfinite(db_padded).all()}")
assert np.isfinite(db_padded).all() and db_padded.min() == FLOOR_DB

# %% [markdown]
# ### 2.4 An unnormalised dB scale swamps the other terms
#
# *A hazard: the naive port feeds linear magnitudes; this is the next trap.*
#
# Decibels fix the dynamic range but not the scale: our training clips span
# about -70 to +41 dB (re amplitude 1), so nearly every target now lies
# outside [0, 1] (two thirds of the raw magnitudes were inside), most of them
# below 0, where binary cross-entropy is unbounded below as well.  Even with a loss that
# tolerates any range, the size of the numbers decides how the terms weigh
# against each other.  Here the same reconstruction error, 10 % of the data's
# range at every bin, measured as summed squared error, next to the typical
# sizes of the other terms:

# %%
train_mags = spectral.crop(np.abs(spectral.stft(waves, FULL)), STFT)   # (clips, freq, time)
train_db = spectral.amplitude_to_db(train_mags, floor_db=FLOOR_DB, ref=1.0)
lo, hi = float(train_db.min()), float(train_db.max())
print(f"training clips in dB: {lo:.1f} to {hi:.1f}; inside [0, 1]: "
      f"{np.mean((train_db >= 0) & (train_db <= 1)):.1%} of the bins")
rows = ["| scale | range of the targets | squared error of a 10 % miss, "
        "summed over the 128 x 128 bins |", "|---|---|---:|"]
sizes = {}
for name, data in (("dB, unnormalised", train_db),
                   ("dB mapped to [0, 1]", (train_db - lo) / (hi - lo))):
    miss = 0.1 * (data.max() - data.min())
    sizes[name] = float(losses.mse_pixels(data[:1], data[:1] + miss))
    rows.append(f"| {name} | {data.min():.3g} to {data.max():.3g} | {sizes[name]:,.0f} |")
display(Markdown("\n".join(rows) + "\n\nFor comparison: the GAN terms are about log 2 = 0.69 nats "
                 "per fake at the start; compare the KL notebook 01's healthy model ends with."))
assert sizes["dB, unnormalised"] > 1e3 * sizes["dB mapped to [0, 1]"]

# %% [markdown]
# A reconstruction term of millions next to a GAN term of one makes the loss
# weights meaningless (a `gan_weight` of 1 means "ignore the adversary"), and
# the gradients are a hundred times larger than in [0, 1].  **Fix:** map the
# dB values onto [0, 1] (for a sigmoid output; [-1, 1] for tanh) with one
# range fitted on the **training** set.  Not per clip: a generator has no clip
# whose minimum and maximum it could use to undo the scaling.
# `normalize.DbRangeNormalizer` keeps the training set's loudest bin and the
# 80 dB below it:

# %%
show_source(DbRangeNormalizer.fit)
show_source(DbRangeNormalizer.transform)
normalizer = DbRangeNormalizer(top_db=-FLOOR_DB).fit(train_mags)
print(normalizer)


def to_unit(mags: np.ndarray) -> np.ndarray:
    """Magnitudes -> dB -> [0, 1] with the training set's range (sigmoid targets)."""
    return (normalizer.transform(mags) + 1.0) / 2.0


# %% [markdown]
# ### 2.5 A saturated discriminator's `log`
#
# *A hazard: the naive port's discriminator never got there.*
#
# The GAN losses are `-log D(x)` and `-log(1 - D(x))` with
# `D = sigmoid(logit)`.  Computed as written, they fail as soon as the
# discriminator is sure: in float32, `sigmoid(17)` rounds to exactly 1 (so
# `log(1 - D) = log(0)`) and `sigmoid(-88)` to exactly 0.  The same losses
# computed from the logit, `softplus(-logit)` and `softplus(logit)`, are exact
# and finite everywhere.

# %%
logits = tf.constant([-100.0, -20.0, 0.0, 17.0, 100.0])
naive_real = -tf.math.log(tf.sigmoid(logits))        # -log D
naive_fake = -tf.math.log(1.0 - tf.sigmoid(logits))  # -log(1 - D)
stable_real = tf.nn.softplus(-logits)                # the same, from the logit
stable_fake = tf.nn.softplus(logits)
rows = ["| logit | sigmoid (float32) | -log D, naive | -log D, softplus "
        "| -log(1-D), naive | -log(1-D), softplus |", "|---:|---:|---:|---:|---:|---:|"]
for i, l in enumerate(logits.numpy()):
    rows.append(f"| {l:g} | {float(tf.sigmoid(l)):.3g} | {float(naive_real[i]):.4g} | "
                f"{float(stable_real[i]):.4g} | {float(naive_fake[i]):.4g} | "
                f"{float(stable_fake[i]):.4g} |")
display(Markdown("\n".join(rows)))
assert np.isinf(naive_real[0]) and np.isinf(naive_fake[-1]) and np.isfinite(stable_real).all()

# %% [markdown]
# `beeutils.models.losses` implements both forms; `from_logits` picks one:

# %%
show_source(losses._neg_log_sigmoid)

# %% [markdown]
# The naive port broke elsewhere before its discriminator got anywhere near
# this (its GAN terms stayed below about 3 nats), and none of this notebook's
# short runs gets there either.  But a discriminator that wins keeps pushing
# its logits outward for as long as it trains, and the stable form costs
# nothing.  **Fix:** compute GAN losses from logits (`gan_from_logits=True`,
# the `VAEGAN` default), or clip the probabilities before the `log` as Larsen
# et al.'s code does (`gan_prob_clip`).

# %% [markdown]
# ### 2.6 The transposed layout
#
# *Not a numerical cause.*
#
# `np.abs(stft).T` gives `(time, freq)`.  Does the network care?  The
# encoder's convolutions have square kernels and square strides, so on a
# square crop the transposed input is the same problem with transposed
# kernels.  One 4 x 4 stride-2 convolution (the encoder's first layer) shows
# it: on `(time, freq)` with kernel `K` it gives exactly the transpose of what
# it gives on `(freq, time)` with kernel `K.T`.

# %%
spec_ft = spectral.crop(np.abs(spectral.stft(waves[0], FULL)), STFT)   # (freq, time)
spec_tf = np.abs(spectral.stft(waves[0], FULL)).T[:128, :128]          # the naive (time, freq)
conv_tf = keras.layers.Conv2D(1, 4, strides=2, padding="same", use_bias=False)
out_tf = conv_tf(spec_tf[None, :, :, None])[0, :, :, 0].numpy()
conv_ft = keras.layers.Conv2D(1, 4, strides=2, padding="same", use_bias=False)
conv_ft.build((None, 128, 128, 1))
conv_ft.set_weights([conv_tf.get_weights()[0].transpose(1, 0, 2, 3)])  # K.T
out_ft = conv_ft(spec_ft[None, :, :, None])[0, :, :, 0].numpy()
print(f"naive input {spec_tf.shape} -> {out_tf.shape}; "
      f"series input {spec_ft.shape} -> {out_ft.shape}")
print("max |conv(S.T, K) - conv(S, K.T).T| =", float(np.abs(out_tf - out_ft.T).max()))
assert np.allclose(out_tf, out_ft.T, rtol=1e-5, atol=1e-4)

# %% [markdown]
# So the layout is **not** a cause of the NaN.  It is a cause of wrong
# results: everything that names an axis applies to the wrong one.  The
# naive crop `[:128, :128]` is right only because a 2.048 s clip has more than
# 128 frames; on a 1.5 s clip it keeps 94 frames, not 128, and the model fails
# with a shape error.  Cropping, padding back to 513 bins for the
# inverse STFT, per-frequency normalisation and any non-square kernel or
# pooling all act per axis; notebook 02 (section 3) turned a hum into a train
# of clicks by padding the wrong axis.

# %%
mag_15 = np.abs(spectral.stft(short, FULL))
print(f"1.5 s clip: STFT {mag_15.shape} (freq, time); naive .T[:128, :128] -> "
      f"{mag_15.T[:128, :128].shape}; spectral.crop -> {spectral.crop(mag_15, STFT).shape}")
assert mag_15.T[:128, :128].shape != (128, 128) and spectral.crop(mag_15, STFT).shape == (128, 128)

# %% [markdown]
# **Fix:** lay spectrograms out `(freq, time)` as the series does, and crop
# with `spectral.crop`, which names the frequency axis and zero-pads missing
# frames (zero frames are silent bins: floor them before any log).

# %% [markdown]
# ## 3. The ladder: one fix at a time
#
# Each fix above works on its own example; the question is what each one does
# to the model, and whether finite means healthy.  Now the fixes, applied
# cumulatively to the same model with the same seed, the same batches and the
# same budget of training steps.  Each rung adds one:
#
# 0. **naive**: raw `|STFT|.T`, BCE, no clamp, GAN losses as `log` of
#    probabilities;
# 1. **+ clamp log-var** into [-10, 10];
# 2. **+ log magnitude**: dB with a -80 dB floor (not yet normalised);
# 3. **+ normalise**: the dB range of the training set mapped onto [0, 1];
# 4. **+ GAN from logits**: softplus instead of `log(sigmoid)`;
# 5. **+ (freq, time) layout**: `spectral.crop` of the STFT, no transpose.
#
# Rungs 1 and 3 remove the two active causes (rung 3 by bringing every target
# into [0, 1], which also takes away the scale behind both); rung 2's floor,
# rung 4 and rung 5 deal with the hazards of section 2.  Rung 2 also shows
# why the hazards matter: taking the log is what a reader tries next, and it
# walks straight into the unnormalised dB scale.
#
# The inputs of every rung, built from the same training clips:

# %%
stfts = spectral.stft(waves, FULL)                                    # (clips, freq, time)
naive_tf = np.abs(stfts).transpose(0, 2, 1)[:, :128, :128]           # naive crop, (time, freq)
inputs = {
    "raw |STFT|, (time, freq)": naive_tf,
    "dB, (time, freq)": spectral.amplitude_to_db(naive_tf, floor_db=FLOOR_DB, ref=1.0),
    "[0, 1], (time, freq)": to_unit(naive_tf),
    "[0, 1], (freq, time)": to_unit(spectral.crop(np.abs(stfts), STFT)),
}
inputs = {k: v[..., np.newaxis].astype(np.float32) for k, v in inputs.items()}
assert np.array_equal(inputs["raw |STFT|, (time, freq)"], x_naive)
for name, x in inputs.items():
    print(f"{name:>26}: {x.shape}, values {x.min():8.3g} to {x.max():7.3g}")

# %% [markdown]
# Each rung is a name, which of those inputs it trains on, and its `VAEGAN`
# options; the options accumulate from rung to rung.

# %%
clamp = dict(NAIVE, log_var_clamp=LOG_VAR_CLAMP)
logits_on = dict(clamp, gan_from_logits=True)
RUNGS = [
    ("naive", "raw |STFT|, (time, freq)", NAIVE),
    ("+ clamp log-var", "raw |STFT|, (time, freq)", clamp),
    ("+ log magnitude (dB floor)", "dB, (time, freq)", clamp),
    ("+ normalise to [0, 1] (train)", "[0, 1], (time, freq)", clamp),
    ("+ GAN from logits", "[0, 1], (time, freq)", logits_on),
    ("+ (freq, time) layout", "[0, 1], (freq, time)", logits_on),
]


# %% [markdown]
# `train_port` (section 1) trains each rung: a fresh, identically seeded
# model, `StepHistory` for the per-step curves, `NaNWatch` to stop at the
# first non-finite value.  Two rungs have been run already, with the same
# model, seed, data and batches: rung 0 is notebook 03's run, re-created in
# the setup, and rung 1 is section 1's run with the log-variance clamped.
# Where such a run broke inside the ladder's budget or went at least as far,
# its first steps are the rung's run and we reuse them rather than train
# again (in full mode section 1's 40 steps are short of the ladder's 60, so
# rung 1 is trained anew).

# %%
already_run = {"naive": removed["nothing (notebook 03's run)"],
               "+ clamp log-var": removed["exp overflow (log-var clamped)"]}
results = []
for name, data_key, options in RUNGS:
    history, rung_event = already_run.get(name, ({"kl": []}, None))
    if rung_event is not None and rung_event.step <= LADDER_STEPS \
            or len(history["kl"]) >= LADDER_STEPS:
        history = {k: v[:LADDER_STEPS] for k, v in history.items()}
    else:
        history, rung_event = train_port(inputs[data_key], LADDER_STEPS, **options)
    results.append((name, history, rung_event))
    print(f"{name:>30}: {rung_event or f'finite for {LADDER_STEPS} steps'}")

# %% [markdown]
# The table: where each rung first went non-finite, and, because finite is
# not the same as healthy, four numbers from its run: the binary
# cross-entropy at the last step (negative means targets outside [0, 1]), the
# largest KL (nats per example), the largest encoder gradient norm, and the
# largest decoder GAN loss (with `log` of probabilities it becomes inf at about
# 87 nats, where `sigmoid` underflows).

# %%
def finite_max(values) -> float:
    """Largest finite value of a curve."""
    values = np.asarray(values, dtype=float)
    return float(values[np.isfinite(values)].max())


rows = ["| rung | fix added | first non-finite value | BCE, last finite step | largest KL "
        "| largest encoder gradient norm | largest GAN loss |",
        "|---:|---|---|---:|---:|---:|---:|"]
for i, (name, history, ev) in enumerate(results):
    outcome = (f"**step {ev.step}**: `{ev.term}`" + (f" ({ev.layer})" if ev.layer else "")
               if ev else f"finite after {len(history['kl'])} steps")
    pixel = np.asarray(history["pixel"])
    rows.append(f"| {i} | {name} | {outcome} | {pixel[np.isfinite(pixel)][-1]:.3g} | "
                f"{finite_max(history['kl']):.3g} | {finite_max(history['enc_grad_norm']):.3g} | "
                f"{finite_max(history['gan_dec']):.3g} |")
display(Markdown("\n".join(rows)))

# %% [markdown]
# The same runs as curves, one panel per rung, on one shared symmetric-log
# axis; a dashed line marks where NaNWatch stopped a run:

# %%
fig, axes = plt.subplots(2, 3, figsize=(15, 7.5), sharex=True, sharey=True)
for ax, (i, (name, history, ev)) in zip(axes.ravel(), enumerate(results)):
    outcome = f"stopped at step {ev.step} ({ev.term})" if ev else f"finite for {LADDER_STEPS} steps"
    plotting.plot_losses(history, ax, keys=["kl", "pixel", "feature", "gan_dec", "disc"],
                         title=f"{i}. {name}:\n{outcome}")
    if ev:  # NaNWatch's stop, whichever value (a loss or a gradient norm) broke
        ax.axvline(ev.step, color="black", ls="--", lw=1, label="NaNWatch stopped here")
    plotting.symlog_axis(ax)
    ax.set_ylabel("Loss (nats, symlog)" if i % 3 == 0 else "")
    ax.set_xlabel("Step" if i >= 3 else "")
    ax.set_xlim(0, LADDER_STEPS + 1)
    if i == 0:
        handles, labels = ax.get_legend_handles_labels()
    ax.legend().remove()
fig.legend(handles, labels, loc="outside right upper", fontsize="small")
fig.suptitle(f"The ladder: each rung adds one fix (seed {SEED}, batch {BATCH_SIZE}, "
             f"{LADDER_STEPS} steps; the same y axis in every panel)")
plt.show()

# %% [markdown]
# What the ladder says:
#
# - **Rung 0 → 1.** Clamping `z_log_var` removes the overflow: the model is
#   finite for the whole budget.  But look at the numbers: the binary
#   cross-entropy is hugely negative, the KL is in the tens of thousands of
#   nats (the clamp bounds the variances, not the means), and the encoder's
#   gradient norm reaches hundreds of thousands.  It trains on nonsense.
# - **Rung 2.** The log scale alone does not help: dB values from -70 to +41
#   lie almost all outside [0, 1], most of them below 0, so the BCE swings
#   between large positive and negative values and the KL and the gradient
#   norms stay orders of magnitude too large.
# - **Rung 3.** Normalising with the training set's range brings the
#   targets into [0, 1]: the BCE is positive again, and the KL and the
#   gradient norms drop by orders of magnitude.  This is the fix that makes the
#   model healthy; the clamp keeps it safe.
# - **Rungs 4 and 5** change nothing you can see in this budget, and that is
#   expected: the discriminator never came near saturation (the cliff is at
#   87 nats), and the layout is not a numerical problem.  They are still
#   needed: a winning discriminator pushes its logits outward for as long as
#   it trains (2.5), and a model in the wrong layout crops, pads and
#   normalises the wrong axis (2.6).

# %%
first_rung, last_rung = results[0], results[-1]
assert first_rung[2] is not None and first_rung[2].step <= LADDER_STEPS     # naive: non-finite
assert last_rung[2] is None and len(last_rung[1]["kl"]) == LADDER_STEPS     # repaired: finite
assert all(np.isfinite(v).all() for v in last_rung[1].values())
by_name = {name: history for name, history, _ in results}
clamped, in_db = by_name["+ clamp log-var"], by_name["+ log magnitude (dB floor)"]
normalised = by_name["+ normalise to [0, 1] (train)"]
assert min(clamped["pixel"]) < 0 <= min(normalised["pixel"])                # BCE back in range
for term in ("kl", "enc_grad_norm"):                            # at least 10x smaller
    worst = min(finite_max(clamped[term]), finite_max(in_db[term]))
    assert 10 * finite_max(normalised[term]) < worst

# %% [markdown]
# ## 4. A checklist for your own model
#
# Why a checklist?  The next NaN will come from another model and other
# data; the steps that found and removed this one carry over.
#
# When a loss goes to inf or NaN:
#
# 1. **Make it repeatable.** Seed everything (`beeutils.setup(seed)`), turn
#    off shuffling, log every term per step (`StepHistory`).
# 2. **Stop at the first bad number, not the last.** `NaNWatch(data=x,
#    batch_size=b)` names the step, the term (a gradient norm can go first)
#    and the layer, and keeps the last finite weights.
# 3. **Name the op.** Run the failing step under
#    `run_steps_with_check_numerics` (or
#    `tf.debugging.enable_check_numerics()`): `Exp`, `Log`, `Square`, `Sqrt`
#    each point at a different row of `cause_table()`.
# 4. **Look at the inputs before the model.** Value range, negative or
#    infinite values, exact zeros (`np.isfinite`, `x.min()`, `x.max()`).
#    Image models expect [0, 1] or [-1, 1].
# 5. **Log scale with a floor**, never a bare `log`: `amplitude_to_db(...,
#    floor_db=-80)` or `log(|X| + eps)`.
# 6. **Normalise with training-set statistics** (`DbRangeNormalizer` here;
#    notebook 05 introduces `PerFrequencyNormalizer`, one mean and scale per
#    frequency bin), not per clip, and keep them to undo the scaling.
# 7. **Match the loss to the range**: BCE only for targets in [0, 1]; squared
#    error otherwise.
# 8. **Clamp `z_log_var`** before every `exp` (KL and sampling).
# 9. **GAN losses from logits** (softplus), never `log(sigmoid(...))`.
# 10. **Spectrograms are `(freq, time)`**; crop and pad by axis name
#     (`spectral.crop`, `spectral.uncrop`).
# 11. **Finite is not healthy**: check that each term has a plausible sign and
#     size, and that gradient norms are not in the millions.

# %% [markdown]
# ## What we learned
#
# - Two causes were active in the naive port, and removing either one alone
#   keeps the run finite: BCE on targets above 1 (the pixel term dives without
#   bound; normalise, or use squared error) and the unclamped
#   `exp(z_log_var)`, whose gradient's square overflowed first (clamp).
#   NaNWatch named neither as a loss term: it named the encoder's gradient
#   norm and the KL term's gradient, and check-numerics named `Square`.  Both
#   grow from the raw scale of the inputs.
# - Three more causes were hazards the naive port had not reached, and the
#   ladder removes them anyway: `log(0)` on silent bins (a dB floor), an
#   unnormalised dB scale that swamps every other term (a training-set range
#   mapped to [0, 1]), and a saturated discriminator's `log` (losses from
#   logits).
# - The transposed layout is not a numerical problem, but it makes every
#   per-axis operation wrong.
# - Clamping alone makes the model finite, not healthy; normalising the
#   inputs is what brings every term and gradient back to a sensible size.
#
# **Next:** [05 · The magnitude VAE-GAN](05_magnitude_vaegan.ipynb), which
# trains the repaired model on normalised log-magnitude spectrograms and turns
# its output back into sound with Griffin-Lim.
