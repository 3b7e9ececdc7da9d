"""One yardstick for every approach: audio in, the same metrics out.

Notebooks 05, 06, 07, 09 and 10 and ``python -m beeutils.bench`` compare models
that produce sound in different ways: magnitudes through Griffin-Lim,
complex spectrograms through the inverse STFT, an oscillator bank that writes
the waveform itself.  Whatever the route, the result is audio, so the comparison
starts from audio:

- everything is measured in the model band: produced audio and references
  are low-passed at the crop of the ``STFTConfig`` (0-2 kHz by default), so
  a model is not blamed for bins it was never asked to produce, nor
  rewarded for noise it adds above them;
- references keep their true phase (``dsp.spectral.lowpass_reference``): phase
  errors count, which is the point of notebook 06.

Keys of ``evaluate_waves`` (reconstruction on held-out clips, then
generation):

``recon_snr_db``
    waveform SNR against the low-passed clip, mean over clips (dB; only
    meaningful where the model keeps the phase, near or below 0 otherwise);
``recon_sc_db``, ``recon_lsd_db``
    spectral convergence and log-spectral distance of the produced audio's
    magnitudes against the true magnitudes, in the band (dB);
``recon_mrstft``
    multi-resolution STFT distance to the low-passed clip;
``hum_recon_f0_in_band``, ``hum_recon_f0_error_hz``
    held-out hum: share of reconstructions whose f0 (YIN) lies in the hum
    band, and the median |f0 error| against the synthesiser's f0;
``consistency_sc_db``
    spectral convergence between the magnitude the model *meant* for its
    prior samples and the magnitude of the audio actually produced (NaN
    when the model writes audio directly: consistent by construction);
``fd_gen``, ``fd_floor``, ``fd_ratio``
    Frechet distance on standardised clip features, generated vs held-out,
    training vs held-out, and their ratio (1: as close as real clips are);
``fd_ratio_train_recon``
    the same ratio for the model's reconstructions of its training clips:
    what a prior that drew exactly the training codes would reach, so the
    part of ``fd_ratio`` above it is the prior's and the rest the decoder's
    (``evaluate_model`` only);
``ndb_k``, ``ndb_k_floor``
    NDB/K of generated and of held-out clips against k-means bins of the
    training clips;
``f0_wasserstein_hz``, ``f0_median_gen_hz``, ``f0_median_data_hz``
    the f0 distribution of generated clips against the held-out clips;
``gen_share_hum_band``, ``data_share_hum_band``, ``gen_hum_f0_median_hz``
    clips whose f0 lies in the hum band, and the generated hum's median f0;
``diversity_gen``, ``diversity_data``, ``diversity_ratio``
    mean pairwise distance of standardised clip features among generated
    clips, among held-out clips, and their ratio (1: as varied as real data);
``peak_median_gen_hz``, ``peak_median_data_hz``
    median over clips of the strongest spectral line between 100 Hz and
    1 kHz (a hive's hum line; ``metrics.strongest_peak_hz``: clips with no
    line left out, NaN when none has one), generated and held-out;
``peak_wasserstein_hz``, ``peak_wasserstein_floor_hz``
    Wasserstein distance between the held-out clips' line frequencies and
    the generated clips' (the training clips', for the floor), Hz: the
    whole distribution, where a median can fall between two harmonics.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import numpy as np

from beeutils.dsp.spectral import STFTConfig

__all__ = ["HUM_BAND_HZ", "ROWS", "TABLE_ROWS", "table_rows", "evaluate_model", "evaluate_waves",
           "realisation_metrics", "realisations",
           "reconstruction_metrics", "generation_metrics", "hum_reconstruction_metrics",
           "format_value", "comparison_table", "band_share", "kind_share"]

#: Fundamental-frequency band of colony hum (Hz): the synthetic hum's 200-260 Hz
#: plus a margin for the widened partials and YIN's resolution.
HUM_BAND_HZ = (190.0, 270.0)


def _in_band(f0: np.ndarray, band: tuple[float, float]) -> np.ndarray:
    return np.isfinite(f0) & (f0 >= band[0]) & (f0 <= band[1])


def hum_reconstruction_metrics(
    recon: np.ndarray, labels: Sequence[str], metas: Sequence[Mapping[str, Any]], sr: int,
    hum_band: tuple[float, float] = HUM_BAND_HZ,
) -> dict[str, float]:
    """Does the reconstruction of a held-out hum clip keep its pitch?

    Args:
        recon: ``(n, samples)`` reconstructed audio.
        labels: kind of each clip (``"hum"`` rows are measured).
        metas: synthesis metadata of each clip (``f0_hz``).
        sr: sample rate in Hz.
        hum_band: f0 band in Hz.

    Returns:
        ``hum_recon_f0_in_band`` (share) and ``hum_recon_f0_error_hz``
        (median absolute error); NaN for both when there is no hum clip.
    """
    from beeutils.evaluation import metrics

    hum = np.asarray(labels) == "hum"
    if not hum.any():
        return {"hum_recon_f0_in_band": float("nan"), "hum_recon_f0_error_hz": float("nan")}
    f0_rec = np.atleast_1d(metrics.fundamental_frequency(recon[hum], sr))
    f0_true = np.array([m["f0_hz"] for m, h in zip(metas, hum) if h], dtype=float)
    return {"hum_recon_f0_in_band": float(np.mean(_in_band(f0_rec, hum_band))),
            "hum_recon_f0_error_hz": float(np.nanmedian(np.abs(f0_rec - f0_true)))}


def generation_metrics(
    train_ref: np.ndarray, test_ref: np.ndarray, generated: np.ndarray, sr: int,
    seed: int = 0, hum_band: tuple[float, float] = HUM_BAND_HZ, fmax: float | None = None,
    train_recon: np.ndarray | None = None,
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """How close a set of generated clips is to real ones.

    Args:
        train_ref: ``(k, samples)`` training clips (k-means bins, FD floor).
        test_ref: ``(n, samples)`` held-out clips.
        generated: ``(m, samples)`` generated clips.
        sr: sample rate in Hz.
        seed: k-means seed.
        hum_band: f0 band of hum in Hz.
        fmax: top of the band the clips were limited to, in Hz (features
            ignore what lies above).
        train_recon: ``(k, samples)`` the model's reconstructions of
            ``train_ref`` (adds ``fd_ratio_train_recon``), or ``None``.

    Returns:
        ``(metrics, f0s)``: the generation keys listed in the module
        docstring, and the f0 arrays ``f0_generated``, ``f0_data`` (Hz, NaN
        where unvoiced) for plotting.
    """
    from beeutils.evaluation import metrics

    feats = [metrics.feature_embedding(w, sr, fmax=fmax) for w in (train_ref, test_ref, generated)]
    f_train, f_test, f_gen = metrics.standardize_features(*feats)
    out: dict[str, float] = {"n_generated": int(len(generated))}
    out["fd_gen"] = metrics.frechet_distance(f_gen, f_test)
    out["fd_floor"] = metrics.frechet_distance(f_train, f_test)
    out["fd_ratio"] = out["fd_gen"] / max(out["fd_floor"], 1e-12)
    if train_recon is not None:
        f_recon = metrics.standardize_features(
            feats[0], metrics.feature_embedding(train_recon, sr, fmax=fmax))[1]
        out["fd_ratio_train_recon"] = (metrics.frechet_distance(f_recon, f_test)
                                       / max(out["fd_floor"], 1e-12))
    k = min(50, max(2, len(f_train) // 10))
    _, out["ndb_bins"], out["ndb_k"] = metrics.ndb_k(feats[0], feats[2], k=k, seed=seed)
    _, _, out["ndb_k_floor"] = metrics.ndb_k(feats[0], feats[1], k=k, seed=seed)

    f0_gen = np.atleast_1d(metrics.fundamental_frequency(generated, sr))
    f0_data = np.atleast_1d(metrics.fundamental_frequency(test_ref, sr))
    dist = metrics.f0_distribution_distance(f0_data, f0_gen)
    out["f0_wasserstein_hz"] = dist["wasserstein_hz"]
    out["f0_median_gen_hz"] = dist["median_b_hz"]
    out["f0_median_data_hz"] = dist["median_a_hz"]
    out["gen_share_hum_band"] = float(np.mean(_in_band(f0_gen, hum_band)))
    out["data_share_hum_band"] = float(np.mean(_in_band(f0_data, hum_band)))
    gen_hum = f0_gen[_in_band(f0_gen, hum_band)]
    out["gen_hum_f0_median_hz"] = float(np.median(gen_hum)) if gen_hum.size else float("nan")
    # Variety: a generator that repeats itself is close to the data on
    # average and far from it in spread.
    if len(f_gen) > 1 and len(f_test) > 1:
        out["diversity_gen"] = metrics.mean_pairwise_distance(f_gen)
        out["diversity_data"] = metrics.mean_pairwise_distance(f_test)
        out["diversity_ratio"] = out["diversity_gen"] / max(out["diversity_data"], 1e-12)
    # A hive's signature: the strongest line between 100 Hz and 1 kHz.
    top = min(1000.0, sr / 2 if fmax is None else fmax)
    peak_gen = metrics.strongest_peak_hz(generated, sr, 100.0, top)
    peak_data = metrics.strongest_peak_hz(test_ref, sr, 100.0, top)
    peak_train = metrics.strongest_peak_hz(train_ref, sr, 100.0, top)
    # Where each clip's line lies, as a distribution: a hive whose segments
    # put their line on either of two harmonics has a median between them.
    out["peak_wasserstein_hz"] = _line_distance(peak_data, peak_gen)
    out["peak_wasserstein_floor_hz"] = _line_distance(peak_data, peak_train)
    out["peak_median_gen_hz"] = float(np.nanmedian(peak_gen)) if np.isfinite(peak_gen).any() \
        else float("nan")
    out["peak_median_data_hz"] = float(np.nanmedian(peak_data)) if np.isfinite(peak_data).any() \
        else float("nan")
    return out, {"f0_generated": f0_gen, "f0_data": f0_data}


def _line_distance(lines_a: np.ndarray, lines_b: np.ndarray) -> float:
    """Wasserstein distance (Hz) between two sets of line frequencies, clips
    without a line left out; NaN when a set has none."""
    from beeutils.evaluation import metrics

    if not (np.isfinite(lines_a).any() and np.isfinite(lines_b).any()):
        return float("nan")
    return metrics.f0_distribution_distance(lines_a, lines_b)["wasserstein_hz"]


def reconstruction_metrics(
    config: STFTConfig, original: np.ndarray, recon: np.ndarray, labels: Sequence[str],
    metas: Sequence[Mapping[str, Any]], hum_band: tuple[float, float] = HUM_BAND_HZ,
) -> dict[str, float]:
    """How close audio ``recon`` is to ``original``, in the model band.

    Both are low-passed at the crop of ``config``; the reference keeps its
    true phase.  Used for a model's reconstructions and for a
    representation's own round trip (its floor).

    Args:
        config: STFT settings; its crop is the band.
        original: ``(n, samples)`` clips, full band.
        recon: ``(n, samples)`` audio for them.
        labels: kind of each clip; metas: metadata (``f0_hz``) of each clip.
        hum_band: hum f0 band in Hz.

    Returns:
        ``recon_snr_db``, ``recon_sc_db``, ``recon_lsd_db``, ``recon_mrstft``,
        ``hum_recon_f0_in_band``, ``hum_recon_f0_error_hz``.
    """
    from beeutils.dsp.spectral import lowpass_reference

    return _band_reconstruction_metrics(config, original, lowpass_reference(original, config),
                                        lowpass_reference(recon, config), labels, metas,
                                        hum_band)


def realisation_metrics(
    config: STFTConfig, original: np.ndarray, labels: Sequence[str],
    metas: Sequence[Mapping[str, Any]],
) -> dict[str, float]:
    """``reconstruction_metrics`` of synthetic clips against other
    realisations of their own recipes: what a model would score that had
    learnt everything about each clip but its noise.

    Each clip is made again by ``synth.resynthesize`` (seed: the clip's seed
    + 1): the same kind, levels, f0 track, pulse times and hive body, other
    noise samples and starting phases.  No code of a few numbers holds a
    clip's noise, and in noise-only bins two realisations differ by several
    dB, so this, not the representation's floor, is the reach of a
    generative model on the log-spectral distance.

    Args:
        config: STFT settings; its crop is the band.
        original: ``(n, samples)`` synthetic clips, full band.
        labels: kind of each clip; metas: their synthesis metadata
            (``synth.synthesize``'s, with ``params`` and ``seed``).

    Returns:
        The keys of ``reconstruction_metrics``.

    Raises:
        ValueError: no clips.
    """
    return reconstruction_metrics(config, original, realisations(metas), labels, metas)


def realisations(metas: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """``(n, samples)`` another realisation of each synthetic clip's recipe
    (``synth.resynthesize`` with the clip's seed + 1), as
    ``realisation_metrics`` measures them.

    Raises:
        ValueError: no clips.
    """
    from beeutils.data import synth

    if not len(metas):
        raise ValueError("no clips to measure")
    return np.stack([synth.resynthesize(dict(meta), seed=int(meta["seed"]) + 1)[0]
                     for meta in metas])


def _band_reconstruction_metrics(
    config: STFTConfig, original: np.ndarray, lowpass: np.ndarray, recon_band: np.ndarray,
    labels: Sequence[str], metas: Sequence[Mapping[str, Any]], hum_band: tuple[float, float],
) -> dict[str, float]:
    """``reconstruction_metrics`` on clips already low-passed to the band
    (``lowpass`` of ``original``, ``recon_band`` of the reconstruction)."""
    from beeutils.dsp.spectral import magnitudes
    from beeutils.evaluation import metrics

    true_mag, recon_mag = magnitudes(original, config), magnitudes(recon_band, config)
    out = {
        "recon_snr_db": float(np.mean(metrics.snr_db(lowpass, recon_band))),
        "recon_sc_db": float(np.mean(metrics.spectral_convergence_db(true_mag, recon_mag))),
        "recon_lsd_db": float(np.mean(metrics.log_spectral_distance(true_mag, recon_mag))),
        "recon_mrstft": float(metrics.multi_resolution_stft_distance(lowpass, recon_band,
                                                                     config.sr)),
    }
    out.update(hum_reconstruction_metrics(recon_band, labels, metas, config.sr, hum_band))
    return out


def evaluate_waves(
    *,
    config: STFTConfig,
    original: np.ndarray,
    recon: np.ndarray,
    generated: np.ndarray,
    train_waves: np.ndarray,
    labels: Sequence[str],
    metas: Sequence[Mapping[str, Any]],
    intended_gen_mag: np.ndarray | None = None,
    seed: int = 0,
    hum_band: tuple[float, float] = HUM_BAND_HZ,
    return_waves: bool = False,
    train_recon: np.ndarray | None = None,
) -> dict[str, Any] | tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Every metric of the series, from the audio a model produced.

    Args:
        config: STFT settings; its crop is the band everything is measured in.
        original: ``(n, samples)`` held-out clips, full band.
        recon: ``(n, samples)`` the model's audio for ``original``.
        generated: ``(m, samples)`` the model's prior samples as audio.
        train_waves: ``(k, samples)`` training clips.
        labels: kind of each held-out clip.
        metas: synthesis metadata of each held-out clip (``f0_hz``).
        intended_gen_mag: ``(m, freq, time)`` cropped magnitudes the model
            meant for ``generated``; ``None`` when it wrote audio directly.
        seed: seeds k-means.
        hum_band: hum f0 band in Hz.
        return_waves: also return the band-limited waveforms.
        train_recon: ``(k, samples)`` the model's audio for ``train_waves``
            (adds ``fd_ratio_train_recon``), or ``None``.

    Returns:
        The metrics dict (keys in the module docstring); with
        ``return_waves``, ``(metrics, waves)`` with ``lowpass``, ``recon``,
        ``generated`` (band-limited, ``(n or m, samples)``), ``f0_generated``
        and ``f0_data``.
    """
    from beeutils.evaluation import metrics
    from beeutils.dsp.spectral import lowpass_reference, magnitudes

    original, recon, generated = (np.asarray(w, dtype=np.float32)
                                  for w in (original, recon, generated))
    if recon.shape != original.shape:
        raise ValueError(f"recon {recon.shape} must match original {original.shape}")
    if generated.ndim != 2 or generated.shape[-1] != original.shape[-1]:
        raise ValueError(f"generated must be (m, {original.shape[-1]}), got {generated.shape}")
    if len(labels) != len(original) or len(metas) != len(original):
        raise ValueError("labels and metas need one entry per held-out clip")
    sr = config.sr
    start = time.perf_counter()
    lowpass = lowpass_reference(original, config)
    recon_band = lowpass_reference(recon, config)
    gen_band = lowpass_reference(generated, config)

    out: dict[str, Any] = {"n_test": int(len(original))}
    out.update(_band_reconstruction_metrics(config, original, lowpass, recon_band, labels,
                                            metas, hum_band))

    if intended_gen_mag is None:
        out["consistency_sc_db"] = float("nan")
    else:
        produced = magnitudes(gen_band, config)
        out["consistency_sc_db"] = float(np.mean(
            metrics.spectral_convergence_db(np.asarray(intended_gen_mag), produced)))

    top_hz = float(config.frequencies(cropped=True)[-1]) if config.n_freq_keep else None
    gen, f0s = generation_metrics(
        lowpass_reference(train_waves, config), lowpass, gen_band, sr, seed, hum_band,
        fmax=top_hz,
        train_recon=None if train_recon is None else lowpass_reference(train_recon, config))
    out.update(gen)
    out["eval_seconds"] = time.perf_counter() - start
    if not return_waves:
        return out
    return out, {"lowpass": lowpass, "recon": recon_band, "generated": gen_band, **f0s}


def evaluate_model(model: Any, corpus: Any, n_generated: int = 256, seed: int = 0,
                   split: str = "test", return_waves: bool = False, prior: Any = None,
                   judge: Any = None, texture: bool = False
                   ) -> dict[str, Any] | tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``evaluate_waves`` on a trained ``AudioModel``, plus its costs and floor.

    Reconstructions of the held-out ``split`` (with their kinds for a
    conditional model) and ``n_generated`` prior samples (a conditional
    model's cycle through the kinds in equal numbers) are measured from
    audio, like every other approach.

    Adds to the keys of ``evaluate_waves``:

    - ``fd_ratio_train_recon`` (module docstring): the training clips'
      reconstructions, one more decoding of the training split;
    - ``floor_snr_db``, ``floor_sc_db``, ``floor_lsd_db``, ``floor_mrstft``:
      the same reconstruction metrics for the representation's own round
      trip, no model involved (Griffin-Lim on the true magnitudes for a
      magnitude encoder: the error of the missing phase alone);
    - ``generate_x_realtime``: seconds of audio generated per second of
      computing, decoding included;
    - ``band_share_min``, ``band_share_per_kind``: the share of the
      held-out clips' energy inside the model band (0 to
      ``STFTConfig.band_top_hz``), for the worst kind and per kind: what
      the model could render at best (``metrics.band_energy_share``);
    - ``gen_kind_share``, ``data_kind_share``, ``gen_kind_share_error``: the
      share of generated clips that a kind classifier (trained on the
      training clips as the representation renders them,
      ``conditional.fit_kind_classifier``) assigns to each kind, the
      training split's share of each kind, and the largest absolute
      difference: are the kinds generated as often as the data hold them?
    - ``eval_seconds``: the whole evaluation, reconstruction and decoding
      included;
    - ``train_seconds``, ``train_examples_per_s``, ``train_steps``,
      ``nonfinite_steps`` (0 when training stayed finite), when the model
      was trained in this session.

    Args:
        model: an ``AudioModel``.
        corpus: the corpus it was trained on.
        n_generated: prior samples.
        seed: prior latents and k-means.
        split: held-out split.
        return_waves: also return the audio (``original``, ``floor``, and
            the band-limited ``lowpass``, ``recon``, ``generated``) and
            ``f0_generated``, ``f0_data``.
        prior: where the latents come from, as ``AudioModel.prior_latents``
            takes it: ``None`` (the model's own), ``"normal"`` or ``"gmm"``.
        judge: the fitted kind classifier behind ``gen_kind_share``
            (``None``: fitted here), so a caller that also runs
            ``conditional.evaluate_conditional`` fits it once.
        texture: render the prior samples with a noise's texture
            (``AudioModel.decode``; magnitude model only); reconstructions
            stay the decoder's average, the closest guess of a given clip.
    """
    began = time.perf_counter()
    original = corpus.waves(split)
    if not len(original):
        raise ValueError(f"the {split!r} split is empty: split by file, a corpus needs at "
                         "least 3 recordings of each label for train, validation and test")
    labels, metas = list(corpus.labels(split)), list(corpus.metas(split))
    recon = model.reconstruct(original, labels if model.conditional else None)
    kinds = ([model.kinds[i % len(model.kinds)] for i in range(n_generated)]
             if model.conditional else None)
    # A per-kind mixture prior draws each clip's latent from its kind's codes.
    z = model.prior_latents(n_generated, seed, kinds, prior=prior)
    start = time.perf_counter()
    generated = model.decode(z, kinds, texture)
    gen_seconds = time.perf_counter() - start
    train_waves = corpus.waves("train")
    # The training codes decoded: the prior's best case (``fd_ratio_train_recon``).
    train_recon = model.reconstruct(
        train_waves, list(corpus.labels("train")) if model.conditional else None)
    metrics, waves = evaluate_waves(
        config=model.config.stft, original=original, recon=recon, generated=generated,
        train_waves=train_waves, labels=labels, metas=metas,
        intended_gen_mag=model.intended_magnitudes(z, kinds, texture), seed=seed,
        return_waves=True,
        train_recon=train_recon)
    floor = model.representation.round_trip(original)
    floor_metrics = reconstruction_metrics(model.config.stft, original, floor, labels, metas)
    metrics.update({"floor" + k[len("recon"):]: v for k, v in floor_metrics.items()
                    if k.startswith("recon_")})
    metrics["generate_x_realtime"] = (n_generated * model.n_samples / model.sr
                                      / max(gen_seconds, 1e-9))
    metrics.update(band_share(model.config.stft, original, labels))
    metrics.update(kind_share(model, corpus, generated, seed, judge))
    metrics["eval_seconds"] = time.perf_counter() - began  # decoding included
    result = model.train_result
    if result is not None:
        n_train = len(corpus.labels("train"))
        metrics["train_seconds"] = float(result.seconds)
        metrics["train_examples_per_s"] = n_train * result.epochs / max(result.seconds, 1e-9)
        metrics["nonfinite_steps"] = 0 if result.finite else 1
        metrics["train_steps"] = int(result.steps)
    if not return_waves:
        return metrics
    return metrics, {"original": original, "floor": floor, **waves}


def band_share(config: STFTConfig, waves: np.ndarray, labels: Sequence[str]) -> dict[str, Any]:
    """How much of each kind's energy lies inside the band of ``config``.

    Returns:
        ``band_share_per_kind`` (kind -> mean share over its clips) and
        ``band_share_min`` (the worst kind's).
    """
    from beeutils.evaluation.metrics import band_energy_share

    shares = band_energy_share(waves, config.sr, config.band_top_hz)
    labels = np.asarray(list(labels))
    per_kind = {str(k): float(np.nanmean(shares[labels == k])) for k in sorted(set(labels))}
    return {"band_share_per_kind": per_kind, "band_share_min": float(min(per_kind.values()))}


def kind_share(model: Any, corpus: Any, generated: np.ndarray, seed: int = 0,
               judge: Any = None) -> dict[str, Any]:
    """The kinds of ``generated`` clips as a classifier judges them, against
    the kinds of the training split (keys in ``evaluate_model``); NaN error
    and no judged shares for a corpus of one kind.  ``judge``: a fitted
    ``KindClassifier`` to use (``None``: ``conditional.fit_kind_classifier``)."""
    from beeutils.evaluation.conditional import fit_kind_classifier

    labels = list(corpus.labels("train"))
    kinds = sorted(set(labels))
    if len(kinds) < 2:  # nothing to tell apart: every clip is of the one kind
        return {"gen_kind_share": {}, "data_kind_share": {k: 1.0 for k in kinds},
                "gen_kind_share_error": float("nan")}
    if judge is None:
        judge = fit_kind_classifier(model, corpus, seed=seed)
    predicted = list(judge.predict(generated))
    gen = {k: predicted.count(k) / max(len(predicted), 1) for k in kinds}
    data = {k: labels.count(k) / len(labels) for k in kinds}
    return {"gen_kind_share": gen, "data_kind_share": data,
            "gen_kind_share_error": float(max(abs(gen[k] - data[k]) for k in kinds))}


def _metric_rows() -> dict[str, tuple[str, str, bool | None]]:
    """``metrics.csv``, the one vocabulary of metric keys: key -> (description,
    unit, lower is better; ``None``: nearer the real data is better)."""
    better = {"lower": True, "higher": False, "nearer the data": None}
    text = resources.files(__package__).joinpath("metrics.csv").read_text()
    return {row["key"]: (row["description"], row["unit"], better[row["better"]])
            for row in csv.DictReader(io.StringIO(text))}


#: Every metric a table can show: key -> (description, unit, lower is better;
#: ``None``: nearer the real data is better), read from ``metrics.csv``.
ROWS = _metric_rows()


def table_rows(*keys: str) -> tuple[tuple[str, str, str, bool | None], ...]:
    """``(key, description, unit, lower is better)`` rows for ``comparison_table``."""
    unknown = [k for k in keys if k not in ROWS]
    if unknown:
        raise KeyError(f"no table row for {unknown}")
    return tuple((k, *ROWS[k]) for k in keys)


#: The default rows of ``comparison_table``.
TABLE_ROWS = table_rows("recon_snr_db", "recon_lsd_db", "recon_sc_db", "floor_lsd_db",
                        "recon_mrstft", "hum_recon_f0_error_hz", "consistency_sc_db",
                        "fd_ratio", "ndb_k", "f0_wasserstein_hz", "gen_share_hum_band",
                        "train_seconds")


def format_value(value: Any) -> str:
    """A table cell: integers as they are, floats to 3 decimals (1 from 10
    up), ``n/a`` for NaN or inf, empty for None.

    A summary over seeds, ``{"mean": m, "sd": s, "values": [...]}`` (as
    ``bench.aggregate_runs`` writes), reads ``m ± s``; just ``m`` when ``s``
    is None (one seed); the count itself when the values are integers that
    all agree (e.g. ``0`` non-finite steps in every seed); ``n/a`` when the
    mean is missing or NaN.
    """
    if isinstance(value, Mapping):
        values = list(value.get("values") or [])
        if values and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                          for v in values) and len(set(values)) == 1:
            return str(int(values[0]))
        mean, sd = value.get("mean"), value.get("sd")
        if mean is None or not np.isfinite(float(mean)):
            return "n/a"
        if sd is None or not np.isfinite(float(sd)):
            return format_value(mean)
        # The sd to the mean's decimals: "12.7 ± 0.3", not "12.7 ± 0.282".
        digits = 3 if abs(float(mean)) < 10 else 1
        return f"{float(mean):.{digits}f} ± {float(sd):.{digits}f}"
    if value is None:
        return ""
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    if not np.isfinite(value):
        return "n/a"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def comparison_table(results: Mapping[str, Mapping[str, Any]],
                     rows: Sequence[tuple[str, str, str, bool | None]] = TABLE_ROWS) -> str:
    """Approaches side by side as a Markdown table.

    Args:
        results: approach name -> its ``evaluate_waves`` dict (plus
            ``train_seconds`` and anything else named in ``rows``); a value
            may be a summary over seeds (``format_value``: ``mean ± sd``).
        rows: ``(key, description, unit, lower is better)``; a row that no
            approach has a value for (missing, NaN, or a summary over seeds
            without a mean) is left out.

    Returns:
        Markdown text, one column per approach, ``n/a`` where a metric does
        not apply (NaN).
    """
    if not results:
        raise ValueError("no results to tabulate")
    names = list(results)
    head = "| metric | unit | " + " | ".join(names) + " | better |"
    lines = [head, "|---|---|" + "---:|" * len(names) + "---|"]
    for key, text, unit, lower in rows:
        cells = [format_value(results[n].get(key)) for n in names]
        if all(cell in ("", "n/a") for cell in cells):
            continue
        cells = " | ".join(cells)
        better = "lower" if lower else ("higher" if lower is False else "near real data")
        lines.append(f"| {text} | {unit} | {cells} | {better} |")
    return "\n".join(lines)
