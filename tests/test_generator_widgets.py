"""Generation widgets driven as a user would: set .value, click, check state."""

import numpy as np
import pytest
import soundfile as sf

from beeutils.ui import generator_widgets as gw

SR = 16000
N = 4096


class ToneModel:
    """A stand-in model: the latent is (frequency in kHz, amplitude)."""

    sr = SR
    kinds = ("hum", "queen_toot")
    latent_dim = 2

    def __init__(self, conditional=True, draws_spectrograms=True):
        self.conditional = conditional
        self.draws_spectrograms = draws_spectrograms
        self.calls = []
        self.textures = []

    def decode(self, z, kind=None):
        t = np.arange(N) / SR
        return np.stack([a * np.sin(2 * np.pi * 1000 * f * t) for f, a in z]).astype(np.float32)

    def encode(self, waves, kind=None):
        spec = np.abs(np.fft.rfft(waves, axis=-1))
        freq = np.argmax(spec, axis=-1) * SR / N / 1000
        return np.stack([freq, np.max(np.abs(waves), axis=-1)], axis=-1)

    def generate(self, n, kind=None, seed=0, texture=False):
        self.calls.append((n, seed, kind))
        self.textures.append(texture)
        base = {"hum": 0.25, "queen_toot": 0.45, None: 0.1}[kind]
        # The texture stand-in: a quieter tone (the real one scatters the magnitudes).
        z = np.stack([np.full(n, base) + 0.01 * seed, np.full(n, 0.25 if texture else 0.5)],
                     axis=-1)
        return self.decode(z)


def _peak_hz(wave):
    return np.argmax(np.abs(np.fft.rfft(wave))) * SR / len(wave)


def test_generator_panel_asks_for_the_selected_kind(tmp_path):
    model = ToneModel()
    panel = gw.GeneratorPanel(model, out_dir=tmp_path, render=False)
    panel.kind.value = "queen_toot"
    panel.n.value = 3
    panel.generate_button.click()
    assert model.calls == [(3, 0, "queen_toot")]
    assert panel.waves.shape == (3, N)
    assert len(panel.players.children) == 3
    assert panel.players.children[0].value[:4] == b"RIFF"
    assert abs(_peak_hz(panel.waves[0]) - 450) < 5
    assert panel.seed.value == 1  # the next press gives new clips
    assert "queen_toot" in panel.status.value


def test_generator_panel_saves_without_overwriting(tmp_path):
    panel = gw.GeneratorPanel(ToneModel(), out_dir=tmp_path, render=False)
    assert panel.save_button.disabled
    assert panel.save() == []  # nothing generated yet
    panel.n.value = 2
    panel.generate()
    first = panel.save()
    second = panel.save()
    assert [p.name for p in first] == ["hum_00.wav", "hum_01.wav"]
    assert [p.name for p in second] == ["hum_02.wav", "hum_03.wav"]
    wave, sr = sf.read(first[0])
    assert sr == SR and wave.shape == (N,)
    assert np.allclose(wave, panel.waves[0], atol=1e-4)


def test_generator_panel_for_an_unconditional_model(tmp_path):
    model = ToneModel(conditional=False)
    panel = gw.GeneratorPanel(model, out_dir=tmp_path, render=False)
    assert panel.kind.disabled and panel.asked_kind is None
    panel.generate()
    assert model.calls[-1][2] is None
    assert panel.save()[0].name == "sample_00.wav"


def test_generator_panel_texture_checkbox_reaches_the_model(tmp_path):
    model = ToneModel()
    panel = gw.GeneratorPanel(model, out_dir=tmp_path, render=False)
    assert not panel.texture.value and not panel.texture.disabled
    plain = panel.generate()
    panel.seed.value = 0
    panel.texture.value = True
    textured = panel.generate()
    assert model.textures == [False, True]
    assert np.max(np.abs(textured)) < 0.3 < np.max(np.abs(plain))
    assert "noise texture" in panel.status.value


def test_generator_panel_texture_is_off_for_a_model_that_writes_audio(tmp_path):
    model = ToneModel(draws_spectrograms=False)
    panel = gw.GeneratorPanel(model, out_dir=tmp_path, render=False, texture=True)
    assert panel.texture.disabled and not panel.texture.value
    panel.generate()
    assert model.textures == [False]


def test_generator_panel_draws_spectrograms(tmp_path):
    panel = gw.GeneratorPanel(ToneModel(), out_dir=tmp_path, n=2)
    panel.generate()
    assert panel.image.value[:8] == b"\x89PNG\r\n\x1a\n"


def test_interpolation_slider_moves_between_the_two_clips(tmp_path):
    model = ToneModel()
    t = np.arange(N) / SR
    a = (0.5 * np.sin(2 * np.pi * 250 * t)).astype(np.float32)
    b = (0.5 * np.sin(2 * np.pi * 500 * t)).astype(np.float32)
    panel = gw.InterpolationPanel(model, a, b, out_dir=tmp_path, render=False)
    assert abs(_peak_hz(panel.wave) - 250) < 5
    panel.t.value = 1.0
    assert abs(_peak_hz(panel.wave) - 500) < 5
    panel.t.value = 0.5
    assert abs(_peak_hz(panel.wave) - 375) < 5
    assert panel.player.value[:4] == b"RIFF"
    path = panel.save()[0]
    assert path.name == "interpolation_t050_00.wav"
    with pytest.raises(ValueError):
        panel.at(1.5)


def test_listening_grid_has_a_player_per_clip():
    rows = {"a": np.zeros((2, N), np.float32), "b": np.ones((2, N), np.float32) * 0.1}
    grid = gw.listening_grid(rows, ["x", "y"], SR)
    assert len(grid.children) == 3 * 3  # header row + 2 rows, each label + 2 players
    assert grid.players["b"][1].value[:4] == b"RIFF"
    with pytest.raises(ValueError, match="columns"):
        gw.listening_grid({"a": np.zeros((3, N))}, ["x", "y"], SR)
