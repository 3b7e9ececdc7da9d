"""Stage 2, representation and waveform: STFT, representations and their inverses, phase, oscillators.

Nothing is imported here: import the module you need.
"""
