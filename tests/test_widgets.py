"""The STFT explorer: each control changes the state it computes, impossible
settings give a readable message (never an exception), and ``update`` is pure."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from beeutils.dsp import spectral  # noqa: E402
from beeutils.ui import widgets  # noqa: E402

SR = 8000


def _tiny_sounds() -> dict[str, np.ndarray]:
    """Two short sounds: a 250 Hz hum (0.5 s) and a 1 kHz beep (0.25 s)."""
    t = np.arange(SR // 2) / SR
    hum = 0.5 * np.sin(2 * np.pi * 250.0 * t)
    beep = 0.5 * np.sin(2 * np.pi * 1000.0 * t[: SR // 4])
    return {"hum": hum.astype(np.float32), "beep": beep.astype(np.float32)}


@pytest.fixture
def drawn():
    """An explorer that renders its figure on every change."""
    widget, update = widgets.stft_explorer(_tiny_sounds(), sr=SR)
    yield widget, update
    plt.close("all")


@pytest.fixture
def explorer():
    """An explorer that computes states only (faster; no figure)."""
    return widgets.stft_explorer(_tiny_sounds(), sr=SR, render=False)


def test_initial_state_is_drawn(drawn):
    widget, _ = drawn
    state = widget.state
    assert state.ok and state.kind == "hum"
    assert state.config.n_fft == 1024 and state.spec.shape == (513, 1 + SR // 2 // 256)
    assert widget.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert widget.audio.value[:4] == b"RIFF"
    assert widget.message.value == ""
    assert "7.8 Hz" in widget.info.value  # 8000 / 1024


def test_n_fft_control(explorer):
    widget, _ = explorer
    widget.n_fft.value = 256
    state = widget.state
    assert state.config.n_fft == 256
    assert state.spec.shape[0] == 129
    assert "31.2 Hz" in state.resolution and "32.0 ms" in state.resolution
    assert "31.2 Hz" in widget.info.value


def test_hop_control(explorer):
    widget, _ = explorer
    widget.hop.value = 128
    assert widget.state.config.hop == 128
    assert widget.state.spec.shape[1] == 1 + (SR // 2) // 128
    assert "16.0 ms apart" in widget.state.resolution


def test_window_control(explorer):
    widget, _ = explorer
    before = widget.state.spec
    widget.window.value = "boxcar"
    assert widget.state.config.window == "boxcar"
    assert not np.allclose(np.abs(widget.state.spec), np.abs(before))


def test_kind_control_changes_sound_and_audio(explorer):
    widget, _ = explorer
    audio_before = widget.audio.value
    widget.kind.value = "beep"
    state = widget.state
    assert state.kind == "beep" and state.wave.size == SR // 4
    assert widget.audio.value != audio_before
    loudest_hz = state.config.frequencies()[np.argmax(np.abs(state.spec).mean(axis=1))]
    assert loudest_hz == pytest.approx(1000.0, abs=state.config.bin_hz)


def test_scale_floor_and_fmax_controls_redraw(drawn):
    widget, _ = drawn
    images = {widget.image.value}
    for control, value in [("scale", "log"), ("scale", "mel"), ("floor_db", -40), ("fmax", 2000)]:
        widget.controls[control].value = value
        assert widget.state.ok and widget.state.settings[control] == value
        images.add(widget.image.value)
    assert len(images) == 5  # every change drew a different figure


def test_hop_larger_than_window_gives_message_not_exception(drawn):
    widget, _ = drawn
    widget.n_fft.value = 256
    good_image = widget.image.value
    widget.hop.value = 512  # no exception escapes the observer
    state = widget.state
    assert not state.ok and state.spec is None
    text = widget.message.value.lower()
    assert "hop" in text and "window" in text and "at most 256" in text
    assert "traceback" not in text
    assert widget.image.value == good_image  # the last valid figure stays
    assert widget.errors == []
    # back to a valid setting clears the message
    widget.hop.value = 64
    assert widget.state.ok and widget.message.value == ""
    assert widget.state.config.hop == 64


def test_window_longer_than_clip_gives_message(explorer):
    widget, _ = explorer
    widget.kind.value = "beep"  # 2000 samples
    widget.n_fft.value = 4096
    assert not widget.state.ok
    text = widget.message.value
    assert "longer than the clip" in text and "at most 1024" in text
    widget.n_fft.value = 1024
    assert widget.state.ok and widget.message.value == ""


def test_update_is_pure_and_cached(explorer):
    widget, update = explorer
    shown = widget.state
    a = update(kind="beep", n_fft=512, hop=128, window="hamming", scale="mel")
    b = update(kind="beep", n_fft=512, hop=128, window="hamming", scale="mel")
    np.testing.assert_array_equal(a.spec, b.spec)
    np.testing.assert_array_equal(a.wave, b.wave)
    assert a.config == b.config and a.resolution == b.resolution
    # calling update does not touch the widget
    assert widget.state is shown and widget.kind.value == "hum" and widget.n_fft.value == 1024
    # cached arrays are read-only, so no caller can change what others see
    with pytest.raises(ValueError):
        a.spec[0, 0] = 0
    # the STFT is the package's STFT of the clip
    expected = spectral.stft(_tiny_sounds()["beep"], a.config)
    np.testing.assert_allclose(a.spec, expected, atol=1e-6)


def test_update_without_widget_reports_bad_settings():
    update = widgets.make_stft_update(_tiny_sounds(), sr=SR)
    state = update(kind="hum", n_fft=128, hop=256, window="nope", floor_db=0)
    assert not state.ok
    assert len(state.problems) == 3  # hop > window, unknown window, floor >= 0
    assert "hop" in state.message and "hann" in state.message
    with pytest.raises(KeyError):
        update(kind="wasp")


def test_render_false_skips_figures():
    widget, _ = widgets.stft_explorer(_tiny_sounds(), sr=SR, render=False,
                                      initial={"kind": "beep", "n_fft": 512})
    assert widget.state.ok and widget.state.config.n_fft == 512
    assert widget.image.value == b""


def test_static_figure_panels_have_units():
    wave = _tiny_sounds()["hum"]
    fig = widgets.static_stft_figure(wave, SR, kind="hum", n_ffts=(128, 512),
                                     scales=("linear", "log"), fmax=2000)
    panels = [ax for ax in fig.axes if ax.get_xlabel()]
    assert len(panels) == 4
    assert all(ax.get_xlabel() == "Time (s)" and "Hz" in ax.get_ylabel() for ax in panels)
    assert "62.5 Hz" in panels[0].get_title() and "16 ms" in panels[0].get_title()
    plt.close(fig)


def test_unexpected_error_becomes_a_message():
    def broken_update(**settings):
        raise RuntimeError("synthesiser exploded")

    widget = widgets.STFTExplorer(broken_update, ["hum"])  # must not raise
    assert widget.state is None
    assert "synthesiser exploded" in widget.message.value
    assert widget.errors == ["RuntimeError: synthesiser exploded"]
