"""beeutils: helpers for the bee-sound VAE-GAN notebook series.

Importing the package is cheap: TensorFlow and Keras are imported only by the
modules that need them (``spectral``'s TensorFlow functions, ``models``,
``phase`` ...), never here.
"""

from beeutils.config import Settings, settings, setup

__all__ = ["Settings", "settings", "setup"]
__version__ = "0.1.0"
