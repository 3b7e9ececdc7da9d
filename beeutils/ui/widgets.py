"""Interactive explorers for the notebooks (ipywidgets).

Each factory returns ``(widget, update)``.  ``update(**settings)`` is a pure
function: it computes what to show (arrays, numbers, messages) from the
settings alone, never touching a widget, so that it can be tested and reused
without a browser.  The widget only reads its controls, calls ``update`` and
draws the result.

Impossible settings (a hop longer than the window, a window longer than the
clip) never raise: ``update`` returns a state with ``ok=False`` and a readable
message, and the widget shows that message instead of a traceback.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from beeutils.ui import plotting
from beeutils.dsp import spectral
from beeutils.dsp.spectral import STFTConfig

#: FFT sizes offered by the explorer (powers of two, 4 ms to 0.5 s at 16 kHz).
N_FFT_CHOICES = (64, 128, 256, 512, 1024, 2048, 4096, 8192)
#: Hops offered; some are longer than small windows on purpose (the explorer
#: explains why that cannot work).
HOP_CHOICES = (32, 64, 128, 256, 512, 1024, 2048, 4096)
SCALES = ("linear", "log", "mel")
#: Highest frequency shown, in Hz.
FMAX_CHOICES = (1000, 2000, 4000, 8000)


@dataclasses.dataclass(frozen=True)
class ExplorerState:
    """What the STFT explorer shows for one set of settings.

    Attributes:
        settings: the settings asked for (kind, n_fft, hop, window, scale,
            floor_db, fmax).
        ok: the settings can be drawn.
        problems: why not, one sentence each (empty when ``ok``).
        message: ``problems`` plus what to change, as plain text ("" when ok).
        wave: the selected clip, float32 ``(samples,)`` (read-only).
        sr: its sample rate in Hz.
        config: the ``STFTConfig`` used (``None`` when not ``ok``), uncropped.
        spec: complex STFT ``(n_fft // 2 + 1, frames)`` (read-only; ``None``
            when not ``ok``).
        resolution: one line with bin spacing (Hz), window length and frame
            spacing (ms) and the spectrogram's shape ("" when not ``ok``).
    """

    settings: Mapping[str, Any]
    ok: bool
    problems: tuple[str, ...]
    message: str
    wave: np.ndarray
    sr: int
    config: STFTConfig | None = None
    spec: np.ndarray | None = None
    resolution: str = ""

    @property
    def kind(self) -> str:
        return str(self.settings["kind"])


def resolution_text(config: STFTConfig, n_frames: int) -> str:
    """The time/frequency trade-off of ``config`` in words and numbers."""
    overlap = max(0.0, 1.0 - config.hop / config.n_fft)
    return (
        f"n_fft {config.n_fft}: window {config.window_seconds * 1e3:.1f} ms, "
        f"bins {config.bin_hz:.1f} Hz apart | hop {config.hop}: "
        f"frames {config.frame_seconds * 1e3:.1f} ms apart ({overlap:.0%} overlap) | "
        f"{config.n_bins} bins x {n_frames} frames"
    )


def _advice(problems: Sequence[str], n_fft: int, hop: int, n_samples: int) -> list[str]:
    """What to change, for each kind of problem ``validate_stft_settings`` names."""
    tips = []
    text = " ".join(problems)
    if "larger than the window" in text:
        tips.append(f"Choose a hop of at most {n_fft} samples (a quarter of the window, "
                    f"{max(1, n_fft // 4)}, is usual) or a window (n_fft) of at least {hop}.")
    if "longer than the clip" in text:
        largest = 2 ** int(np.floor(np.log2(max(n_samples, 2))))
        tips.append(f"Choose n_fft of at most {largest} samples, or a longer sound.")
    if "unknown window" in text:
        tips.append(f"Pick one of the windows {', '.join(spectral.WINDOWS)}.")
    return tips


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


def make_stft_update(
    waves: Mapping[str, np.ndarray] | None = None,
    sr: int = 16000,
    *,
    kinds: Sequence[str] | None = None,
    seed: int = 0,
) -> Callable[..., ExplorerState]:
    """The explorer's pure update function.

    Args:
        waves: sounds by name, each float ``(samples,)`` at ``sr``; default:
            one synthetic clip per kind from ``beeutils.data.synth.synthesize``
            (made on first use and cached).
        sr: sample rate in Hz.
        kinds: the names to offer (default: all of ``waves``, or ``synth.KINDS``).
        seed: seed of the synthetic clips.

    Returns:
        ``update(kind, n_fft=1024, hop=256, window="hann", scale="linear",
        floor_db=-80, fmax=4000) -> ExplorerState``.  Equal settings give equal
        arrays (clips and STFTs are cached and returned read-only).
    """
    if waves is not None:
        clips = {str(k): _readonly(np.asarray(v, dtype=np.float32).copy()) for k, v in waves.items()}
        names = tuple(kinds) if kinds is not None else tuple(clips)
        unknown = [k for k in names if k not in clips]
        if unknown:
            raise KeyError(f"no sound named {unknown}; waves has {sorted(clips)}")
    else:
        from beeutils.data import synth

        clips = {}
        names = tuple(kinds) if kinds is not None else tuple(synth.KINDS)

    def clip(kind: str) -> np.ndarray:
        if kind not in clips:
            from beeutils.data import synth

            wave, _ = synth.synthesize(kind, sr=sr, seed=seed)
            clips[kind] = _readonly(np.asarray(wave, dtype=np.float32).copy())
        return clips[kind]

    @functools.lru_cache(maxsize=16)
    def transform(kind: str, n_fft: int, hop: int, window: str) -> tuple[STFTConfig, np.ndarray]:
        config = STFTConfig(sr=sr, n_fft=n_fft, hop=hop, window=window,
                            n_freq_keep=None, n_frames=None)
        return config, _readonly(spectral.stft(clip(kind), config))

    def update(kind: str | None = None, n_fft: int = 1024, hop: int = 256,
               window: str = "hann", scale: str = "linear", floor_db: float = -80,
               fmax: float = 4000) -> ExplorerState:
        kind = names[0] if kind is None else kind
        settings = {"kind": kind, "n_fft": int(n_fft), "hop": int(hop), "window": window,
                    "scale": scale, "floor_db": float(floor_db), "fmax": float(fmax)}
        if kind not in names:
            raise KeyError(f"unknown sound {kind!r}; choose one of {', '.join(names)}")
        wave = clip(kind)
        problems = spectral.validate_stft_settings(int(n_fft), int(hop), window, wave.size)
        if scale not in SCALES:
            problems.append(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
        if not floor_db < 0:
            problems.append(f"the dB floor must be negative, got {floor_db}")
        if problems:
            tips = _advice(problems, int(n_fft), int(hop), wave.size)
            message = "Cannot draw these settings: " + "; ".join(problems) + ". " + " ".join(tips)
            return ExplorerState(settings, False, tuple(problems), message.strip(), wave, sr)
        config, spec = transform(kind, int(n_fft), int(hop), window)
        return ExplorerState(settings, True, (), "", wave, sr, config, spec,
                             resolution_text(config, spec.shape[-1]))

    update.names = names  # type: ignore[attr-defined]
    return update


def draw_state(state: ExplorerState, fig: Any = None, *, n_mels: int = 64) -> Any:
    """Draw an ``ok`` explorer state: spectrogram (Hz, seconds) over the waveform.

    Returns the matplotlib ``Figure`` (a new pyplot-free ``Figure`` unless
    ``fig`` is given), so that it can be rendered without a display.
    """
    from matplotlib.figure import Figure

    if not state.ok:
        raise ValueError(state.message)
    fig = Figure(figsize=(9.0, 4.6), layout="constrained") if fig is None else fig
    fig.clear()
    ax_spec, ax_wave = fig.subplots(2, 1, height_ratios=(3, 1), sharex=True)
    s = state.settings
    plotting.show_spectrogram(
        state.spec, state.config, ax_spec, scale=s["scale"], floor_db=s["floor_db"],
        fmax=s["fmax"], n_mels=n_mels,
        title=f"{s['kind']}: n_fft {s['n_fft']}, hop {s['hop']}, {s['window']} window, "
              f"{s['scale']} axis, floor {s['floor_db']:g} dB",
    )
    plotting.plot_waveform(state.wave, state.sr, ax_wave)
    ax_spec.set_xlabel("")
    fig.supxlabel(state.resolution, fontsize=8)
    return fig


def figure_png(fig: Any, dpi: int = 90) -> bytes:
    """Render a matplotlib figure to PNG bytes (no display needed)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def wav_bytes(wave: np.ndarray, sr: int) -> bytes:
    """A waveform as 16-bit wav bytes, for ``ipywidgets.Audio``."""
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, np.clip(np.asarray(wave, dtype=np.float32), -1, 1), sr,
             format="WAV", subtype="PCM_16")
    return buf.getvalue()


def _message_html(text: str) -> str:
    if not text:
        return ""
    return ('<div style="color:#8a1c00;background:#fff3e0;padding:4px 8px;'
            f'border-left:3px solid #e65100">{html.escape(text)}<br>'
            "<i>The plot still shows the last settings that worked.</i></div>")


class STFTExplorer:
    """The STFT explorer: controls, spectrogram/waveform image, audio, message.

    Attributes:
        kind, n_fft, hop, window, scale, floor_db, fmax: the controls (set
            ``.value`` to change a setting, as a user would).
        controls: the same controls by setting name.
        message: ``HTML`` that explains impossible settings ("" when fine).
        info: ``HTML`` with the time and frequency resolution.
        image: ``Image`` holding the current figure as PNG.
        audio: ``Audio`` player of the selected sound.
        state: the last ``ExplorerState``; ``last_ok`` the last drawable one.
        errors: unexpected errors caught while drawing (shown in ``message``).
        widget: the ``VBox`` to display.
    """

    def __init__(self, update: Callable[..., ExplorerState], names: Sequence[str],
                 *, initial: Mapping[str, Any] | None = None, render: bool = True) -> None:
        import ipywidgets as w

        init = {"kind": names[0], "n_fft": 1024, "hop": 256, "window": "hann",
                "scale": "linear", "floor_db": -80, "fmax": 4000, **(initial or {})}
        self.update = update
        self.render = render
        style = {"description_width": "initial"}
        self.kind = w.Dropdown(options=list(names), value=init["kind"], description="sound",
                               style=style)
        self.n_fft = w.Dropdown(options=list(N_FFT_CHOICES), value=init["n_fft"],
                                description="n_fft (window, samples)", style=style)
        self.hop = w.Dropdown(options=list(HOP_CHOICES), value=init["hop"],
                              description="hop (samples)", style=style)
        self.window = w.Dropdown(options=list(spectral.WINDOWS), value=init["window"],
                                 description="window", style=style)
        self.scale = w.ToggleButtons(options=list(SCALES), value=init["scale"],
                                     description="frequency axis", style=style)
        self.floor_db = w.IntSlider(value=init["floor_db"], min=-120, max=-20, step=10,
                                    description="dB floor", continuous_update=False,
                                    style=style)
        self.fmax = w.Dropdown(options=[(f"{f:g} Hz", f) for f in FMAX_CHOICES],
                               value=init["fmax"], description="show up to", style=style)
        self.controls = {"kind": self.kind, "n_fft": self.n_fft, "hop": self.hop,
                         "window": self.window, "scale": self.scale,
                         "floor_db": self.floor_db, "fmax": self.fmax}
        self.message = w.HTML()
        self.info = w.HTML()
        self.image = w.Image(format="png", layout=w.Layout(max_width="900px"))
        self.audio = w.Audio(format="wav", autoplay=False, loop=False, controls=True)
        self.state: ExplorerState | None = None
        self.last_ok: ExplorerState | None = None
        self.errors: list[str] = []
        self._audio_kind: str | None = None
        self.widget = w.VBox([
            w.HBox([self.kind, self.window, self.fmax]),
            w.HBox([self.n_fft, self.hop, self.floor_db]),
            self.scale, self.message, self.image, self.info, self.audio,
        ])
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.refresh()

    def settings(self) -> dict[str, Any]:
        """The controls' current values, by setting name."""
        return {name: control.value for name, control in self.controls.items()}

    def _on_change(self, _change: Any) -> None:
        self.refresh()

    def refresh(self) -> ExplorerState | None:
        """Recompute from the controls and redraw; never raises."""
        try:
            state = self.update(**self.settings())
            self.state = state
            if state.kind != self._audio_kind:
                self.audio.value = wav_bytes(state.wave, state.sr)
                self._audio_kind = state.kind
            if not state.ok:
                self.message.value = _message_html(state.message)
                return state
            if self.render:
                self.image.value = figure_png(draw_state(state))
            self.info.value = html.escape(state.resolution)
            self.message.value = ""
            self.last_ok = state
            return state
        except Exception as err:  # noqa: BLE001 -- a widget must not show tracebacks
            self.errors.append(f"{type(err).__name__}: {err}")
            self.message.value = _message_html(f"Could not draw these settings: {err}")
            return None

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        # displaying the explorer displays its VBox
        return self.widget._repr_mimebundle_(**kwargs)


def stft_explorer(
    waves: Mapping[str, np.ndarray] | None = None,
    sr: int = 16000,
    *,
    kinds: Sequence[str] | None = None,
    seed: int = 0,
    initial: Mapping[str, Any] | None = None,
    render: bool = True,
) -> tuple[STFTExplorer, Callable[..., ExplorerState]]:
    """An explorer of STFT settings on bee sounds, with live plot and playback.

    Controls: sound kind, n_fft, hop, window, frequency axis (linear, log,
    mel), dB floor, highest frequency shown.  Shows the spectrogram (Hz up,
    seconds across) over the waveform, the time and frequency resolution, an
    audio player, and a message for impossible settings.

    Args:
        waves: sounds by name, float ``(samples,)`` at ``sr`` (default: one
            synthetic clip per ``synth.KINDS``, synthesised on first use).
        sr: sample rate in Hz.
        kinds: which names to offer (default: all).
        seed: seed of the synthetic clips.
        initial: starting settings (e.g. ``{"kind": "queen_toot"}``).
        render: draw figures (``False`` computes states only, for quick tests).

    Returns:
        ``(explorer, update)``: display ``explorer`` in a notebook; ``update``
        is the pure function it calls (see ``make_stft_update``).
    """
    update = make_stft_update(waves, sr, kinds=kinds, seed=seed)
    explorer = STFTExplorer(update, update.names, initial=initial, render=render)
    return explorer, update


def static_stft_figure(
    wave: np.ndarray | None = None,
    sr: int = 16000,
    *,
    kind: str = "queen_toot",
    n_ffts: Sequence[int] = (256, 1024, 4096),
    scales: Sequence[str] = ("linear", "log"),
    hop_fraction: int = 4,
    floor_db: float = -80.0,
    fmax: float = 2000.0,
    seed: int = 0,
) -> Any:
    """The explorer's trade-offs as one static figure (for exports and for
    notebooks opened without a widget frontend).

    Rows are frequency axes (``scales``), columns window sizes (``n_ffts``,
    hop ``n_fft // hop_fraction``); each panel title gives window length (ms)
    and bin spacing (Hz).

    Args:
        wave: float ``(samples,)`` at ``sr`` (default: ``synth.synthesize(kind)``).
        sr: sample rate in Hz.
        kind: synthetic sound used when ``wave`` is not given, and in the title.
        n_ffts: window sizes to compare.
        scales: frequency axes to compare.
        hop_fraction: hop is ``n_fft // hop_fraction``.
        floor_db: dB floor.
        fmax: highest frequency shown in Hz.
        seed: seed of the synthetic clip.

    Returns:
        The pyplot ``Figure``.
    """
    import matplotlib.pyplot as plt

    if wave is None:
        from beeutils.data import synth

        wave, _ = synth.synthesize(kind, sr=sr, seed=seed)
    wave = np.asarray(wave, dtype=np.float32)
    fig, axes = plt.subplots(len(scales), len(n_ffts), squeeze=False,
                             figsize=(4.0 * len(n_ffts) + 1.0, 2.9 * len(scales)))
    image = None
    for col, n_fft in enumerate(n_ffts):
        config = STFTConfig(sr=sr, n_fft=n_fft, hop=max(1, n_fft // hop_fraction),
                            n_freq_keep=None, n_frames=None)
        spec = spectral.stft(wave, config)
        for row, scale in enumerate(scales):
            ax = axes[row, col]
            image = plotting.show_spectrogram(
                spec, config, ax, scale=scale, floor_db=floor_db, fmax=fmax,
                fmin=50.0 if scale == "log" else None, colorbar=False,
                title=f"n_fft {n_fft}: {config.window_seconds * 1e3:.0f} ms window, "
                      f"{config.bin_hz:.1f} Hz bins",
            )
            ax.set_ylabel(f"{scale} axis\n{ax.get_ylabel()}")
    fig.colorbar(image, ax=axes, label="dB re max", shrink=0.8)
    fig.suptitle(f"{kind}: short windows sharpen time, long windows sharpen frequency")
    return fig


__all__ = [
    "ExplorerState",
    "STFTExplorer",
    "make_stft_update",
    "stft_explorer",
    "static_stft_figure",
    "draw_state",
    "resolution_text",
    "figure_png",
    "wav_bytes",
    "N_FFT_CHOICES",
    "HOP_CHOICES",
    "SCALES",
    "FMAX_CHOICES",
]
