"""Offline digits for notebook 01: MNIST from the local cache or the 8x8 fallback."""

import numpy as np
import pytest

from beeutils.data import digits


@pytest.fixture
def no_mnist(monkeypatch, tmp_path):
    """Point the MNIST cache at a file that does not exist."""
    monkeypatch.setattr(digits, "MNIST_CACHE", tmp_path / "absent" / "mnist.npz")


@pytest.fixture
def fake_mnist(tmp_path):
    """A tiny file laid out like Keras's mnist.npz (uint8 images, 0-255)."""
    rng = np.random.default_rng(0)
    path = tmp_path / "mnist.npz"
    np.savez(path,
             x_train=rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
             y_train=np.arange(6, dtype=np.uint8),
             x_test=np.full((2, 28, 28), 255, dtype=np.uint8),
             y_test=np.array([8, 9], dtype=np.uint8))
    return path


def test_fallback_to_sklearn_digits_when_mnist_absent(no_mnist):
    x, y, source = digits.load_digits_28()
    assert source == "sklearn-digits"
    assert source in digits.SOURCES
    assert x.shape == (1797, 28, 28, 1) and x.dtype == np.float32
    assert x.min() >= 0.0 and x.max() <= 1.0 and x.max() > 0.9
    assert y.shape == (1797,) and set(np.unique(y)) == set(range(10))
    # MNIST layout: the digit sits in a centred 20x20 box, the border is black
    assert np.all(x[:, :4] == 0) and np.all(x[:, -4:] == 0)
    assert np.all(x[:, :, :4] == 0) and np.all(x[:, :, -4:] == 0)


def test_subset_is_seeded(no_mnist):
    a, ya, _ = digits.load_digits_28(n=50, seed=1)
    b, yb, _ = digits.load_digits_28(n=50, seed=1)
    c, _, _ = digits.load_digits_28(n=50, seed=2)
    assert a.shape == (50, 28, 28, 1)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(a, c)
    with pytest.raises(ValueError):
        digits.load_digits_28(n=0)


def test_cached_mnist_is_used(monkeypatch, fake_mnist):
    monkeypatch.setattr(digits, "MNIST_CACHE", fake_mnist)
    x, y, source = digits.load_digits_28()
    assert source == "mnist"
    assert x.shape == (8, 28, 28, 1) and x.dtype == np.float32
    np.testing.assert_array_equal(y, [0, 1, 2, 3, 4, 5, 8, 9])
    assert np.all(x[-1] == 1.0)  # 255 -> 1.0
    assert x.min() >= 0.0 and x.max() <= 1.0
    # an explicit path works too, and prefer_mnist=False ignores the file
    assert digits.load_digits_28(mnist_path=fake_mnist)[2] == "mnist"
    assert digits.load_digits_28(prefer_mnist=False)[2] == "sklearn-digits"


def test_upscale_digits_centres_and_bounds():
    img = np.zeros((1, 8, 8), np.float32)
    img[0, 3:5, 3:5] = 1.0
    out = digits.upscale_digits(img)
    assert out.shape == (1, 28, 28)
    assert out.min() >= 0.0 and out.max() <= 1.0
    rows, cols = np.nonzero(out[0] > 0.5)
    assert abs(rows.mean() - 13.5) < 1.0 and abs(cols.mean() - 13.5) < 1.0
    with pytest.raises(ValueError):
        digits.upscale_digits(img, size=16, digit_size=20)
