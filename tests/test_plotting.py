"""Plots carry real units: Hz up the y axis (frequency increasing upward),
seconds along x, dB on the colour bar, for full and cropped spectrograms."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402

from beeutils.ui import plotting  # noqa: E402
from beeutils.dsp import spectral  # noqa: E402
from beeutils.dsp.spectral import STFTConfig  # noqa: E402

SR = 16000
CFG = STFTConfig(sr=SR, n_fft=512, hop=128, n_freq_keep=64, n_frames=32)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def tone_spec() -> np.ndarray:
    """Complex STFT (257, 65) of 0.5 s of a 1 kHz tone."""
    t = np.arange(SR // 2) / SR
    wave = (0.5 * np.sin(2 * np.pi * 1000.0 * t)).astype(np.float32)
    return spectral.stft(wave, CFG)


def _brightest_row_hz(image: AxesImage) -> float:
    """Frequency in Hz (from the drawn extent) of the row with the most energy."""
    data = np.asarray(image.get_array())
    row = int(np.argmax(data.mean(axis=1)))
    _, _, y0, y1 = image.get_extent()
    return y0 + (row + 0.5) * (y1 - y0) / data.shape[0]


def test_linear_axes_labels_units_and_upward_frequency(tone_spec):
    fig, ax = plt.subplots()
    image = plotting.show_spectrogram(tone_spec, CFG, ax, title="tone")
    assert isinstance(image, AxesImage)
    assert ax.get_xlabel() == "Time (s)"
    assert ax.get_ylabel() == "Frequency (Hz)"
    assert ax.get_title() == "tone"
    assert image.origin == "lower"
    y0, y1 = ax.get_ylim()
    assert y0 < y1  # frequency increases upward
    freqs, times = CFG.frequencies(), CFG.times(tone_spec.shape[1])
    x_lo, x_hi, f_lo, f_hi = image.get_extent()
    assert f_lo == pytest.approx(freqs[0] - CFG.bin_hz / 2)
    assert f_hi == pytest.approx(freqs[-1] + CFG.bin_hz / 2)
    assert x_lo == pytest.approx(times[0] - CFG.frame_seconds / 2)
    assert x_hi == pytest.approx(times[-1] + CFG.frame_seconds / 2)
    # the tone lands at 1 kHz on the axis (not at row 1000 or upside down)
    assert _brightest_row_hz(image) == pytest.approx(1000.0, abs=CFG.bin_hz)
    assert image.colorbar is not None and "dB" in image.colorbar.ax.get_ylabel()


def test_db_values_floored_and_referenced_to_max(tone_spec):
    image = plotting.show_spectrogram(tone_spec, CFG, floor_db=-60)
    data = np.asarray(image.get_array())
    assert data.max() == pytest.approx(0.0, abs=1e-4)
    assert data.min() == pytest.approx(-60.0)
    assert image.get_clim() == (pytest.approx(-60.0), pytest.approx(0.0))


def test_cropped_spectrogram_uses_cropped_frequencies(tone_spec):
    cropped = spectral.crop(tone_spec, CFG)  # (64, 32): 0 .. 1 kHz
    fig, ax = plt.subplots()
    image = plotting.show_spectrogram(cropped, CFG, ax, cropped=True)
    freqs = CFG.frequencies(cropped=True)
    _, _, f_lo, f_hi = image.get_extent()
    assert f_hi == pytest.approx(freqs[-1] + CFG.bin_hz / 2)
    assert ax.get_ylim()[1] == pytest.approx(f_hi) and ax.get_ylim()[0] < f_hi
    x_lo, x_hi, _, _ = image.get_extent()
    assert x_hi == pytest.approx(CFG.times(32)[-1] + CFG.frame_seconds / 2)
    # cropped=None works it out from the number of rows
    auto = plotting.show_spectrogram(cropped, CFG, colorbar=False)
    assert auto.get_extent() == pytest.approx(image.get_extent())


def test_time_by_frequency_input_is_refused_with_a_hint(tone_spec):
    with pytest.raises(ValueError, match=r"spec\.T"):
        plotting.show_spectrogram(np.abs(tone_spec).T, CFG)


def test_negative_magnitudes_are_refused_unless_input_is_db(tone_spec):
    db = spectral.amplitude_to_db(np.abs(tone_spec), ref="max")
    with pytest.raises(ValueError, match="input_db"):
        plotting.show_spectrogram(db, CFG)
    image = plotting.show_spectrogram(db, CFG, input_db=True)
    np.testing.assert_allclose(np.asarray(image.get_array()), db, atol=1e-5)


def test_linear_magnitude_colourbar(tone_spec):
    image = plotting.show_spectrogram(np.abs(tone_spec), CFG, db=False)
    assert image.colorbar.ax.get_ylabel() == "magnitude"
    np.testing.assert_allclose(np.asarray(image.get_array()), np.abs(tone_spec), rtol=1e-6)


def test_log_scale_has_log_axis_and_tone_in_place(tone_spec):
    fig, ax = plt.subplots()
    image = plotting.show_spectrogram(tone_spec, CFG, ax, scale="log")
    assert ax.get_yscale() == "log"
    y0, y1 = ax.get_ylim()
    assert 0 < y0 < y1  # 0 Hz left out, still upward
    assert np.asarray(image.get_array()).shape[0] == CFG.n_bins - 1
    assert _brightest_row_hz(image) == pytest.approx(1000.0, abs=CFG.bin_hz)


def test_mel_scale_bands_labelled_in_hz(tone_spec):
    fig, ax = plt.subplots()
    mesh = plotting.show_spectrogram(tone_spec, CFG, ax, scale="mel", n_mels=40)
    assert np.asarray(mesh.get_array()).reshape(40, -1).shape == (40, tone_spec.shape[1])
    assert ax.get_yscale() == "function"
    assert "Hz" in ax.get_ylabel()
    y0, y1 = ax.get_ylim()
    assert 0 <= y0 < y1 <= SR / 2
    ticks = [t for t in ax.get_yticks() if y0 <= t <= y1]
    assert 1000 in ticks  # tick labels are Hz values, not mel numbers
    # the loudest band is the one around 1 kHz
    data = np.asarray(mesh.get_array()).reshape(40, -1)
    centres = spectral.mel_frequencies(CFG, n_mels=40)
    assert centres[np.argmax(data.mean(axis=1))] == pytest.approx(1000.0, rel=0.1)


def test_fmax_zooms_the_frequency_axis(tone_spec):
    fig, ax = plt.subplots()
    plotting.show_spectrogram(tone_spec, CFG, ax, fmax=2000)
    assert ax.get_ylim() == pytest.approx((0.0, 2000.0))


def test_bad_scale_and_shape():
    with pytest.raises(ValueError, match="scale"):
        plotting.show_spectrogram(np.ones((CFG.n_bins, 4)), CFG, scale="bark")
    with pytest.raises(ValueError, match="shape"):
        plotting.show_spectrogram(np.ones((2, CFG.n_bins, 4)), CFG)


def test_keras_style_channel_axis_is_accepted(tone_spec):
    image = plotting.show_spectrogram(np.abs(tone_spec)[..., None], CFG)
    assert np.asarray(image.get_array()).shape == tone_spec.shape


def test_plot_waveform_seconds_and_amplitude():
    wave = np.sin(np.linspace(0, 20, SR)).astype(np.float32)
    ax = plotting.plot_waveform(wave, SR, title="one second")
    assert ax.get_xlabel() == "Time (s)" and ax.get_ylabel() == "Amplitude"
    (line,) = ax.get_lines()
    assert line.get_xdata()[-1] == pytest.approx((SR - 1) / SR)
    assert ax.get_xlim() == pytest.approx((0.0, 1.0))
    with pytest.raises(ValueError, match="1-D"):
        plotting.plot_waveform(np.zeros((2, 10)), SR)


def test_plot_losses_dict_steps_and_nonfinite_marker():
    history = {"loss": [3.0, 2.0, 1.0, float("inf"), float("nan")], "kl": [0.1, 0.2, 0.3, 0.3, 0.3]}
    ax = plotting.plot_losses(history, logy=True)
    assert ax.get_xlabel() == "Step" and ax.get_ylabel() == "Loss"
    assert ax.get_yscale() == "log"
    labels = ax.get_legend_handles_labels()[1]
    assert "loss" in labels and "kl" in labels
    assert any("first inf at 4" in label for label in labels)
    only = plotting.plot_losses(history, keys=["kl"])
    assert only.get_legend_handles_labels()[1] == ["kl"]
    with pytest.raises(KeyError):
        plotting.plot_losses(history, keys=["missing"])


def test_plot_losses_keras_history_like_and_symlog():
    class History:  # the two attributes keras.callbacks.History has
        history = {"d_loss": [0.5, -0.2, 0.1]}
        epoch = [0, 1, 2]

    ax = plotting.plot_losses(History(), logy=True)
    assert ax.get_xlabel() == "Epoch"
    assert ax.get_yscale() == "symlog"  # a negative value cannot go on a log axis
    assert list(ax.get_lines()[0].get_xdata()) == [1, 2, 3]
    with pytest.raises(TypeError):
        plotting.plot_losses([1, 2, 3])


def test_spectrogram_grid_one_config_per_panel():
    wave = np.random.default_rng(0).standard_normal(4096).astype(np.float32)
    configs = [STFTConfig(n_fft=n, hop=n // 4, n_freq_keep=None, n_frames=None)
               for n in (128, 256, 512)]
    specs = {f"n_fft {c.n_fft}": spectral.stft(wave, c) for c in configs}
    fig, axes = plotting.spectrogram_grid(specs, configs, ncols=2)
    assert len(axes) == 3
    assert [ax.get_title() for ax in axes] == list(specs)
    for ax, cfg in zip(axes, configs):
        assert ax.get_ylim()[1] == pytest.approx(cfg.frequencies()[-1] + cfg.bin_hz / 2)
    assert len(fig.axes) >= 4  # three panels (+ colour bars) and a hidden spare
    with pytest.raises(ValueError, match="configs"):
        plotting.spectrogram_grid(list(specs.values()), configs[:2])


def test_mel_bands_never_empty_for_coarse_stft():
    coarse = STFTConfig(sr=SR, n_fft=128, hop=32, n_freq_keep=None, n_frames=None)
    wave = np.random.default_rng(1).standard_normal(2048).astype(np.float32)
    mesh = plotting.show_spectrogram(spectral.stft(wave, coarse), coarse, scale="mel",
                                     n_mels=64, fmax=2000, floor_db=-120)
    data = np.asarray(mesh.get_array())
    n_frames = 1 + 2048 // 32
    bands = data.size // n_frames
    assert bands < 64  # 125 Hz bins cannot fill 64 bands below 2 kHz
    assert data.reshape(bands, n_frames).min(axis=1).max() > -120  # no band stuck on the floor
    assert np.all(data.reshape(bands, n_frames).mean(axis=1) > -100)


def test_symlog_axis_ticks_every_three_decades():
    _, ax = plt.subplots()
    assert plotting.symlog_axis(ax, bottom=-1e7, top=1e12) is ax
    assert ax.get_yscale() == "symlog" and ax.get_ylim() == pytest.approx((-1e7, 1e12))
    assert list(ax.get_yticks()) == [-1e6, -1e3, 0.0, 1e3, 1e6, 1e9, 1e12]
    with pytest.raises(ValueError, match="bottom < 0 < top"):
        plotting.symlog_axis(ax, bottom=1.0)
    plt.close("all")
