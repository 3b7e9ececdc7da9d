"""The benchmark behind the README's results table.

    python -m beeutils.bench                 # full run, seeds 0 1 2 (its length closes the README table)
    python -m beeutils.bench --quick         # one seed, under 15 minutes on 2 CPU cores
    python -m beeutils.bench --seeds 0 1 2 3 4   # any seeds, with or without --quick
    python -m beeutils.bench --json build/bench.json
    python -m beeutils.bench --data ~/hive   # your recordings instead of the corpus
    python -m beeutils.bench --adversarial-epochs 0   # no adversarial stage for the oscillator bank
    python -m beeutils.bench --save-models build/models   # keep the trained models
    python -m beeutils.bench --approaches magnitude logmag_if --conditional   # only these models
    python -m beeutils.bench --network magnitude.modulation_weight=0   # a network setting (here: off)
    python -m beeutils.bench --combine s0.json s1.json s2.json --json bench.json   # runs of one seed each

It measures, on this machine:

- ``synthesis``: how many times faster than real time the synthesiser
  makes each kind of clip (one core, CPU time);
- ``stft``: agreement of the NumPy and TensorFlow STFTs, and the SNR of the
  inverse-STFT round trip;
- ``griffin_lim``: our batched Griffin-Lim against librosa's at equal
  iterations on a batch of 64 clips (quality and time), from random and from
  PGHI phases; with ``--data``, also ``griffin_lim_hum``: the same on the
  recordings high-passed at ``HUM_HIGH_PASS_HZ`` (the hum without the
  microphone's rumble);
- ``realisation``: synthetic corpus only: each held-out clip against
  another realisation of its own recipe (``bench_realisation``), what a
  model that learnt all but the noise would score on the reconstruction
  rows;
- ``models``: every approach of the series (``magnitude``, ``real_imag``,
  ``logmag_if``, ``oscillator``) trained on the same data within the same
  CPU budget (``BenchSettings.epochs_by_approach`` and
  ``adversarial_epochs_by_approach``), and measured with
  ``beeutils.evaluation.evaluate``, once per seed; the
  magnitude and oscillator models also conditioned on kind
  (``magnitude_by_kind``, ``oscillator_by_kind``), and asked for each kind;
- ``machine``: processor, GPUs, library versions.

Seeds.  Each seed ``k`` of ``--seeds`` trains and measures every approach
afresh, and ``k`` seeds everything of that run: the synthetic corpus (with
``--data``, the shuffle of the recordings into splits), the initial weights,
the batch order, the prior samples and k-means.  The spread over seeds thus
covers both the draw of the data and the initialisation, which is what a
reader comparing two approaches needs to know: whether a difference outlives
a different corpus and a different start.  The signal-processing parts do
not learn anything; they run once, with the first seed.

The JSON written with ``--json`` has the keys above (``models`` holds one
row per approach: the run's own row for one seed, the mean over seeds for
several), plus

- ``seeds``: the seeds, in order;
- ``runs``: ``[{"seed": k, "models": [row, ...], "seconds": s}, ...]``, the
  per-seed rows as measured;
- ``aggregate``: one entry per approach, ``{"name": ..., key: {"mean": m,
  "sd": s, "values": [one per seed]}, ...}`` for every numeric key of the
  rows; ``sd`` is the sample standard deviation (ddof=1) and ``null`` for a
  single seed (one run measures no spread; 0 would claim it has none);
  ``mean`` and ``sd`` are ``null`` when a value is NaN in any seed (a
  metric that does not apply, e.g. consistency for the oscillator);
- ``settings`` and ``seconds`` (the whole run);
- ``code``: ``code_fingerprint()``, a hash of the package's source;
- ``parts``, only in a file that ``--combine`` made: how many runs it joins
  (``seconds`` is then their sum).

A long benchmark can be run a few seeds at a time (``--seeds 0``, then
``--seeds 1``, ...) and the files joined with ``--combine``
(``combine_results``): the same code, settings and machine, other seeds.

Notebook 10 reads it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from beeutils.models.configs import TRAINING_BATCH_SIZE

if TYPE_CHECKING:
    from beeutils.dsp.spectral import STFTConfig

#: Keys every entry of ``models`` carries (after ``name``, the rows of its table).
MODEL_KEYS = ("name", "recon_mrstft", "recon_lsd_db", "floor_lsd_db", "consistency_sc_db",
              "fd_ratio", "ndb_k", "gen_kind_share_error", "band_share_min", "nonfinite_steps",
              "silent_clips", "nonfinite_clips", "train_examples_per_s", "train_seconds",
              "generate_x_realtime")
#: Keys the rows of models conditioned on kind add (``NAME_by_kind``).
CONDITIONAL_KEYS = ("cond_accuracy", "cond_min_kind_accuracy")
#: Variety and the strongest hum line, shown when the rows carry them.
SIGNATURE_KEYS = ("diversity_ratio", "peak_median_gen_hz", "peak_median_data_hz",
                  "peak_wasserstein_hz", "peak_wasserstein_floor_hz")
#: The prior's best case (``evaluate.evaluate_model``), shown beside the
#: Frechet ratio when the rows carry it.
PRIOR_CEILING_KEY = "fd_ratio_train_recon"


#: The held-out splits a run may measure its models on.
EVAL_SPLITS = ("test", "validation")


@dataclasses.dataclass(frozen=True)
class BenchSettings:
    """How much work each part of the benchmark does.

    Attributes:
        clips_per_kind: corpus clips per kind (80/10/10 split).
        duration: clip length in seconds.
        epochs: training epochs of every approach not in ``epochs_by_approach``.
        epochs_by_approach: approaches that train for another number of
            epochs, ``{approach: epochs}`` (a model conditioned on kind
            trains as long as its approach).  The budget the approaches
            share is CPU time, not steps (``train_seconds`` in every row
            says what each took).  ``QUICK`` and ``FULL`` give the
            oscillator bank twice the epochs, since an oscillator-bank step
            (no discriminator, a spectral loss at half overlap) costs little
            more than half a magnitude VAE-GAN step, and ``logmag_if`` one
            and a half times: at 30 epochs it used about two thirds of an
            approach's share, and on the validation split of 3 seeds 45
            lowered its Frechet ratio in every seed (results/README.md,
            "Longer training for logmag_if").
        adversarial_epochs_by_approach: approaches whose model then trains
            a second, adversarial stage (``AudioModel.train(
            adversarial_epochs=)``: encoder frozen, a discriminator on
            log-magnitude spectrograms), ``{approach: epochs}``; their
            ``train_seconds`` count both stages.  ``FULL`` gives the
            oscillator bank 20 epochs of it, sized so that its two stages
            stay within the 10 minutes an approach may train.
        batch_size: clips per training step of every approach not in
            ``batch_size_by_approach``.
        batch_size_by_approach: approaches that train in batches of another
            size, ``{approach: clips}`` (a model conditioned on kind takes
            its approach's).  ``QUICK`` and ``FULL`` take
            ``models.configs.TRAINING_BATCH_SIZE``: 4 for the magnitude
            and ``logmag_if`` models, 32 for the others.
        n_generated: prior samples per approach for the generation metrics.
        n_per_kind: clips asked of each kind from a conditional model.
        gl_clips: clips in the Griffin-Lim timing batch.
        gl_iter: Griffin-Lim iterations (timing and model decoding).
        synth_repeats: timed syntheses per kind.
        approaches: which approaches to train.
        conditional: approaches also trained conditioned on kind (row
            ``NAME_by_kind``), and asked for every kind
            (``evaluation.conditional.evaluate_conditional``).
        eval_split: the held-out split the models are measured on:
            ``"test"``, or ``"validation"`` to choose settings (a budget,
            say) without looking at the test split.
        seeds: one full training and measurement of every approach per
            seed; each seeds corpus, weights, batch order and sampling.
            The first also seeds the signal-processing parts and is the
            one whose models ``--save-models`` keeps.
        network_changes: changes to approaches' default networks
            (``models.configs.default_network``), ``{approach: {field:
            value}}``, for a model with and without kinds: how a setting is
            measured before it becomes a default.
        texture: render the spectrogram models' prior samples (with and
            without kinds) with a noise's texture
            (``AudioModel.decode(texture=True)``); reconstructions and the
            oscillator bank are unchanged.
    """

    clips_per_kind: int = 40
    duration: float = 2.048
    epochs: int = 30
    epochs_by_approach: Mapping[str, int] = dataclasses.field(default_factory=dict)
    adversarial_epochs_by_approach: Mapping[str, int] = dataclasses.field(default_factory=dict)
    batch_size: int = 32
    batch_size_by_approach: Mapping[str, int] = dataclasses.field(default_factory=dict)
    n_generated: int = 256
    n_per_kind: int = 16
    gl_clips: int = 64
    gl_iter: int = 32
    synth_repeats: int = 11
    approaches: tuple[str, ...] = ("magnitude", "real_imag", "logmag_if", "oscillator")
    conditional: tuple[str, ...] = ("magnitude", "oscillator")
    seeds: tuple[int, ...] = (0,)
    eval_split: str = "test"
    network_changes: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    texture: bool = False

    def __post_init__(self) -> None:
        if self.eval_split not in EVAL_SPLITS:
            raise ValueError(f"eval_split must be one of {', '.join(EVAL_SPLITS)}, "
                             f"got {self.eval_split!r}")
        seeds = tuple(int(k) for k in self.seeds)
        if not seeds:
            raise ValueError("at least one seed is needed")
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds must differ, got {list(seeds)}")
        object.__setattr__(self, "seeds", seeds)  # a list from JSON or argparse -> tuple
        object.__setattr__(self, "approaches", tuple(self.approaches))
        object.__setattr__(self, "conditional", tuple(self.conditional))
        for field in ("epochs_by_approach", "adversarial_epochs_by_approach",
                      "batch_size_by_approach"):
            object.__setattr__(self, field,
                               {str(k): int(v) for k, v in getattr(self, field).items()})
        object.__setattr__(self, "network_changes", {
            str(k): dict(v) for k, v in self.network_changes.items() if v})
        for approach in self.network_changes:
            self.network_for(approach)  # an unknown approach or field fails here

    def network_for(self, approach: str) -> Any:
        """``approach``'s network: its default with ``network_changes``."""
        from beeutils.models.configs import network_with

        return network_with(approach, self.network_changes.get(approach))

    def epochs_for(self, approach: str) -> int:
        """Training epochs of ``approach`` (with or without kinds)."""
        return self.epochs_by_approach.get(approach, self.epochs)

    def batch_size_for(self, approach: str) -> int:
        """Clips per training step of ``approach`` (with or without kinds)."""
        return self.batch_size_by_approach.get(approach, self.batch_size)

    def adversarial_epochs_for(self, approach: str) -> int:
        """Epochs of ``approach``'s adversarial second stage (0: none)."""
        return self.adversarial_epochs_by_approach.get(approach, 0)

    @property
    def seed(self) -> int:
        """The first seed: signal-processing parts and saved models."""
        return self.seeds[0]

    def with_epochs(self, epochs: int) -> "BenchSettings":
        """These settings with ``epochs`` for every approach, keeping each
        approach's ratio to the base budget: with ``FULL``, ``with_epochs(80)``
        gives the oscillator bank 160 (its adversarial stage is unchanged)."""
        if epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {epochs}")
        ratio = epochs / self.epochs
        return dataclasses.replace(self, epochs=int(epochs), epochs_by_approach={
            name: max(1, round(n * ratio)) for name, n in self.epochs_by_approach.items()})


#: ``--quick``: the same measurements with a smaller corpus and budget, one seed.
QUICK = BenchSettings(clips_per_kind=16, epochs=8,
                      epochs_by_approach={"oscillator": 16, "logmag_if": 12},
                      adversarial_epochs_by_approach={"oscillator": 5},
                      batch_size_by_approach=TRAINING_BATCH_SIZE,
                      n_generated=64, n_per_kind=8, synth_repeats=3)
#: The full run: three seeds, so that the table reads mean ± sd.
FULL = BenchSettings(epochs_by_approach={"oscillator": 60, "logmag_if": 45},
                     adversarial_epochs_by_approach={"oscillator": 20},
                     batch_size_by_approach=TRAINING_BATCH_SIZE, seeds=(0, 1, 2))
#: The oscillator bank's adversarial epochs on a folder of recordings
#: (``--data``) unless ``--adversarial-epochs`` says otherwise: on the real
#: hive clips the stage raised the Frechet ratio on every seed tried
#: (README, "On real hive recordings").
RECORDINGS_ADVERSARIAL_EPOCHS = 0


# ------------------------------------------------------------------ machine


def code_fingerprint() -> str:
    """SHA-256 of the ``beeutils`` package's source (every ``.py`` and
    ``.csv`` file under it, with its path): two runs with the same
    fingerprint ran the same code."""
    import hashlib

    import beeutils

    root = Path(beeutils.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".csv")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def cpu_model() -> str | None:
    """The processor's model name (``/proc/cpuinfo`` on Linux; else what
    ``platform`` knows), or ``None``: two hosts with the same architecture
    and core count can differ twofold in speed."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and value.strip():
                    return value.strip()
    except OSError:
        pass
    name = platform.processor()
    return name if name and name != platform.machine() else None


def machine_info() -> dict[str, Any]:
    """Processor, devices and library versions of this run."""
    import keras
    import librosa
    import tensorflow as tf

    gpus = [d.name for d in tf.config.list_physical_devices("GPU")]
    return {
        "device": "GPU" if gpus else "CPU",
        "gpus": gpus,
        "cpu": platform.processor() or platform.machine(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "librosa": librosa.__version__,
        "numpy": np.__version__,
    }


# ------------------------------------------------------- signal processing


def bench_synthesis(settings: BenchSettings) -> dict[str, Any]:
    """x real time per kind (CPU time, one core) and their median."""
    from beeutils.data import synth

    per_kind = synth.synthesis_speed(duration=settings.duration, repeats=settings.synth_repeats)
    return {"x_realtime_per_kind": per_kind,
            "x_realtime_median": float(np.median(list(per_kind.values())))}


def _bench_clips(n: int, duration: float, seed: int) -> np.ndarray:
    """``(n, samples)`` synthetic clips cycling through the kinds."""
    from beeutils.data import synth

    return np.stack([synth.synthesize(synth.KINDS[i % len(synth.KINDS)], duration=duration,
                                      seed=seed + i)[0] for i in range(n)])


def bench_stft(waves: np.ndarray) -> dict[str, Any]:
    """NumPy vs TensorFlow STFT, and the inverse-STFT round trip.

    Args:
        waves: ``(n, samples)`` clips.

    Returns:
        ``max_relative_error`` (NumPy vs TF complex STFT, relative to the
        largest magnitude), ``roundtrip_snr_db`` (NumPy, minimum over clips)
        and ``tf_roundtrip_snr_db``.
    """
    from beeutils.evaluation import metrics
    from beeutils.dsp import spectral

    cfg = spectral.STFTConfig(n_freq_keep=None, n_frames=None)
    ref = spectral.stft(waves, cfg)
    ours = np.asarray(spectral.tf_stft(waves, cfg))
    rel = float(np.max(np.abs(ref - ours)) / np.max(np.abs(ref)))
    back = spectral.istft(ref, cfg, length=waves.shape[-1])
    tf_back = np.asarray(spectral.tf_istft(ours, cfg, length=waves.shape[-1]))
    return {"max_relative_error": rel,
            "roundtrip_snr_db": float(np.min(metrics.snr_db(waves, back))),
            "tf_roundtrip_snr_db": float(np.min(metrics.snr_db(waves, tf_back))),
            "n_fft": cfg.n_fft, "hop": cfg.hop, "n_clips": int(len(waves))}


def compare_with_librosa(
    waves: np.ndarray,
    config: STFTConfig,
    n_iter: int = 32,
    momentum: float = 0.99,
    seed: int = 0,
    same_init: bool = True,
    pghi: bool = False,
) -> dict[str, Any]:
    """Our batched Griffin-Lim against ``librosa.griffinlim`` clip by clip.

    Both run the same number of iterations on the full-band magnitudes of
    ``waves`` from random initial phases.  With ``same_init`` (default) both
    start from the very same phases (NumPy, seeded per clip), so the
    comparison measures the algorithms, not the luck of the draw: from one
    random start to another, a clip's result varies by 1-2 dB.  Otherwise
    each draws its own (ours with the TensorFlow RNG, both seeded by ``seed``).

    Quality is the spectral convergence of each result against the target
    magnitude, ``20 log10(||S - |STFT(y)| ||_F / ||S||_F)`` (lower is better),
    averaged in dB over clips.  Our time is that of a second call, after a
    first, untimed one has traced and compiled the graph; librosa's is one
    loop over the clips.  Neither includes computing the target magnitudes.

    Args:
        waves: float waveforms ``(n, samples)``.
        config: STFT settings.
        n_iter: Griffin-Lim iterations for both.
        momentum: momentum for both.
        seed: seed of the initial phases.
        same_init: start both from identical phases.
        pghi: also run ours from the PGHI phase (``init="pghi"``), timed
            with the PGHI integration included.

    Returns:
        dict with ``sc_db_ours``, ``sc_db_librosa`` (mean dB), per-clip lists
        ``sc_db_ours_per_clip``, ``sc_db_librosa_per_clip``,
        ``seconds_ours``, ``seconds_librosa`` (wall clock for the batch),
        ``speed_ratio`` (librosa time / ours; above 1 means ours is faster),
        ``cpu_seconds_ours``, ``cpu_seconds_librosa`` (process CPU time, all
        threads: steadier than wall clock on a shared machine), ``n_clips``,
        ``n_samples``, ``n_iter``, ``momentum``, ``same_init``; with
        ``pghi``: ``sc_db_pghi`` (PGHI then ``n_iter`` iterations),
        ``sc_db_pghi_alone`` (PGHI, no iteration), ``seconds_pghi`` and
        ``pghi_time_ratio`` (its time / librosa's).
    """
    import librosa

    from beeutils.dsp.phase import griffin_lim
    from beeutils.dsp.spectral import stft, window_array
    from beeutils.evaluation.metrics import spectral_convergence_wave

    waves = np.atleast_2d(np.asarray(waves, dtype=np.float32))
    n_samples = waves.shape[-1]
    target = np.abs(stft(waves, config))  # (n, freq, time)

    def librosa_rng(i: int) -> np.random.Generator:
        return np.random.default_rng([seed, i])

    if same_init:
        # librosa draws 2 pi * rng.random(S.shape); draw the same numbers for ours.
        init: Any = np.stack([
            2.0 * np.pi * librosa_rng(i).random(size=clip.shape) for i, clip in enumerate(target)
        ]).astype(np.float32)
        rngs = [librosa_rng(i) for i in range(len(target))]
    else:
        init = "random"
        shared = np.random.default_rng(seed)
        rngs = [shared] * len(target)

    def ours() -> np.ndarray:
        return griffin_lim(target, config, n_iter=n_iter, momentum=momentum, seed=seed,
                           length=n_samples, init=init)

    ours()  # trace and compile, untimed
    start, cpu_start = time.perf_counter(), time.process_time()
    wave_ours = ours()
    seconds_ours = time.perf_counter() - start
    cpu_ours = time.process_time() - cpu_start

    window = window_array(config.window, config.n_fft)
    start, cpu_start = time.perf_counter(), time.process_time()
    wave_theirs = np.stack([
        librosa.griffinlim(
            clip, n_iter=n_iter, hop_length=config.hop, n_fft=config.n_fft,
            window=window, center=True, length=n_samples, momentum=momentum,
            random_state=rng,
        )
        for clip, rng in zip(target, rngs)
    ])
    seconds_librosa = time.perf_counter() - start
    cpu_librosa = time.process_time() - cpu_start

    sc_ours = np.atleast_1d(spectral_convergence_wave(target, wave_ours, config))
    sc_theirs = np.atleast_1d(spectral_convergence_wave(target, wave_theirs, config))
    extra: dict[str, Any] = {}
    if pghi:
        from beeutils.dsp.pghi import pghi_phase

        start = time.perf_counter()
        phase = pghi_phase(target, config, seed=seed)
        wave_pghi = griffin_lim(target, config, n_iter=n_iter, momentum=momentum,
                                length=n_samples, init=phase)
        seconds_pghi = time.perf_counter() - start
        alone = griffin_lim(target, config, n_iter=0, length=n_samples, init=phase)
        extra = {
            "sc_db_pghi": float(np.mean(spectral_convergence_wave(target, wave_pghi, config))),
            "sc_db_pghi_alone": float(np.mean(spectral_convergence_wave(target, alone, config))),
            "seconds_pghi": seconds_pghi,
            "pghi_time_ratio": seconds_pghi / max(seconds_librosa, 1e-12),
        }
    return {**extra,
        "sc_db_ours": float(np.mean(sc_ours)),
        "sc_db_librosa": float(np.mean(sc_theirs)),
        "sc_db_ours_per_clip": sc_ours.tolist(),
        "sc_db_librosa_per_clip": sc_theirs.tolist(),
        "seconds_ours": seconds_ours,
        "seconds_librosa": seconds_librosa,
        "speed_ratio": seconds_librosa / max(seconds_ours, 1e-12),
        "cpu_seconds_ours": cpu_ours,
        "cpu_seconds_librosa": cpu_librosa,
        "n_clips": int(waves.shape[0]),
        "n_samples": int(n_samples),
        "n_iter": int(n_iter),
        "momentum": float(momentum),
        "same_init": bool(same_init),
    }


#: Recordings' phase retrieval is measured a second time above this edge (Hz):
#: below it a hive microphone picks up rumble and handling noise, under any
#: bee's fundamental.  Where it carries most of the energy it sets the
#: spectral convergence, and as noise its phase follows from no magnitude.
HUM_HIGH_PASS_HZ = 60.0


def bench_griffin_lim(waves: np.ndarray, n_iter: int,
                      high_pass_hz: float | None = None) -> dict[str, Any]:
    """Ours against librosa's, same starting phases, same iterations.

    With ``high_pass_hz``, on ``waves`` high-passed there first
    (``audio.high_pass``); the result then also holds ``high_pass_hz`` and
    ``energy_share_removed`` (the share of the clips' energy below it).
    """
    from beeutils.dsp import spectral

    cfg = spectral.STFTConfig(n_freq_keep=None, n_frames=None)
    extra: dict[str, Any] = {}
    if high_pass_hz is not None:
        from beeutils.data.audio import high_pass

        passed = high_pass(waves, high_pass_hz, cfg.sr)
        energy = float(np.sum(np.square(waves, dtype=np.float64)))
        extra = {"high_pass_hz": float(high_pass_hz), "energy_share_removed":
                 1.0 - float(np.sum(np.square(passed, dtype=np.float64))) / max(energy, 1e-30)}
        waves = passed
    out = compare_with_librosa(waves, cfg, n_iter=n_iter, pghi=True)
    return {**extra, **{k: v for k, v in out.items() if not k.endswith("per_clip")}}


def bench_realisation(settings: BenchSettings) -> dict[str, Any]:
    """The reconstruction rows for clips that are right in all but their noise.

    ``evaluate.realisation_metrics`` on the held-out clips
    (``settings.eval_split``) of the first seed's corpus, in the models'
    band: each clip against another realisation of its own recipe, what a
    model would score that had learnt all but the noise.

    Returns:
        ``seed``, ``split``, ``n_clips``, ``lsd_db``, ``sc_db``, ``mrstft``
        (means over the clips) and ``lsd_db_per_kind``.
    """
    from beeutils.data.readers import training_corpus
    from beeutils.evaluation.evaluate import realisations, reconstruction_metrics
    from beeutils.models.configs import ModelConfig

    corpus = training_corpus(None, settings.clips_per_kind, settings.duration, settings.seed)
    split = settings.eval_split
    waves, labels, metas = corpus.waves(split), corpus.labels(split), corpus.metas(split)
    band = ModelConfig().stft
    twins = realisations(metas)  # once: every clip's twin serves the mean and its kind's

    def measured(keep: Sequence[int]) -> dict[str, float]:
        # ``evaluate.realisation_metrics`` on these clips, without making the twins again.
        return reconstruction_metrics(band, waves[keep], twins[keep], [labels[i] for i in keep],
                                      [metas[i] for i in keep])

    every = measured(list(range(len(labels))))
    per_kind = {kind: measured([i for i, label in enumerate(labels) if label == kind])
                for kind in sorted(set(labels))}
    return {"seed": settings.seed, "split": split, "n_clips": len(labels),
            "lsd_db": every["recon_lsd_db"], "sc_db": every["recon_sc_db"],
            "mrstft": every["recon_mrstft"],
            "lsd_db_per_kind": {kind: m["recon_lsd_db"] for kind, m in per_kind.items()}}


# ------------------------------------------------------------------- models


def bench_models(settings: BenchSettings, data_dir: str | Path | None = None,
                 verbose: int = 0, save_dir: str | Path | None = None,
                 seed: int | None = None) -> list[dict[str, Any]]:
    """Train and measure every approach on the same data with the same budget.

    Args:
        settings: corpus size and training budget.
        data_dir: a folder of recordings to use instead of the synthetic
            corpus (``readers.training_corpus``: split by file).
        verbose: Keras progress display.
        save_dir: save each trained model here as ``<name>.keras``
            (``AudioModel.save``), for notebook 10 and ``beeutils.generate``.
        seed: seeds the corpus (or the split of ``data_dir``), weights,
            batch order, prior samples and k-means; ``None``: the first of
            ``settings.seeds``.

    Returns:
        One dict per approach with ``MODEL_KEYS`` and every
        ``evaluate.evaluate_model`` metric; ``silent_clips`` and
        ``nonfinite_clips`` count the broken clips among the
        ``n_generated`` prior samples (``evaluation.broken.broken_report``
        on the band-limited clips that the generation metrics measured).
    """
    from beeutils.data.readers import training_corpus
    from beeutils.dsp.spectral import WIDEBAND
    from beeutils.evaluation.broken import broken_report
    from beeutils.evaluation.conditional import evaluate_conditional, fit_kind_classifier
    from beeutils.evaluation.evaluate import evaluate_model
    from beeutils.models.audio_model import AudioModel
    from beeutils.models.configs import ModelConfig

    seed = settings.seed if seed is None else int(seed)
    corpus = training_corpus(data_dir, settings.clips_per_kind, settings.duration, seed)
    # The models' grid (0-8 kHz, every kind inside) and, as it does for
    # 2.048 s, every frame but the last (centred on the end of the clip).
    n_samples = corpus.waves("train").shape[-1]
    stft = WIDEBAND.replace(n_frames=WIDEBAND.n_frames_for(n_samples) - 1)
    rows = []
    runs = [(name, False) for name in settings.approaches]
    if len(corpus.kinds) > 1:
        runs += [(name, True) for name in settings.conditional]
    elif settings.conditional:
        print(f"[bench] one label ({corpus.kinds[0]!r}): no model conditioned on kind",
              flush=True)
    for approach, conditional in runs:
        name = f"{approach}_by_kind" if conditional else approach
        print(f"[bench] training {name} ...", flush=True)
        config = ModelConfig(approach, stft, settings.network_for(approach),
                             conditional=conditional)
        model = AudioModel.build(config, corpus, seed=seed)
        model.train(corpus, epochs=settings.epochs_for(approach),
                    batch_size=settings.batch_size_for(approach), seed=seed, verbose=verbose,
                    adversarial_epochs=settings.adversarial_epochs_for(approach))
        if save_dir is not None:
            model.save(Path(save_dir) / f"{name}.keras")
        # One judge of kinds serves the kind shares and the kinds asked for.
        judge = fit_kind_classifier(model, corpus, seed=seed) if conditional else None
        texture = settings.texture and model.draws_spectrograms
        measured, waves = evaluate_model(model, corpus, n_generated=settings.n_generated,
                                         seed=seed, split=settings.eval_split,
                                         return_waves=True, judge=judge, texture=texture)
        # The clips the generation metrics saw: a silent or NaN clip there is
        # one the listener would get, and counting it costs no second decoding.
        broken = broken_report(waves["generated"]).to_dict()
        row = {"name": name, **measured, "silent_clips": int(broken["silent"]),
               "nonfinite_clips": int(broken["nonfinite"])}
        if conditional:
            asked = evaluate_conditional(model, corpus, judge, n_per_kind=settings.n_per_kind,
                                         seed=seed, texture=texture)
            row.update({"cond_accuracy": asked["gen_accuracy"],
                        "cond_min_kind_accuracy": float(min(asked["gen_per_kind"].values())),
                        "cond_per_kind": asked["gen_per_kind"],
                        "cond_judge_real_accuracy": asked["real_accuracy"]})
        rows.append(row)
        print(f"[bench] {name} (seed {seed}): trained in {row['train_seconds']:.0f} s, "
              f"LSD {row['recon_lsd_db']:.2f} dB, FD ratio {row['fd_ratio']:.2f}, "
              f"{row['silent_clips']} silent / {row['nonfinite_clips']} non-finite of "
              f"{row['n_generated']} generated", flush=True)
    return rows


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def aggregate_runs(runs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Mean and spread over seeds of every numeric key, per approach.

    Args:
        runs: ``[{"seed": k, "models": [row, ...]}, ...]``, one per seed,
            each with a row per approach (``bench_models``).

    Returns:
        One dict per approach, in the order of the first run:
        ``{"name": ..., key: {"mean": m, "sd": s, "values": [...]}, ...}``
        for every key whose values are numbers (``None`` counts as NaN);
        ``values`` in the order of ``runs``, ``sd`` the sample standard
        deviation (ddof=1), ``None`` for a single run.  A NaN in any run
        makes ``mean`` and ``sd`` NaN: a metric that is missing for one seed
        is not averaged over the others without saying so.
    """
    if not runs:
        raise ValueError("no runs to aggregate")
    out = []
    for first in runs[0]["models"]:
        name = first["name"]
        rows = []
        for run in runs:
            match = [r for r in run["models"] if r["name"] == name]
            if len(match) != 1:
                raise ValueError(f"seed {run.get('seed')}: {len(match)} rows for {name!r}")
            rows.append(match[0])
        entry: dict[str, Any] = {"name": name}
        for key in first:
            values = [r.get(key) for r in rows]
            if key == "name" or not all(v is None or _is_number(v) for v in values) \
                    or all(v is None for v in values):
                continue
            numbers = np.array([np.nan if v is None else float(v) for v in values])
            entry[key] = {"mean": float(np.mean(numbers)),
                          "sd": float(np.std(numbers, ddof=1)) if len(numbers) > 1 else None,
                          "values": values}
        out.append(entry)
    return out


def mean_rows(aggregate: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows of ``aggregate_runs`` with each summary replaced by its mean."""
    return [{k: (v["mean"] if isinstance(v, Mapping) else v) for k, v in entry.items()}
            for entry in aggregate]


def _with_runs(results: dict[str, Any], runs: list[dict[str, Any]]) -> dict[str, Any]:
    """``results`` with ``runs`` and what follows from them: ``aggregate``
    and ``models`` (the run's own rows for one seed, the means for several)."""
    results["runs"] = runs
    results["aggregate"] = aggregate_runs(runs)
    # Scalars per approach, as before seeds existed (notebook 10 plots these).
    results["models"] = runs[0]["models"] if len(runs) == 1 else mean_rows(results["aggregate"])
    return results


def combine_results(parts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One benchmark from runs of the same benchmark with other seeds.

    Args:
        parts: results as ``run`` returns them (or read back from their
            JSON), in the order their seeds should be listed.

    Returns:
        The results of a run over all their seeds: ``runs`` joined,
        ``aggregate`` and ``models`` recomputed, the signal-processing parts
        of the first, ``seconds`` summed, and ``parts``, how many were joined.

    Raises:
        ValueError: fewer than two parts, a part without models, settings
            that differ other than in the seeds, other code (``code``, the
            ``code_fingerprint`` of the run; a part without one is refused
            too), another machine or library version (the time rows would
            mix machines), or a seed twice.
    """
    if len(parts) < 2:
        raise ValueError(f"combining needs two results or more, got {len(parts)}")
    first = parts[0]
    seeds: list[int] = []
    for index, part in enumerate(parts):
        if not part.get("runs"):
            raise ValueError(f"part {index + 1} has no models (was it run with --skip-models?)")
        differ = sorted(key for key in set(first["settings"]) | set(part["settings"])
                        if key != "seeds"
                        and first["settings"].get(key) != part["settings"].get(key))
        if differ:
            raise ValueError(f"part {index + 1}'s settings differ from the first's in "
                             f"{', '.join(differ)}")
        if not part.get("code") or part["code"] != first.get("code"):
            raise ValueError(f"part {index + 1} ran other code than the first (or records "
                             "none): its numbers would not belong to one benchmark")
        if part.get("machine") != first.get("machine"):
            raise ValueError(f"part {index + 1} ran on another machine or with other "
                             "library versions: its times would not compare")
        repeated = sorted(set(seeds) & set(part["seeds"]))
        if repeated:
            raise ValueError(f"seed {repeated[0]} is in more than one part")
        seeds += list(part["seeds"])
    combined = {key: value for key, value in first.items()
                if key not in ("runs", "aggregate", "models", "seconds")}
    combined["seeds"] = seeds
    combined["settings"] = {**first["settings"], "seeds": seeds}
    combined = _with_runs(combined, [run for part in parts for run in part["runs"]])
    combined["seconds"] = float(sum(part["seconds"] for part in parts))
    combined["parts"] = len(parts)
    return _jsonable(combined)


# -------------------------------------------------------------------- table


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "n/a"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return f"{float(value):.{digits}f}"


def _griffin_lim_lines(g: Mapping[str, Any], of: str) -> list[str]:
    """Report lines of one ``bench_griffin_lim`` result."""
    if "high_pass_hz" in g:
        of += (f" high-passed at {g['high_pass_hz']:g} Hz (which removes "
               f"{_fmt(g['energy_share_removed'], 2)} of their energy)")
    lines = [f"- Griffin-Lim, {g['n_clips']} clips{of}, {g['n_iter']} iterations: "
             f"ours {_fmt(g['sc_db_ours'])} dB in {_fmt(g['seconds_ours'])} s, "
             f"librosa {_fmt(g['sc_db_librosa'])} dB in "
             f"{_fmt(g['seconds_librosa'])} s ({_fmt(g['speed_ratio'], 1)}x)."]
    if "sc_db_pghi" in g:
        lines.append(f"- Griffin-Lim from PGHI, {g['n_iter']} iterations: "
                     f"{_fmt(g['sc_db_pghi'])} dB in {_fmt(g['seconds_pghi'])} s "
                     f"(PGHI alone {_fmt(g['sc_db_pghi_alone'])} dB; "
                     f"{_fmt(g['pghi_time_ratio'], 2)}x librosa's time).")
    return lines


def results_table(results: dict[str, Any]) -> str:
    """The benchmark as Markdown: signal-processing lines, then the models.

    With several seeds each model cell reads ``mean ± sd`` over the seeds
    (``aggregate``), with one seed the run's own value.
    """
    from beeutils.evaluation.evaluate import comparison_table, table_rows

    lines = []
    st = results.get("settings", {})
    data = st.get("data", "synthetic corpus")
    m = results.get("machine", {})
    if m:
        model = f", {m['cpu_model']}" if m.get("cpu_model") else ""
        lines.append(f"Machine: {m.get('device')} ({m.get('cpu_count')} cores, "
                     f"{m.get('cpu')}{model}), TensorFlow {m.get('tensorflow')}, "
                     f"Keras {m.get('keras')}, librosa {m.get('librosa')}.")
        lines.append("")
    if "synthesis" in results:
        lines.append(f"- Synthesis: {_fmt(results['synthesis']['x_realtime_median'], 0)} x "
                     "real time (median over kinds, one core).")
    if "stft" in results:
        s = results["stft"]
        agreement = ("bit-identical" if s["max_relative_error"] == 0
                     else f"max relative error {s['max_relative_error']:.1e}")
        lines.append(f"- STFT: NumPy vs TensorFlow {agreement}; inverse round trip "
                     f"{_fmt(s['roundtrip_snr_db'], 1)} dB (NumPy), "
                     f"{_fmt(s['tf_roundtrip_snr_db'], 1)} dB (TensorFlow).")
    of = "" if data == "synthetic corpus" else " of the recordings"
    for key in ("griffin_lim", "griffin_lim_hum"):
        if key in results:
            lines += _griffin_lim_lines(results[key], of)
    if "realisation" in results:
        r = results["realisation"]
        lines.append(f"- Another realisation of each of the {r['n_clips']} {r['split']} clips "
                     f"of seed {r['seed']} (its "
                     "recipe kept, its noise and starting phases redrawn), measured as a "
                     f"reconstruction: log-spectral distance {_fmt(r['lsd_db'], 1)} dB, "
                     f"multi-resolution STFT distance {_fmt(r['mrstft'])}: the "
                     "reconstruction rows of a model that learnt all but the noise.")
    seeds = results.get("seeds") or []
    aggregate = results.get("aggregate") or []
    models = aggregate if len(seeds) > 1 and aggregate else (results.get("models") or [])
    if models:
        if models is aggregate:
            seed_list = ", ".join(str(k) for k in seeds)
            lines += ["", f"Mean ± sd over {len(seeds)} seeds ({seed_list}; sample sd)."]
        at = MODEL_KEYS.index("fd_ratio") + 1
        keys = (MODEL_KEYS[1:at] + (PRIOR_CEILING_KEY,) + MODEL_KEYS[at:8] + CONDITIONAL_KEYS
                + SIGNATURE_KEYS + MODEL_KEYS[8:])
        lines += ["", comparison_table({row["name"]: row for row in models}, table_rows(*keys))]
    if models and st:
        took = ""
        if results.get("seconds"):
            took = (f"; the {results['parts']} runs joined took "
                    if results.get("parts") else "; the whole run took ")
            took += f"{results['seconds'] / 60:.0f} minutes"
        minutes = model_minutes(results)
        if took and minutes["approaches"]:
            n = len(st["approaches"])
            took += (f", of which training and measuring the {n} "
                     f"approach{'es' if n != 1 else ''} took {minutes['approaches']:.0f}")
            if minutes["conditioned"]:
                took += f" and the models conditioned on kind {minutes['conditioned']:.0f}"
        if data == "synthetic corpus":
            data += f" of {st['clips_per_kind']} clips per kind"
        split = st.get("eval_split", "test")
        measured = "" if split == "test" else f"; measured on the {split} split, not the test split"
        lines += ["", f"Settings: {data}; {st['duration']} s clips; {batches_text(st)}; "
                      f"{epochs_text(st)}{network_text(st)}{measured}{took}."]
    return "\n".join(lines)


def model_minutes(results: Mapping[str, Any]) -> dict[str, float]:
    """Minutes of training and measuring (``train_seconds`` + ``eval_seconds``)
    over every seed: ``"approaches"`` for the models without kinds,
    ``"conditioned"`` for those conditioned on kind (``*_by_kind``).  The
    rest of a run is the signal-processing parts, the corpus and the kind
    judges."""
    runs = results.get("runs") or [{"models": results.get("models") or []}]
    minutes = {"approaches": 0.0, "conditioned": 0.0}
    for run in runs:
        for row in run["models"]:
            group = "conditioned" if row["name"].endswith("_by_kind") else "approaches"
            minutes[group] += ((row.get("train_seconds") or 0.0)
                               + (row.get("eval_seconds") or 0.0)) / 60.0
    return minutes


def _ran(settings: Mapping[str, Any]) -> Callable[[str], bool]:
    """Whether a run with these saved settings trained an approach (older
    files do not list the approaches: all)."""
    trained = set(settings.get("approaches") or ()) | set(settings.get("conditional") or ())
    return lambda name: not trained or name in trained


def batches_text(settings: Mapping[str, Any]) -> str:
    """A run's batch sizes in words, from its settings as saved in the JSON:
    "batches of 32", or "batches of 32 (4 for magnitude)" when approaches
    have their own."""
    ran = _ran(settings)
    others = {k: v for k, v in (settings.get("batch_size_by_approach") or {}).items()
              if v != settings["batch_size"] and ran(k)}
    if not others:
        return f"batches of {settings['batch_size']}"
    names_by_size: dict[int, list[str]] = {}
    for name, size in others.items():
        names_by_size.setdefault(size, []).append(name)
    parts = "; ".join(f"{size} for {' and '.join(names)}" for size, names in names_by_size.items())
    return f"batches of {settings['batch_size']} ({parts})"


def network_text(settings: Mapping[str, Any]) -> str:
    """A run's changes to the default networks in words, from its settings
    as saved in the JSON: "" when there are none, else e.g. "; magnitude
    network with modulation_weight 0.01"."""
    text = "".join(f"; {approach} network with "
                   + ", ".join(f"{field} {value}" for field, value in changes.items())
                   for approach, changes in (settings.get("network_changes") or {}).items())
    if settings.get("texture"):
        text += "; spectrogram models' samples rendered with a noise's texture"
    return text


def epochs_text(settings: Mapping[str, Any]) -> str:
    """A run's training budget in words, from its settings as saved in the
    JSON: "30 epochs for every model", or which approaches train longer
    and which add an adversarial stage."""
    ran = _ran(settings)
    others = {k: v for k, v in (settings.get("epochs_by_approach") or {}).items()
              if v != settings["epochs"] and ran(k)}
    adversarial = {k: v for k, v in
                   (settings.get("adversarial_epochs_by_approach") or {}).items()
                   if v and ran(k)}
    if not others and not adversarial:
        return f"{settings['epochs']} epochs for every model"
    parts = [f"{v} for {k}" + (f" then {adversarial[k]} adversarial" if k in adversarial else "")
             for k, v in others.items()]
    parts += [f"{settings['epochs']} then {v} adversarial for {k}"
              for k, v in adversarial.items() if k not in others]
    return f"{settings['epochs']} epochs ({', '.join(parts)}, with or without kinds)"


# --------------------------------------------------------------------- main


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if np.isfinite(value) else None
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    return value


def run(settings: BenchSettings, data_dir: str | Path | None = None,
        parts: Sequence[str] = ("synthesis", "stft", "griffin_lim", "realisation", "models"),
        verbose: int = 0, save_dir: str | Path | None = None) -> dict[str, Any]:
    """Run the benchmark; returns the results as JSON-ready values.

    The models are trained and measured once per seed of
    ``settings.seeds``; the signal-processing parts run once, with the
    first seed.

    Args:
        settings: ``QUICK``, ``FULL`` or your own ``BenchSettings``.
        data_dir: recordings to train and evaluate the models on
            (``settings["data"]`` then describes them,
            ``readers.describe_folder``); the STFT and Griffin-Lim parts
            measure the first ``gl_clips`` training clips of the
            recordings, and the synthesiser's speed is not measured.
        parts: which parts to run (``machine`` always runs).
        verbose: Keras progress display while training.
        save_dir: where to save the first seed's trained models as
            ``<save_dir>/<name>.keras`` (``None``: not saved).  Only the
            first seed's: that is where notebook 10 and
            ``beeutils.generate`` look, and the other seeds' models serve
            the spread, not the listening.

    Returns:
        The keys of the module docstring (``seeds``, ``runs``, ``aggregate``
        and ``models`` when ``parts`` has ``models``).
    """
    from beeutils import config

    config.setup(seed=settings.seed)
    start = time.perf_counter()
    results: dict[str, Any] = {"machine": machine_info(), "code": code_fingerprint(),
                               "seeds": list(settings.seeds),
                               "settings": dataclasses.asdict(settings)}
    clips = None
    needs_clips = "stft" in parts or "griffin_lim" in parts
    if data_dir is None:
        results["settings"]["data"] = "synthetic corpus"
        if needs_clips:
            clips = _bench_clips(settings.gl_clips, settings.duration, settings.seed)
    else:
        from beeutils.data.readers import describe_folder, training_corpus

        results["settings"]["data"] = describe_folder(data_dir)
        # Phase retrieval measured on the recordings themselves, and neither
        # the synthesiser's speed nor its recipes: the run is about your audio.
        parts = [p for p in parts if p not in ("synthesis", "realisation")]
        if needs_clips:
            recordings = training_corpus(data_dir, duration=settings.duration,
                                         seed=settings.seed)
            clips = recordings.waves("train")[:settings.gl_clips]
    if "synthesis" in parts:
        results["synthesis"] = bench_synthesis(settings)
    if "stft" in parts:
        results["stft"] = bench_stft(clips)
    if "griffin_lim" in parts:
        results["griffin_lim"] = bench_griffin_lim(clips, settings.gl_iter)
        if data_dir is not None:
            results["griffin_lim_hum"] = bench_griffin_lim(clips, settings.gl_iter,
                                                           HUM_HIGH_PASS_HZ)
    if "realisation" in parts:
        results["realisation"] = bench_realisation(settings)
    if "models" in parts:
        runs = []
        for seed in settings.seeds:
            began = time.perf_counter()
            # Seed the global generators too: anything not handed a seed
            # explicitly (Keras initialisers, dropout) then follows the seed.
            config.seed_everything(seed)
            rows = bench_models(settings, data_dir, verbose,
                                save_dir if seed == settings.seed else None, seed=seed)
            runs.append({"seed": seed, "models": rows, "seconds": time.perf_counter() - began})
        results = _with_runs(results, runs)
    results["seconds"] = time.perf_counter() - start
    return _jsonable(results)


def _at_least(minimum: int) -> Callable[[str], int]:
    """An argparse ``type``: a whole number no smaller than ``minimum``."""
    def parse(text: str) -> int:
        value = int(text)  # not a number: argparse's own "invalid value" message
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value}: must be at least {minimum}")
        return value
    parse.__name__ = "int"  # argparse names the type in "invalid int value"
    return parse


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m beeutils.bench",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smaller corpus and budget, one seed (under 15 minutes on 2 "
                             "CPU cores)")
    parser.add_argument("--seeds", type=int, nargs="+", metavar="K",
                        help="train and measure every approach once per seed; each seeds the "
                             "corpus (or the split of --data), the weights and the sampling "
                             f"(default: {' '.join(map(str, FULL.seeds))}; with --quick: "
                             f"{' '.join(map(str, QUICK.seeds))})")
    parser.add_argument("--approaches", nargs="+", metavar="NAME",
                        help="train and measure only these approaches (default: "
                             f"{' '.join(FULL.approaches)})")
    parser.add_argument("--conditional", nargs="*", metavar="NAME",
                        help="approaches also trained conditioned on kind (default: "
                             f"{' '.join(FULL.conditional)}, those of them that --approaches "
                             "keeps; with no NAME: none)")
    parser.add_argument("--epochs", type=_at_least(1), metavar="N",
                        help="training epochs of every approach, each keeping its ratio to "
                             f"the base budget (default: {FULL.epochs}, the oscillator bank "
                             f"{FULL.epochs_for('oscillator')}, logmag_if "
                             f"{FULL.epochs_for('logmag_if')}; with --quick: {QUICK.epochs}); "
                             "a small folder of recordings has few steps per epoch")
    parser.add_argument("--adversarial-epochs", type=_at_least(0), metavar="N",
                        help="epochs of the oscillator bank's adversarial second stage "
                             f"(default: {FULL.adversarial_epochs_for('oscillator')}; with "
                             f"--quick: {QUICK.adversarial_epochs_for('oscillator')}; with "
                             f"--data: {RECORDINGS_ADVERSARIAL_EPOCHS}; 0: none)")
    parser.add_argument("--batch-size", type=_at_least(1), metavar="N",
                        help="clips per training step, every approach (default: "
                             f"{batches_text(dataclasses.asdict(FULL))}); the same epochs at "
                             "a smaller batch are more, cheaper steps")
    parser.add_argument("--split", choices=EVAL_SPLITS, default="test",
                        help="the held-out split to measure the models on (default: test; "
                             "validation: to choose settings such as --epochs without "
                             "looking at the test split)")
    parser.add_argument("--network", action="append", metavar="APPROACH.FIELD=VALUE",
                        help="change a field of an approach's default network, e.g. "
                             "magnitude.modulation_weight=0.03 (the value is read as JSON); "
                             "repeat for several")
    parser.add_argument("--texture", action="store_true",
                        help="render the spectrogram models' prior samples with a noise's "
                             "texture (AudioModel.decode(texture=True))")
    parser.add_argument("--json", type=Path, help="write the results to this JSON file")
    parser.add_argument("--combine", type=Path, nargs="+", metavar="JSON",
                        help="train nothing: join results files of the same benchmark run "
                             "with other seeds (same code, settings and machine) into one, "
                             "as if run with all their seeds")
    parser.add_argument("--data", type=Path,
                        help="folder of recordings to use instead of the synthetic corpus")
    parser.add_argument("--skip-models", action="store_true",
                        help="signal processing only (seconds, not minutes)")
    parser.add_argument("--save-models", type=Path, metavar="DIR",
                        help="save the first seed's trained models here as DIR/NAME.keras "
                             "(e.g. build/models, where notebook 10 and beeutils.generate "
                             "look)")
    return parser


def parse_args(argv: Sequence[str] | None = None) -> tuple[argparse.Namespace, BenchSettings]:
    """The command line's arguments and the ``BenchSettings`` they select.

    ``--quick`` starts from ``QUICK`` (one seed), otherwise from ``FULL``
    (seeds 0 1 2); ``--seeds`` replaces the seeds of either, ``--epochs`` the
    budget (``BenchSettings.with_epochs``), ``--batch-size`` the clips per
    step of every approach, ``--split`` the held-out split measured, ``--approaches`` and
    ``--conditional`` which models it trains, ``--adversarial-epochs`` the
    oscillator bank's second stage (``RECORDINGS_ADVERSARIAL_EPOCHS`` with
    ``--data`` unless given), ``--network`` changes to approaches' default
    networks (``BenchSettings.network_changes``).  Exits with a usage error (status 2) for
    repeated seeds, an unknown approach, too few epochs, an empty batch, a
    missing ``--data`` folder, or a training option beside ``--combine``.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.combine:
        given = [option for option, value in (
            ("--quick", args.quick), ("--seeds", args.seeds), ("--approaches", args.approaches),
            ("--conditional", args.conditional), ("--epochs", args.epochs),
            ("--adversarial-epochs", args.adversarial_epochs),
            ("--batch-size", args.batch_size), ("--split", args.split != "test"),
            ("--network", args.network), ("--data", args.data),
            ("--skip-models", args.skip_models), ("--save-models", args.save_models))
            if value not in (None, False)]
        if given:
            parser.error(f"--combine trains nothing: {given[0]} does not go with it "
                         "(only --json does)")
    if args.data is not None and not args.data.is_dir():
        parser.error(f"--data {args.data}: no such folder")
    settings = QUICK if args.quick else FULL
    from beeutils.models.configs import APPROACHES

    for option, names in (("--approaches", args.approaches), ("--conditional", args.conditional)):
        unknown = [name for name in names or () if name not in APPROACHES]
        if unknown:
            parser.error(f"{option}: unknown approach {unknown[0]!r}; choose from "
                         f"{', '.join(APPROACHES)}")
    if args.approaches is not None:
        approaches = tuple(dict.fromkeys(args.approaches))
        settings = dataclasses.replace(settings, approaches=approaches, conditional=tuple(
            name for name in settings.conditional if name in approaches))
    if args.conditional is not None:
        settings = dataclasses.replace(settings, conditional=tuple(dict.fromkeys(args.conditional)))
    adversarial = args.adversarial_epochs
    if adversarial is None and args.data is not None:
        adversarial = RECORDINGS_ADVERSARIAL_EPOCHS
    if adversarial is not None:
        stages = dict(settings.adversarial_epochs_by_approach, oscillator=adversarial)
        settings = dataclasses.replace(settings, adversarial_epochs_by_approach={
            name: epochs for name, epochs in stages.items() if epochs})
    settings = dataclasses.replace(settings, eval_split=args.split)
    if args.epochs is not None:
        settings = settings.with_epochs(args.epochs)
    if args.batch_size is not None:
        settings = dataclasses.replace(settings, batch_size=args.batch_size,
                                       batch_size_by_approach={})
    if args.network:
        from beeutils.models.configs import parse_change

        changes: dict[str, dict[str, Any]] = {}
        try:
            for item in args.network:
                approach, dot, change = item.partition(".")
                if not dot or "=" in approach:
                    raise ValueError("expected APPROACH.FIELD=VALUE")
                field, value = parse_change(change)
                changes.setdefault(approach, {})[field] = value
            settings = dataclasses.replace(settings, network_changes=changes)
        except (TypeError, ValueError) as err:
            parser.error(f"--network {item}: {err}")
    if args.texture:
        settings = dataclasses.replace(settings, texture=True)
    if args.seeds is not None:
        if len(set(args.seeds)) != len(args.seeds):
            parser.error(f"--seeds {' '.join(map(str, args.seeds))}: each seed once")
        settings = dataclasses.replace(settings, seeds=tuple(args.seeds))
    return args, settings


def _combined(paths: Sequence[Path], parser: argparse.ArgumentParser) -> dict[str, Any]:
    """``combine_results`` of the files at ``paths``; a usage error (exit 2)
    for a missing or unreadable file or parts that do not join."""
    parts = []
    for path in paths:
        try:
            parts.append(json.loads(path.read_text()))
        except (OSError, json.JSONDecodeError) as err:
            parser.error(f"--combine {path}: {err}")
    try:
        return combine_results(parts)
    except (KeyError, ValueError) as err:
        parser.error(f"--combine: {err}")


def main(argv: Sequence[str] | None = None) -> int:
    args, settings = parse_args(argv)
    if args.combine:
        results = _combined(args.combine, _parser())
    else:
        parts = (["synthesis", "stft", "griffin_lim", "realisation"]
                 + ([] if args.skip_models else ["models"]))
        results = run(settings, args.data, parts, save_dir=args.save_models)
    print(results_table(results))
    print(f"\n{results['seconds']:.0f} s in total", flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
        print(f"wrote {args.json}")
    return 0

