"""Handwritten digits for notebook 01, offline.

MNIST is used when its file is already cached where Keras keeps it
(``~/.keras/datasets/mnist.npz``); otherwise scikit-learn's bundled 8x8
digits (1797 images, shipped inside the scikit-learn package) are upscaled to
MNIST's 28x28 layout.  Nothing is ever downloaded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["MNIST_CACHE", "SOURCES", "load_digits_28", "upscale_digits"]

#: Where ``keras.datasets.mnist.load_data()`` caches MNIST.
MNIST_CACHE = Path("~/.keras/datasets/mnist.npz").expanduser()

#: A sentence per data source, for notebooks to print.
SOURCES = {
    "mnist": "MNIST (70,000 handwritten digits, 28x28), read from the local Keras cache",
    "sklearn-digits": (
        "scikit-learn's bundled 8x8 digits (1,797 images) upscaled to 28x28, because "
        "MNIST is not cached locally and nothing is downloaded"
    ),
}


def upscale_digits(images: np.ndarray, size: int = 28, digit_size: int = 20) -> np.ndarray:
    """Upscale small digit images into MNIST's layout.

    MNIST digits fit a 20x20 box centred in a 28x28 frame; the 8x8 digits
    fill their whole frame.  Each image is resized to ``digit_size`` with
    cubic interpolation and centred in a ``size x size`` black frame.

    Args:
        images: ``(n, h, w)`` intensities in [0, 1].
        size: output frame size in pixels.
        digit_size: size of the digit box inside the frame.

    Returns:
        float32 ``(n, size, size)`` in [0, 1].
    """
    from scipy.ndimage import zoom

    images = np.asarray(images, dtype=np.float32)
    n, h, w = images.shape
    if digit_size > size:
        raise ValueError(f"digit_size ({digit_size}) larger than the frame ({size})")
    scaled = zoom(images, (1, digit_size / h, digit_size / w), order=3)
    out = np.zeros((n, size, size), dtype=np.float32)
    top = (size - scaled.shape[1]) // 2
    left = (size - scaled.shape[2]) // 2
    out[:, top : top + scaled.shape[1], left : left + scaled.shape[2]] = scaled
    # Cubic interpolation overshoots slightly; keep intensities in [0, 1].
    return np.clip(out, 0.0, 1.0)


def _load_mnist(path: Path) -> tuple[np.ndarray, np.ndarray]:
    # Read the cached file directly (what keras.datasets.mnist.load_data does
    # after locating it): no code path here can start a download.
    with np.load(path, allow_pickle=False) as data:
        x = np.concatenate([data["x_train"], data["x_test"]])
        y = np.concatenate([data["y_train"], data["y_test"]])
    return x.astype(np.float32) / 255.0, y.astype(np.int64)


def _load_sklearn_digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()  # bundled with scikit-learn, read from its package folder
    x = bunch.images.astype(np.float32) / 16.0  # intensities 0..16
    return upscale_digits(x), bunch.target.astype(np.int64)


def load_digits_28(
    prefer_mnist: bool = True,
    n: int | None = None,
    seed: int = 0,
    mnist_path: str | Path | None = None,
) -> tuple[np.ndarray, np.ndarray, str]:
    """Digits as Keras images, offline.

    Args:
        prefer_mnist: use MNIST when its file exists locally.
        n: keep a random subset of this many images (None: all).
        seed: seed of the subset choice.
        mnist_path: MNIST ``.npz`` to look for (default ``MNIST_CACHE``).

    Returns:
        ``(x, y, source)``: ``x`` float32 ``(n, 28, 28, 1)`` in [0, 1], ``y``
        int64 labels 0-9 ``(n,)``, ``source`` ``"mnist"`` or
        ``"sklearn-digits"`` (a key of ``SOURCES``).
    """
    path = Path(mnist_path) if mnist_path is not None else MNIST_CACHE
    if prefer_mnist and path.is_file():
        x, y = _load_mnist(path)
        source = "mnist"
    else:
        x, y = _load_sklearn_digits()
        source = "sklearn-digits"
    if n is not None:
        if n < 1:
            raise ValueError(f"n must be positive, got {n}")
        keep = np.random.default_rng(seed).permutation(len(x))[: min(n, len(x))]
        x, y = x[keep], y[keep]
    return x[..., None].astype(np.float32), y, source
