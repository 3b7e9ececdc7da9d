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
# # 08 · Prony and ESPRIT: a bee sound as a sum of damped sinusoids
#
# The expert answer pictured the decoder as a bank of oscillators, "a piano
# keyboard turned 90 degrees: which keys are pressed, and how hard", and
# pointed to Prony's method and to vocoders.  Before we build such a decoder
# (notebook 09), we check that the picture fits: are bee sounds made of
# oscillators, how many, and do they ring on by themselves or need driving?
#
# **Why take a sound apart first?**  A decoder can only make what its
# building blocks can make.  Prony's method describes a sound as a sum of
# damped sinusoids, each a frequency, a damping, an amplitude and a phase;
# fitting that model to bee sounds tells us which blocks a decoder needs,
# and where fixed sinusoids fall short.  The analysis needs no training:
# linear algebra on a few thousand samples.
#
# **You will learn**
# - the model behind Prony's method: a sound as a sum of damped sinusoids,
#   two complex poles per sinusoid;
# - how ESPRIT and Prony's method find those numbers, and why plain Prony is
#   fragile in noise;
# - a queen toot taken apart into harmonics at `k * f0`, resynthesised, with
#   what the modes leave out (the residual);
# - why colony hum is not one oscillator but a narrow band per harmonic, and
#   how the centroid of its modes finds the crowd's fundamental;
# - what damping means physically: a driven tone against a struck resonance.
#
# **Prerequisites:** `02_bee_audio_and_stft` (the bee sounds, spectrograms in
# Hz and seconds).  Nothing here trains a model.
#
# **Run time on a CPU:** under a minute; full mode analyses six hum clips
# instead of three, and nothing is trained.  The README's notebook table gives
# the full-mode and fast-mode (`BEE_FAST=1`) times measured on 2 CPU cores,
# and the rendered page in `docs/` states the run time of the run it shows.

# %% [markdown]
# ## Setup
#
# `beeutils.setup` seeds Python, NumPy and TensorFlow, sets the plot defaults
# and quiets TensorFlow's start-up logs, so it comes first; `ddsp.lowpass`
# (a brick-wall low-pass) runs in TensorFlow.  `show_source` prints a
# function's essential lines with its docstring folded away.

# %%
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Audio, Markdown, display
from scipy import signal

import beeutils

CFG = beeutils.setup(seed=0)  # first: it quiets TensorFlow's start-up logs

from beeutils.data import synth  # noqa: E402
from beeutils.dsp import ddsp  # noqa: E402
from beeutils.dsp import oscillators  # noqa: E402
from beeutils.dsp import spectral  # noqa: E402
from beeutils.dsp.spectral import STFTConfig  # noqa: E402
from beeutils.source import show_source  # noqa: E402
from beeutils.ui import plotting  # noqa: E402

print(f"fast mode: {CFG.fast}")

# %% [markdown]
# Everything you may want to change.  Fast mode analyses three hum clips
# instead of six (section 3); everything else is the same in both modes.

# %%
SEED = 0                                    # the test signal's noise
SR = CFG.sr                                 # Hz
HUM_SEEDS = range(3 if CFG.fast else 6)     # hum clips analysed in section 3


# %% [markdown]
# ## 1. A sound as a sum of damped sinusoids
#
# In 1795 Gaspard de Prony fitted gas-expansion measurements with sums of
# exponentials.  His model, for a sound:
#
# $$x(t) = \sum_k a_k\, e^{-d_k t} \cos(2\pi f_k t + \varphi_k)$$
#
# Each *mode* has a frequency $f_k$ (Hz), a damping $d_k$ (per second: 0
# sustains, positive decays), an amplitude $a_k$ and a phase $\varphi_k$.  A
# sampled mode is a pair of complex-conjugate *poles* $z = e^{(-d \pm 2\pi i
# f)/f_s}$, and a sum of $K$ real modes obeys a linear recurrence of order
# $2K$: two poles per sinusoid, which sets the *order* of the analysis.
#
# Two ways to find the poles (`beeutils.dsp.oscillators`):
#
# - **Prony's method**: fit the recurrence $x[n] = -\sum_{i=1}^{p} c_i\,
#   x[n-i]$ by least squares, take the roots of its polynomial.  Simple, but
#   noise enters the equations on both sides and biases the roots;
# - **ESPRIT** (Roy & Kailath 1989): the columns of the Hankel matrix
#   $X_{ij} = x[i+j]$ span the poles' "signal subspace".  Its dominant
#   singular vectors $U$ are shift-invariant, $U_{1:} = U_{:-1}\Phi$, and
#   the eigenvalues of $\Phi$ are the poles.  The noise lives in the
#   discarded singular vectors, so ESPRIT is robust.
#
# Either way, amplitudes and phases follow by least squares on the
# Vandermonde matrix $V_{nk} = z_k^n$.  ESPRIT in full, about twenty lines:

# %%
show_source(oscillators.esprit, "x, sr = _as_signal")
show_source(oscillators._amplitudes, "n = np.arange")

# %% [markdown]
# A test signal with four well-separated partials, three of them damped
# (5, 20 and 3 per second) and one sustained, in
# white noise at 30 dB SNR.  Below, the largest frequency error of each
# method, at the full 16 kHz rate and with the signal decimated by 4 first
# (bee partials lie below 2 kHz, so 4 kHz sampling loses nothing and the same
# number of samples spans four times longer).  "Strongest 4" keeps the four
# modes with the most energy over the segment; the extra poles soak up noise.

# %%
TRUE = dict(freqs=np.array([220.0, 470.0, 910.0, 1530.0]), damp=np.array([0.0, 5.0, 20.0, 3.0]),
            amps=np.array([1.0, 0.6, 0.4, 0.3]), phases=np.array([0.3, 1.0, -2.0, 2.5]))
N_TEST = 4096
clean = oscillators.resynthesize(TRUE["freqs"], TRUE["damp"], TRUE["amps"], TRUE["phases"],
                                 N_TEST, SR)
noise = np.random.default_rng(SEED).standard_normal(N_TEST)
noisy = clean + noise * np.sqrt(np.mean(clean ** 2) / np.mean(noise ** 2)) * 10 ** (-30 / 20)

rows = []
for label, fn, kwargs in [("Prony, least squares", oscillators.prony, {}),
                          ("Prony, total least squares, rank 8", oscillators.prony,
                           {"method": "tls", "rank": 8}),
                          ("ESPRIT", oscillators.esprit, {})]:
    cells = []
    for decimate in (1, 4):
        for order in (8, 24):
            if kwargs.get("rank") and order == 8:
                cells.append("")
                continue
            modes = fn(noisy, order, SR, decimate=decimate, **kwargs).strongest(4, N_TEST / SR)
            err = np.max(np.abs(modes.freqs_hz - TRUE["freqs"])) if modes.n_modes == 4 else np.inf
            cells.append(f"{err:.2f}" if err < 10 else f"**{err:.0f}**")
    rows.append(f"| {label} | " + " | ".join(cells) + " |")
display(Markdown("| largest frequency error (Hz), 30 dB SNR | 16 kHz, order 8 | 16 kHz, order 24 "
                 "| decimated x4, order 8 | decimated x4, order 24 |\n|---|---:|---:|---:|---:|\n"
                 + "\n".join(rows)))
esprit_modes = oscillators.esprit(noisy, 12, SR).strongest(4, N_TEST / SR)
print("ESPRIT, order 12:\n  f (Hz)", np.round(esprit_modes.freqs_hz, 2),
      "\n  d (1/s)", np.round(esprit_modes.dampings_per_s, 2),
      "\n  a      ", np.round(esprit_modes.amplitudes, 3))
assert np.max(np.abs(esprit_modes.freqs_hz - TRUE["freqs"])) < 1.0
assert np.max(np.abs(esprit_modes.dampings_per_s - TRUE["damp"])) < 2.0

# %% [markdown]
# Plain Prony at 16 kHz with two poles per partial is thrown far off by
# noise that ESPRIT shrugs off: at a high sample rate the poles of low
# partials crowd near $z = 1$, where small errors in the prediction
# coefficients move the roots a lot.  Decimating first and giving it spare
# poles together rescue it (the last column); either alone, or the
# total-least-squares variant, helps only partly.  ESPRIT recovers
# frequencies to a few hundredths of a hertz and the 20/s damping to a
# fraction of a unit.

# %% [markdown]
# ## 2. A queen toot, taken apart
#
# The synthetic corpus knows its recipe (`meta["params"]`), so we can check
# the analysis against it.  A toot is a long rising syllable then short
# syllables at the fundamental `f0`; we analyse the steady middle of the
# first short syllable (after its 3 % onset glide), decimated to 4 kHz.
# The modes are matched to the harmonics `k * f0`; what does not match is
# the colony hum behind the toot.

# %%
toot, toot_meta = synth.synthesize("queen_toot", sr=SR, seed=3)
start_s, end_s = next(p for p in toot_meta["pulses"][1:] if p[1] - p[0] > 0.15)
i0, i1 = int((start_s + 0.06) * SR), int((end_s - 0.03) * SR)
segment = toot[i0:i1]
seg_s = len(segment) / SR
toot_modes = oscillators.esprit(segment, 20, SR, decimate=4)
f0_true = toot_meta["f0_hz"]
rolloff = toot_meta["params"]["rolloff"]
strong = toot_modes.strongest(8, seg_s)
level_db = 20 * np.log10(strong.rms(seg_s) / strong.rms(seg_s).max())
rows = []
for f, d, lev in zip(strong.freqs_hz, strong.dampings_per_s, level_db):
    k = int(round(f / f0_true))
    harmonic = k >= 1 and abs(f - k * f0_true) < 0.005 * k * f0_true
    what = f"harmonic {k}" if harmonic else "other"
    recipe = f"{-20 * rolloff * np.log10(k) + 0.0:.1f}" if harmonic else ""
    expected = f"{k * f0_true:.1f}" if harmonic else ""
    err = f"{f - k * f0_true:+.2f}" if harmonic else ""
    rows.append(f"| {what} | {expected} | {f:.1f} | {err} | {d:.1f} | {lev:.1f} | {recipe} |")
display(Markdown(
    f"Queen toot, seed 3: synth f0 = {f0_true:.2f} Hz, rolloff {rolloff:.2f}; "
    f"segment {1000 * seg_s:.0f} ms\n\n"
    "| mode | synth k f0 (Hz) | found (Hz) | error (Hz) | damping (1/s) | level (dB re "
    "strongest) | recipe level k^-rolloff (dB) |\n|---|---:|---:|---:|---:|---:|---:|\n"
    + "\n".join(rows)))
fundamental = toot_modes.in_band(0.9 * f0_true, 1.1 * f0_true).strongest(1, seg_s)
assert abs(fundamental.freqs_hz[0] - f0_true) < 1.0
assert abs(fundamental.dampings_per_s[0]) < 5.0

# %% [markdown]
# The fundamental lands within a fraction of a hertz of the recipe's, its
# damping is near 0 (the queen keeps driving her thorax: a sustained tone),
# and the harmonics fall at `k * f0`.  Their levels differ from the bare
# recipe `k^-rolloff` because the hive body filters the sound: its
# resonances lift some harmonics and its low-pass near 2 kHz cuts the upper
# ones.  The "other" modes are the colony hum behind the queen (near 240
# Hz, some 20 dB down) and weak modes beside the fundamental that take up
# what fixed sinusoids cannot: the syllable's slight changes of level and
# pitch within the segment.
#
# **Resynthesis and residual.**  The modes make a signal of their own; what
# they leave out is the residual.  Against the segment low-passed at 2 kHz
# (the band the decimated analysis saw):

# %%
toot_back = oscillators.resynthesize(*strong, len(segment), SR)
toot_band = np.asarray(ddsp.lowpass(segment, SR, 2000.0))
residual = toot_band - toot_back
residual_db = 10 * np.log10(np.sum(residual ** 2) / np.sum(toot_band ** 2))
print(f"8 modes explain all but {residual_db:.1f} dB of the segment's energy")
seg_cfg = STFTConfig(n_fft=512, hop=64, n_freq_keep=None, n_frames=None)
fig, _ = plotting.spectrogram_grid(
    [spectral.stft(w.astype(np.float32), seg_cfg) for w in (toot_band, toot_back, residual)],
    seg_cfg, ["toot segment, 0-2 kHz", "8 damped sinusoids", "residual"], ncols=3,
    fmax=2500, floor_db=-70, ref=float(np.abs(spectral.stft(toot_band.astype(np.float32),
                                                            seg_cfg)).max()))
plt.show()
for name, wave in (("segment", toot_band), ("resynthesis", toot_back), ("residual", residual)):
    display(Markdown(f"*{name}*"), Audio(np.tile(wave, 4), rate=SR))  # looped 4 times
assert residual_db < -15

# %% [markdown]
# ## 3. Hum: a crowd is not one oscillator
#
# Colony hum is thousands of bees, each at a slightly different fundamental
# (the recipe's `jitter_hz` is their spread).  Each partial is therefore a
# narrow *band*, and an analysis with spare poles splits it into several
# close modes.  The strongest single mode can miss the crowd's mean by up to
# the spread; the power-weighted centroid of the modes in the band does not.
# We analyse the whole 2.048 s clip decimated by 8 (2 kHz sampling, 4096
# samples, 20 modes below 1 kHz).

# %%
hum_rows, hum_example = [], None
for seed in HUM_SEEDS:
    hum, hum_meta = synth.synthesize("hum", sr=SR, seed=seed)
    jitter = hum_meta["params"]["jitter_hz"]
    dur = len(hum) / SR
    modes = oscillators.esprit(hum, 40, SR, decimate=8)
    band = modes.in_band(150, 300)
    top = band.strongest(1, dur).freqs_hz[0]
    lobe = band.in_band(top - 3 * jitter - 5, top + 3 * jitter + 5)
    centroid = lobe.centroid_hz(dur)
    hum_rows.append((seed, hum_meta["f0_hz"], jitter, top, centroid, lobe.n_modes))
    if hum_example is None:
        hum_example = (hum, hum_meta, modes, lobe)
display(Markdown(
    "| hum seed | synth f0 (Hz) | spread of bees (Hz) | strongest mode (Hz) | centroid (Hz) "
    "| modes in the band |\n|---:|---:|---:|---:|---:|---:|\n" + "\n".join(
        f"| {s} | {f:.1f} | {j:.1f} | {t:.1f} ({t - f:+.1f}) | {c:.1f} ({c - f:+.1f}) | {n} |"
        for s, f, j, t, c, n in hum_rows)))
centroid_errors = np.array([abs(c - f) for _, f, _, _, c, _ in hum_rows])
print(f"largest centroid error: {centroid_errors.max():.1f} Hz")
assert centroid_errors.max() < 4.0

# %% [markdown]
# The modes of the first hum, their level against frequency, beside the
# clip's spectrum: the fundamental's band holds a dozen modes, the second
# harmonic's most of the rest, and the centroid sits on the recipe's f0.
#
# Resynthesised, the 20 modes have the hum's pitch and colour, a steady
# chord with slow beats, yet the residual is nearly as loud as the clip.  A
# crowd's partial is *noise* confined to a narrow band: its amplitude and
# phase wander at random, as thousands of bees drift in and out of step, and
# a handful of fixed sinusoids can match its spectrum but not its waveform
# over two seconds.  Keep that in mind for notebook 09's decoder: one
# oscillator per harmonic will make the hum's pitch and timbre, not its
# shimmer.

# %%
hum, hum_meta, hum_modes, hum_lobe = hum_example
dur = len(hum) / SR
hum_low = np.asarray(ddsp.lowpass(hum, SR, 1000.0))
hum_back = oscillators.resynthesize(*hum_modes, len(hum), SR)
spec_db = 20 * np.log10(np.abs(np.fft.rfft(hum_low * np.hanning(len(hum)))) + 1e-9)
freqs_fft = np.fft.rfftfreq(len(hum), 1 / SR)
fig, ax = plt.subplots(figsize=(10, 3.4))
ax.plot(freqs_fft, spec_db - spec_db.max(), lw=0.6, color="0.6", label="clip spectrum")
levels = 20 * np.log10(hum_modes.rms(dur) / hum_modes.rms(dur).max())
ax.vlines(hum_modes.freqs_hz, -80, levels, color="C0", lw=1.5, label="ESPRIT modes")
ax.axvline(hum_meta["f0_hz"], color="C3", ls=":", label="synth f0")
ax.axvline(hum_lobe.centroid_hz(dur), color="C2", ls="--", label="centroid of the band")
ax.set(xlim=(100, 1000), ylim=(-80, 3), xlabel="Frequency (Hz)",
       ylabel="level (dB re strongest)", title="hum: modes found by ESPRIT (order 40, 2 kHz)")
ax.legend(fontsize="small", loc="upper right")
plt.show()
hum_res = hum_low - hum_back
print(f"20 modes leave {10 * np.log10(np.sum(hum_res ** 2) / np.sum(hum_low ** 2)):.1f} dB "
      "of the 0-1 kHz energy")
for name, wave in (("hum, 0-1 kHz", hum_low), ("20 damped sinusoids", hum_back),
                   ("residual", hum_res)):
    display(Markdown(f"*{name}*"), Audio(wave, rate=SR))

# %% [markdown]
# ## 4. What damping means
#
# A mode's damping $d$ is how fast it loses energy when nothing drives it:
# its amplitude falls by a factor $e$ every $1/d$ seconds (8.7 dB), and its
# spectral line has a half-power bandwidth of $d/\pi$ Hz, so a resonance of
# quality factor $Q$ at $f$ has $d = \pi f / Q$.  The toot's partials have
# $d \approx 0$: the queen's flight muscles keep feeding them.  The hive
# body is the opposite case, a *passive* resonator: tap it and it rings,
# then dies away.  Below, a resonance like the slowest-ringing one of this
# toot's hive body (`meta["params"]` lists the body's centre frequencies
# and Q), struck once: ESPRIT reads its frequency and damping straight off
# the ringing.

# %%
# The body's slowest-ringing resonance (highest Q / f).
body = list(zip(toot_meta["params"]["body_resonances_hz"], toot_meta["params"]["body_q"]))
res_hz, res_q = max(body, key=lambda fq: fq[1] / fq[0])
radius = np.exp(-np.pi * res_hz / res_q / SR)                 # pole radius for d = pi f / Q
d_expected = np.pi * res_hz / res_q
ring_len = int(8 / d_expected * SR)                            # eight decay times
ring = signal.lfilter([1.0], [1.0, -2 * radius * np.cos(2 * np.pi * res_hz / SR), radius ** 2],
                      np.eye(1, ring_len).ravel())
ring_modes = oscillators.esprit(ring, 2, SR)
display(Markdown(
    "| | frequency (Hz) | damping (1/s) | decay time 1/d (ms) | bandwidth d/pi (Hz) |\n"
    "|---|---:|---:|---:|---:|\n"
    f"| resonator: f, Q = {res_q:.1f} | {res_hz:.1f} | {d_expected:.0f} | "
    f"{1000 / d_expected:.1f} | {d_expected / np.pi:.0f} |\n"
    f"| ESPRIT on its ringing | {ring_modes.freqs_hz[0]:.1f} | "
    f"{ring_modes.dampings_per_s[0]:.0f} | {1000 / ring_modes.dampings_per_s[0]:.1f} | "
    f"{ring_modes.dampings_per_s[0] / np.pi:.0f} |\n"
    f"| the toot's fundamental | {fundamental.freqs_hz[0]:.1f} | "
    f"{fundamental.dampings_per_s[0]:.1f} | (sustained) | |"))
t_ms = 1000 * np.arange(len(ring)) / SR
fig, ax = plt.subplots(figsize=(9, 2.8))
ax.plot(t_ms, ring / ring.max(), lw=0.8, label="struck resonance")
ax.plot(t_ms, np.exp(-ring_modes.dampings_per_s[0] * t_ms / 1000), "C3--",
        label="envelope exp(-d t) from ESPRIT")
ax.set(xlabel="time (ms)", ylabel="amplitude (normalised)",
       title=f"a hive-body resonance at {res_hz:.0f} Hz: its ringing dies within milliseconds")
ax.legend(fontsize="small")
plt.show()
assert abs(ring_modes.dampings_per_s[0] - d_expected) < 0.01 * d_expected

# %% [markdown]
# So a decoder that "drives oscillators" needs little damping per partial
# when it can *drive* them frame by frame: a sustained partial whose level
# the network sets every few milliseconds can decay, swell or pulse as it
# likes.  That is the DDSP design notebook 09 builds.

# %% [markdown]
# ## What we learned
#
# - Prony's model, a sum of damped sinusoids, describes a steady bee sound
#   well: ESPRIT found a queen toot's fundamental within a fraction of a
#   hertz of the recipe, with damping near 0 (a sustained, driven tone), and
#   its 8 modes left little but the hum behind it (section 2's table and
#   residual).  Plain Prony at 16 kHz was thrown off by
#   30 dB SNR noise; decimation and spare poles together rescue it,
#   ESPRIT needs neither.
# - Damping is how fast a mode dies once nothing drives it: a hive-body
#   resonance's ringing decays in about a millisecond (the table's decay
#   time), a bee's tone does not decay
#   while she drives it.  A crowd's partial is a narrow band of noise; its
#   modes' centroid gives the mean fundamental (section 3 prints the largest
#   error) but a few fixed sinusoids cannot follow its waveform.
# - So a decoder for bee sounds needs harmonics at `k * f0` whose levels it
#   sets frame by frame, not damped modes it fits once, and something beside
#   them for what is noise-like: the hum's shimmer, hiss.
#
# **Next:** [09 · The oscillator-bank VAE](09_oscillator_bank_vae.ipynb), a
# decoder that plays a differentiable bank of harmonic oscillators plus
# filtered noise, trained on the bee corpus.
