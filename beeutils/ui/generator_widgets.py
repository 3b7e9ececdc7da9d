"""Widgets to play with a trained model: generate by kind, interpolate, save.

Both panels work with any ``beeutils.models.audio_model.AudioModel`` (or
anything with the same methods):

- ``sr`` (sample rate in Hz), ``kinds`` (tuple of kind names it was trained
  on), ``conditional`` (bool: can it be asked for a kind?);
- ``generate(n, kind=..., seed=...) -> (n, samples)``;
- ``encode(waves, kind=...) -> (n, latent_dim)`` and
  ``decode(z, kind=...) -> (n, samples)``.

As in ``beeutils.ui.widgets``, what a panel shows is computed by plain methods
(``generate``, ``at``) that tests can call and check; the controls only call
them.  Set a control's ``.value`` (or ``click()`` a button) to drive the
panel as a user would.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np

from beeutils.data import audio
from beeutils.evaluation.broken import BrokenReport, broken_report, zero_nonfinite
from beeutils.ui import plotting
from beeutils.dsp import spectral
from beeutils.ui.widgets import figure_png, wav_bytes

__all__ = ["GeneratorPanel", "InterpolationPanel", "listening_grid", "save_waves"]


def save_waves(waves: np.ndarray, folder: str | Path, stem: str, sr: int) -> list[Path]:
    """Write clips as ``<stem>_<i>.wav`` (16-bit) and return the paths.

    Existing files are not overwritten: numbering continues after the last
    ``<stem>_<i>.wav`` in the folder, so pressing "save" twice keeps both.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    taken = [int(p.stem.rsplit("_", 1)[1]) for p in folder.glob(f"{stem}_*.wav")
             if p.stem.rsplit("_", 1)[1].isdigit()]
    first = max(taken, default=-1) + 1
    paths = []
    for i, wave in enumerate(np.atleast_2d(waves)):
        path = folder / f"{stem}_{first + i:02d}.wav"
        audio.save_audio(path, wave, sr=sr)
        paths.append(path)
    return paths


def _spectrogram_png(waves: np.ndarray, sr: int, titles: list[str]) -> bytes:
    import matplotlib.pyplot as plt

    cfg = spectral.STFTConfig(sr=sr, n_freq_keep=None, n_frames=None)
    fig, axes = plt.subplots(1, len(waves), figsize=(3.2 * len(waves), 2.8), squeeze=False,
                             layout="constrained")
    for ax, wave, title in zip(axes[0], waves, titles):
        plotting.show_spectrogram(spectral.magnitude(spectral.stft(wave, cfg)), cfg, ax=ax,
                                  title=title, fmax=4000)
    png = figure_png(fig)
    plt.close(fig)
    return png


class GeneratorPanel:
    """Ask a model for a few clips of one kind, listen, keep the good ones.

    Attributes:
        kind: ``Dropdown`` of kinds (disabled for an unconditional model).
        n: ``IntSlider``, clips per press.
        seed: ``IntText``; each press of ``generate_button`` uses it and then
            adds one, so pressing again gives new clips.
        texture: ``Checkbox``: render a sample of the noise around the
            decoded magnitudes rather than their smooth average
            (``AudioModel.decode(texture=True)``); disabled, and off, for a
            model that writes its audio itself (the oscillator bank).
        generate_button, save_button: ``Button``.
        players: ``HBox`` of ``Audio`` players, one per clip.
        image: ``Image`` with their spectrograms.
        status: ``HTML`` with what happened last; after ``generate`` it also
            says how many clips are broken (silent, clipped, NaN/inf).
        waves: the last clips, ``(n, samples)``, NaN/inf set to 0 (what is
            played and saved); ``saved``: every path written.
        last_report: ``BrokenReport`` of the last clips as the model gave
            them (``None`` before the first press).
        widget: the ``VBox`` to display.
    """

    def __init__(self, model: Any, out_dir: str | Path = "build/generated", n: int = 4,
                 render: bool = True, texture: bool = False) -> None:
        import ipywidgets as w

        self.model = model
        self.out_dir = Path(out_dir)
        self.render = render
        self.sr = int(model.sr)
        kinds = list(model.kinds) if model.conditional else ["(any: not conditioned)"]
        style = {"description_width": "initial"}
        self.kind = w.Dropdown(options=kinds, value=kinds[0], description="kind",
                               disabled=not model.conditional, style=style)
        self.n = w.IntSlider(value=n, min=1, max=8, description="clips", style=style)
        self.seed = w.IntText(value=0, description="seed", style=style)
        self.texture = w.Checkbox(value=texture and model.draws_spectrograms,
                                  description="noise texture",
                                  disabled=not model.draws_spectrograms, style=style)
        self.generate_button = w.Button(description="Generate", button_style="primary")
        self.save_button = w.Button(description="Save to wav", disabled=True)
        self.players = w.HBox()
        self.image = w.Image(format="png", layout=w.Layout(max_width="1000px"))
        self.status = w.HTML()
        self.waves: np.ndarray | None = None
        self.last_report: BrokenReport | None = None
        self.saved: list[Path] = []
        self.generate_button.on_click(lambda _b: self.generate())
        self.save_button.on_click(lambda _b: self.save())
        self.widget = w.VBox([w.HBox([self.kind, self.n, self.seed, self.texture]),
                              w.HBox([self.generate_button, self.save_button]),
                              self.status, self.image, self.players])

    @property
    def asked_kind(self) -> str | None:
        """The kind asked for, ``None`` for an unconditional model."""
        return self.kind.value if self.model.conditional else None

    def generate(self) -> np.ndarray:
        """Generate ``n`` clips of the selected kind, check, show and play them.

        Returns:
            The clips ``(n, samples)`` with NaN/inf set to 0; which ones are
            broken is in ``last_report`` and the status line.
        """
        import ipywidgets as w

        seed = int(self.seed.value)
        raw = np.asarray(self.model.generate(int(self.n.value), kind=self.asked_kind,
                                             seed=seed, texture=bool(self.texture.value)))
        self.last_report = broken_report(raw)
        # Players and wav files cannot carry NaN: keep the report, zero the samples.
        self.waves = zero_nonfinite(raw)
        label = self.asked_kind or "sample"
        self.players.children = [w.Audio(value=wav_bytes(wave, self.sr), format="wav",
                                         autoplay=False) for wave in self.waves]
        if self.render:
            self.image.value = _spectrogram_png(self.waves, self.sr,
                                                [f"{label} {i}" for i in range(len(self.waves))])
        status = html.escape(f"{len(self.waves)} x {label}, seed {seed}"
                             + (", noise texture" if self.texture.value else ""))
        if self.last_report.n_broken:
            status += ('<br><span style="color:#8a1c00">'
                       f"{html.escape(self.last_report.summary())}</span>")
        self.status.value = status
        self.seed.value = seed + 1
        self.save_button.disabled = False
        return self.waves

    def save(self) -> list[Path]:
        """Write the clips on show to ``out_dir`` as wav files."""
        if self.waves is None:
            self.status.value = "Nothing to save yet: press Generate first."
            return []
        paths = save_waves(self.waves, self.out_dir, self.asked_kind or "sample", self.sr)
        self.saved.extend(paths)
        self.status.value = html.escape(f"saved {len(paths)} files to {self.out_dir}")
        return paths

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


class InterpolationPanel:
    """Walk the latent space from one clip to another with a slider.

    Both clips are encoded (posterior means ``z_a``, ``z_b``); the slider's
    position ``t`` decodes ``(1 - t) z_a + t z_b``.  At ``t = 0`` and ``1``
    you hear the model's reconstructions of the two clips.

    Attributes:
        t: ``FloatSlider`` in [0, 1].
        player: ``Audio`` of the clip at ``t``; ``image``: its spectrogram.
        save_button: writes the clip at ``t`` to ``out_dir``.
        wave: the clip at the current ``t``, ``(samples,)``.
        widget: the ``VBox`` to display.
    """

    def __init__(self, model: Any, wave_a: np.ndarray, wave_b: np.ndarray,
                 kind: str | None = None, out_dir: str | Path = "build/generated",
                 render: bool = True) -> None:
        import ipywidgets as w

        self.model = model
        self.kind = kind
        self.out_dir = Path(out_dir)
        self.render = render
        self.sr = int(model.sr)
        z = np.asarray(model.encode(np.stack([wave_a, wave_b]), kind=kind))
        self.z_a, self.z_b = z[0], z[1]
        self.t = w.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.1, description="t",
                               continuous_update=False)
        self.player = w.Audio(format="wav", autoplay=False)
        self.image = w.Image(format="png", layout=w.Layout(max_width="420px"))
        self.save_button = w.Button(description="Save to wav")
        self.status = w.HTML()
        self.wave: np.ndarray | None = None
        self.t.observe(lambda _c: self.refresh(), names="value")
        self.save_button.on_click(lambda _b: self.save())
        self.widget = w.VBox([self.t, self.player, self.save_button, self.status, self.image])
        self.refresh()

    def at(self, t: float) -> np.ndarray:
        """The decoded clip ``(samples,)`` a fraction ``t`` of the way from a to b."""
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"t must lie in [0, 1], got {t}")
        z = ((1.0 - t) * self.z_a + t * self.z_b)[None].astype(np.float32)
        return np.asarray(self.model.decode(z, kind=self.kind))[0]

    def refresh(self) -> np.ndarray:
        """Decode at the slider's ``t``, play and draw it."""
        t = float(self.t.value)
        self.wave = self.at(t)
        self.player.value = wav_bytes(self.wave, self.sr)
        if self.render:
            self.image.value = _spectrogram_png(self.wave[None], self.sr, [f"t = {t:.1f}"])
        self.status.value = f"t = {t:.1f}"
        return self.wave

    def save(self) -> list[Path]:
        """Write the clip at the current ``t`` as a wav file."""
        stem = f"interpolation_t{int(round(float(self.t.value) * 100)):03d}"
        paths = save_waves(self.wave[None], self.out_dir, stem, self.sr)
        self.status.value = html.escape(f"saved {paths[0]}")
        return paths

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def listening_grid(rows: dict[str, np.ndarray], columns: list[str], sr: int) -> Any:
    """A table of audio players: one row per model, one column per clip.

    Args:
        rows: row label -> waveforms ``(n_columns, samples)``.
        columns: column titles.
        sr: sample rate in Hz.

    Returns:
        An ``ipywidgets.GridBox`` (display it); ``grid.players[row][col]``
        holds each ``Audio`` widget.
    """
    import ipywidgets as w

    for name, waves in rows.items():
        if len(waves) != len(columns):
            raise ValueError(f"row {name!r} has {len(waves)} clips for {len(columns)} columns")
    cells = [w.HTML("<b>model</b>")] + [w.HTML(f"<b>{html.escape(c)}</b>") for c in columns]
    players = {}
    for name, waves in rows.items():
        players[name] = [w.Audio(value=wav_bytes(wave, sr), format="wav", autoplay=False,
                                 layout=w.Layout(width="240px")) for wave in waves]
        cells += [w.HTML(html.escape(name))] + players[name]
    grid = w.GridBox(cells, layout=w.Layout(
        grid_template_columns=f"160px repeat({len(columns)}, 250px)"))
    grid.players = players
    return grid
