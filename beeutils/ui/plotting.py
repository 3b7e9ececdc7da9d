"""Spectrogram, waveform and loss plots with real units on every axis.

Spectrograms are ``(freq, time)`` arrays, as everywhere in the series, and are
drawn with frequency running UP (row 0, 0 Hz, at the bottom), time running
right, the y axis in Hz and the x axis in seconds.  Only matplotlib is used;
everything works under the headless ``Agg`` backend.

The functions draw into ``ax`` when given one and otherwise open a new pyplot
figure, so that a notebook cell shows the plot without further calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

from beeutils.dsp import spectral
from beeutils.dsp.spectral import STFTConfig

Scale = Literal["linear", "log", "mel"]

#: Hz values used as tick marks on log and mel frequency axes.
_NICE_HZ = (32, 63, 125, 250, 500, 1000, 2000, 4000, 8000, 16000)


def _new_axes() -> Any:
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    return ax


def _as_freq_time(spec: Any) -> np.ndarray:
    """``spec`` as a 2-D ``(freq, time)`` array; accepts ``(1, freq, time)``
    and Keras-style ``(freq, time, 1)``."""
    arr = np.asarray(spec)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    elif arr.ndim == 3 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 2:
        raise ValueError(
            f"expected one spectrogram of shape (freq, time), got shape {np.shape(spec)}"
        )
    return arr


def _resolve_rows(n_rows: int, config: STFTConfig, cropped: bool | None) -> bool:
    """Whether a spectrogram with ``n_rows`` rows is the cropped one; raises a
    readable error when the rows fit neither the full nor the cropped STFT."""
    full, kept = config.n_bins, config.n_freq_keep
    if cropped is None:
        if n_rows == full:
            return False
        if kept is not None and n_rows == kept:
            return True
    else:
        expected = kept if (cropped and kept is not None) else full
        if n_rows == expected:
            return bool(cropped and kept is not None)
    hint = f"{full} (all bins of n_fft={config.n_fft})"
    if kept is not None:
        hint += f" or {kept} (the cropped n_freq_keep)"
    raise ValueError(
        f"the spectrogram has {n_rows} rows but this STFTConfig gives {hint} frequency "
        "bins. Spectrograms are (freq, time): if the first axis is time, pass spec.T; "
        "otherwise pass the STFTConfig that made it."
    )


def _mel_bank(config: STFTConfig, n_mels: int, top_hz: float, n_rows: int) -> np.ndarray:
    """Mel filter bank ``(bands, n_rows)`` from 0 to ``top_hz`` Hz.

    With a coarse STFT (short window), the lowest mel bands are narrower than
    one bin and would stay empty (black stripes); ``n_mels`` is then lowered
    until every band holds a bin.  A cropped spectrogram has only the lowest
    ``n_rows`` bins; ``top_hz`` at or below its top keeps the weights above
    zero, so slicing the bank is exact.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # librosa's "empty filters"
        while True:
            bank = spectral.mel_filterbank(config, n_mels=n_mels, fmax=top_hz)[:, :n_rows]
            if n_mels <= 1 or bank.sum(axis=1).min() > 0:
                return bank
            n_mels = max(1, int(n_mels * 0.8))


def _mel_axis(ax: Any) -> None:
    """Put the y axis on the (Slaney) mel scale, labelled in Hz."""
    import librosa
    from matplotlib import ticker

    ax.set_yscale(
        "function",
        functions=(lambda hz: librosa.hz_to_mel(np.asarray(hz, dtype=float)),
                   lambda mel: librosa.mel_to_hz(np.asarray(mel, dtype=float))),
    )
    # the Slaney mel scale is linear below 1 kHz: ticks below 250 Hz would crowd
    ax.yaxis.set_major_locator(ticker.FixedLocator((0, 250, 500) + _NICE_HZ[5:]))
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_locator(ticker.NullLocator())


def _log_axis(ax: Any) -> None:
    """Log y axis with plain Hz tick labels (125, 250, ... rather than 10^2)."""
    from matplotlib import ticker

    ax.set_yscale("log")
    ax.yaxis.set_major_locator(ticker.FixedLocator(_NICE_HZ))
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())


def show_spectrogram(
    spec: Any,
    config: STFTConfig,
    ax: Any = None,
    *,
    db: bool = True,
    input_db: bool = False,
    floor_db: float = -80.0,
    ref: float | Literal["max"] = "max",
    scale: Scale = "linear",
    title: str | None = None,
    cropped: bool | None = None,
    colorbar: bool = True,
    n_mels: int = 64,
    fmax: float | None = None,
    fmin: float | None = None,
    cmap: str | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
) -> Any:
    """Draw a spectrogram with frequency upward, Hz on y and seconds on x.

    Args:
        spec: complex STFT or magnitude, shape ``(freq, time)`` (``(freq, time,
            1)`` and ``(1, freq, time)`` are accepted too).  ``freq`` is
            ``config.n_bins`` (full) or ``config.n_freq_keep`` (cropped).
        config: the ``STFTConfig`` that made ``spec``; gives the Hz and seconds.
        ax: matplotlib axes to draw into (default: a new figure).
        db: show ``20 log10`` of the magnitude (floored at ``floor_db``);
            ``False`` shows the linear magnitude.
        input_db: ``spec`` already holds dB values (e.g. a model's output);
            draw it as it is, with a dB colour bar.
        floor_db: lowest dB shown (relative to ``ref``); quieter bins sit on it.
        ref: dB reference amplitude, or ``"max"`` for 0 dB at the loudest bin.
        scale: ``"linear"`` Hz axis, ``"log"`` Hz axis (the 0 Hz bin is left
            out: a log axis cannot show it), or ``"mel"``: ``n_mels`` mel bands
            on a mel axis whose ticks are labelled in Hz.
        title: axes title.
        cropped: whether ``spec`` holds only the lowest ``config.n_freq_keep``
            bins; ``None`` decides from the number of rows.
        colorbar: add a colour bar labelled ``dB`` (or ``magnitude``).
        n_mels: number of mel bands for ``scale="mel"`` (lowered when the
            STFT's bins are too coarse to fill that many bands).
        fmax: highest frequency shown in Hz (default: the top of ``spec``);
            for ``scale="mel"`` the mel bands span 0 to ``fmax``.
        fmin: lowest frequency shown in Hz (default: 0, or the lowest bin on
            log and mel axes).
        cmap, vmin, vmax: passed to ``imshow`` (colour limits default to
            ``floor_db`` .. the loudest value in dB).

    Returns:
        The artist: an ``AxesImage`` (linear and log; ``get_extent()`` in seconds
        and Hz) or a ``QuadMesh`` (mel).  ``artist.get_array()`` holds the
        values shown, ``(rows, time)``; ``artist.colorbar`` is its colour bar.

    Raises:
        ValueError: ``spec`` is not 2-D, its rows fit neither the full nor the
            cropped STFT of ``config`` (for instance a time-by-frequency array),
            or it holds negative magnitudes while ``db=True``.
    """
    if scale not in ("linear", "log", "mel"):
        raise ValueError(f"scale must be 'linear', 'log' or 'mel', got {scale!r}")
    arr = _as_freq_time(spec)
    is_cropped = _resolve_rows(arr.shape[0], config, cropped)
    freqs = config.frequencies(cropped=is_cropped)
    times = config.times(arr.shape[1])

    # 1. Values to show: magnitudes (or dB given), then mel bands, then dB.
    if input_db:
        values = arr.astype(np.float64)
        mag = spectral.db_to_amplitude(values) if scale == "mel" else None
    else:
        mag = np.abs(arr) if np.iscomplexobj(arr) else arr.astype(np.float64)
        if np.nanmin(mag, initial=0.0) < 0:
            raise ValueError(
                "the spectrogram holds negative values: magnitudes cannot be negative. "
                "If it is already in dB, pass input_db=True."
            )
    if scale == "mel":
        top_hz = min(float(fmax), float(freqs[-1])) if fmax else float(freqs[-1])
        bank = _mel_bank(config, n_mels, top_hz, arr.shape[0])
        n_mels = bank.shape[0]
        mag = np.sqrt(bank @ (np.asarray(mag, dtype=np.float64) ** 2))
        mel_points = spectral.mel_frequencies(config, n_mels=n_mels, fmax=top_hz)
        import librosa

        mels = librosa.hz_to_mel(np.concatenate([[0.0], mel_points, [top_hz]]))
        step = mels[1] - mels[0]
        # band i is centred on its filter's peak; edges half a mel step away
        lo_hz, hi_hz = librosa.mel_to_hz([mels[1] - step / 2, mels[-2] + step / 2])
        y_extent = (float(lo_hz), float(hi_hz))
    if input_db and scale != "mel":
        shown, unit = values, "dB"
    elif db or input_db:
        shown = spectral.amplitude_to_db(mag, floor_db=floor_db, ref=ref)
        unit = "dB re max" if ref == "max" else "dB"
    else:
        shown, unit = np.asarray(mag, dtype=np.float64), "magnitude"

    df = config.bin_hz
    if scale == "linear":
        y_extent = (freqs[0] - df / 2, freqs[-1] + df / 2)
    elif scale == "log":
        shown = shown[1:]  # drop the 0 Hz row: log(0) has no place on the axis
        y_extent = (freqs[1] - df / 2, freqs[-1] + df / 2)
    dt = config.frame_seconds
    extent = (times[0] - dt / 2, times[-1] + dt / 2, *y_extent)

    # 2. Draw.  imshow resamples correctly on a log axis but not on matplotlib's
    # "function" scale, so the (few) mel bands are drawn as a mesh instead.
    ax = _new_axes() if ax is None else ax
    finite = shown[np.isfinite(shown)]
    if db or input_db:
        lo = floor_db if not input_db else (float(finite.min()) if finite.size else floor_db)
        hi = float(finite.max()) if finite.size else 0.0
        vmin = lo if vmin is None else vmin
        vmax = (hi if hi > lo else lo + 1.0) if vmax is None else vmax
    if scale == "mel":
        time_edges = np.linspace(extent[0], extent[1], shown.shape[1] + 1)
        mel_edges = np.linspace(mels[1] - step / 2, mels[-2] + step / 2, shown.shape[0] + 1)
        image = ax.pcolormesh(
            time_edges, librosa.mel_to_hz(mel_edges), shown,
            shading="flat", cmap=cmap, vmin=vmin, vmax=vmax, rasterized=True,
        )
    else:
        image = ax.imshow(
            shown,
            origin="lower",  # row 0 (0 Hz) at the bottom: high pitch up
            aspect="auto",
            interpolation="nearest",
            extent=extent,
            cmap=cmap,
            vmin=vmin,
            vmax=vmax,
        )
    if scale == "log":
        _log_axis(ax)
    elif scale == "mel":
        _mel_axis(ax)
    bottom = 0.0 if scale == "linear" else y_extent[0]
    bottom = bottom if fmin is None else max(float(fmin), bottom)
    top = y_extent[1] if fmax is None else min(float(fmax), y_extent[1])
    ax.set_ylim(bottom, top)
    ax.set_xlim(extent[0], extent[1])
    ax.set_xlabel("Time (s)")
    ax.set_ylabel("Frequency (Hz)" if scale != "mel" else "Frequency (Hz, mel scale)")
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label=unit, pad=0.01)
    return image


def plot_waveform(wave: Any, sr: int, ax: Any = None, title: str | None = None,
                  **line_kwargs: Any) -> Any:
    """Plot a waveform against time.

    Args:
        wave: samples, shape ``(samples,)``.
        sr: sample rate in Hz (sets the seconds on the x axis).
        ax: axes to draw into (default: a new figure).
        title: axes title.
        **line_kwargs: passed to ``ax.plot`` (e.g. ``lw``, ``color``).

    Returns:
        The axes, x axis "Time (s)", y axis "Amplitude".
    """
    wave = np.asarray(wave)
    if wave.ndim != 1:
        raise ValueError(f"expected a 1-D waveform (samples,), got shape {wave.shape}")
    ax = _new_axes() if ax is None else ax
    t = np.arange(wave.size) / float(sr)
    line_kwargs.setdefault("lw", 0.6)
    ax.plot(t, wave, **line_kwargs)
    ax.set_xlim(0.0, max(wave.size / float(sr), 1.0 / sr))
    ax.set_xlabel("Time (s)")
    ax.set_ylabel("Amplitude")
    if title:
        ax.set_title(title)
    return ax


def _history_dict(history: Any) -> tuple[dict[str, np.ndarray], str]:
    """Loss curves as float arrays and the x-axis label for them."""
    if hasattr(history, "history") and isinstance(history.history, Mapping):
        logs, xlabel = history.history, "Epoch"  # keras.callbacks.History
    elif isinstance(history, Mapping):
        logs, xlabel = history, "Step"
    else:
        raise TypeError(
            f"expected a Keras History or a dict of lists, got {type(history).__name__}"
        )
    curves = {}
    for key, values in logs.items():
        arr = np.asarray(values, dtype=np.float64).reshape(-1)
        if arr.size:
            curves[str(key)] = arr
    return curves, xlabel


def plot_losses(history: Any, ax: Any = None, keys: Sequence[str] | None = None,
                logy: bool = False, title: str | None = None,
                xlabel: str | None = None) -> Any:
    """Plot training curves, marking where a curve first goes inf or NaN.

    Args:
        history: a ``keras.callbacks.History`` (x axis "Epoch") or a dict of
            lists, one value per step (x axis "Step").  x starts at 1.
        ax: axes to draw into (default: a new figure).
        keys: curves to draw (default: all).
        logy: logarithmic y axis (symmetric-log when a curve is <= 0, as GAN
            losses can be).
        title: axes title.
        xlabel: overrides "Epoch"/"Step".

    Returns:
        The axes.  A curve's first non-finite value is marked with an ``x`` at
        the top of the plot and a dotted vertical line (matplotlib would
        otherwise silently leave a gap).
    """
    curves, default_xlabel = _history_dict(history)
    if keys is not None:
        missing = [k for k in keys if k not in curves]
        if missing:
            raise KeyError(f"no curve named {missing}; available: {sorted(curves)}")
        curves = {k: curves[k] for k in keys}
    ax = _new_axes() if ax is None else ax
    all_finite = np.concatenate([c[np.isfinite(c)] for c in curves.values()] or [np.zeros(0)])
    for key, values in curves.items():
        x = np.arange(1, values.size + 1)
        (line,) = ax.plot(x, values, label=key, lw=1.2)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            first = int(x[bad[0]])
            ax.axvline(first, color=line.get_color(), ls=":", lw=1)
            ax.plot([first], [1.0], marker="x", ms=8, color=line.get_color(),
                    transform=ax.get_xaxis_transform(), clip_on=False,
                    label=f"{key}: first {values[bad[0]]} at {first}")
    if logy:
        positive = all_finite.size and all_finite.min() > 0
        ax.set_yscale("log" if positive else "symlog")
    ax.set_xlabel(xlabel or default_xlabel)
    ax.set_ylabel("Loss")
    if title:
        ax.set_title(title)
    if curves:
        ax.legend(fontsize="small")
    return ax


def symlog_axis(ax: Any, bottom: float = -1e7, top: float = 1e25) -> Any:
    """A symmetric-log y axis from ``bottom`` to ``top``, a tick every three decades.

    For loss curves that span many orders of magnitude and may go negative
    (a binary cross-entropy on targets above 1): linear between -1 and 1,
    logarithmic beyond, with ticks at 0 and at +-1e3, 1e6, ...

    Args:
        ax: the axes.
        bottom: lower limit, negative (ticks down to its decade).
        top: upper limit, positive.

    Returns:
        The axes.
    """
    from matplotlib import ticker

    if not bottom < 0 < top:
        raise ValueError(f"symlog_axis needs bottom < 0 < top, got {bottom} and {top}")
    ax.set_yscale("symlog", linthresh=1.0, linscale=0.5)
    ticks = [-(10.0**k) for k in range(3, 1 + int(np.log10(-bottom)), 3)][::-1]
    ticks += [0.0] + [10.0**k for k in range(3, 1 + int(np.log10(top)), 3)]
    ax.yaxis.set_major_locator(ticker.FixedLocator(ticks))
    ax.yaxis.set_minor_locator(ticker.NullLocator())
    ax.set_ylim(bottom, top)
    return ax


def spectrogram_grid(
    specs: Sequence[Any] | Mapping[str, Any],
    config: STFTConfig | Sequence[STFTConfig],
    titles: Sequence[str] | None = None,
    ncols: int = 3,
    *,
    panel_size: tuple[float, float] = (4.2, 2.8),
    **kwargs: Any,
) -> tuple[Any, np.ndarray]:
    """Several spectrograms side by side, each with Hz and seconds axes.

    Args:
        specs: spectrograms ``(freq, time)``, or a dict title -> spectrogram.
        config: one ``STFTConfig`` for all, or one per spectrogram (to compare
            window sizes).
        titles: one title per panel (default: the dict keys, if any).
        ncols: panels per row.
        panel_size: inches per panel (width, height).
        **kwargs: passed to ``show_spectrogram`` (``scale``, ``floor_db``,
            ``fmax``...).

    Returns:
        ``(figure, axes)``, axes a flat array of length ``len(specs)``.
    """
    import matplotlib.pyplot as plt

    if isinstance(specs, Mapping):
        titles = list(specs.keys()) if titles is None else titles
        specs = list(specs.values())
    specs = list(specs)
    configs = [config] * len(specs) if isinstance(config, STFTConfig) else list(config)
    if len(configs) != len(specs):
        raise ValueError(f"{len(specs)} spectrograms but {len(configs)} configs")
    if titles is not None and len(titles) != len(specs):
        raise ValueError(f"{len(specs)} spectrograms but {len(titles)} titles")
    ncols = max(1, min(ncols, len(specs)))
    nrows = -(-len(specs) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, squeeze=False,
        figsize=(panel_size[0] * ncols, panel_size[1] * nrows),
    )
    flat = axes.ravel()
    for i, (spec, cfg) in enumerate(zip(specs, configs)):
        show_spectrogram(spec, cfg, ax=flat[i], title=titles[i] if titles else None, **kwargs)
    for extra in flat[len(specs):]:
        extra.set_visible(False)
    return fig, flat[: len(specs)]
