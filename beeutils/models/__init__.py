"""Stage 3, models: layers, losses, the VAE-GAN, the oscillator-bank model, the kind classifier.

Nothing is imported here: import the module you need.
"""
