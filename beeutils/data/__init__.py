"""Stage 1, sound: audio files, the synthetic corpus, readers of recordings, streaming.

Nothing is imported here: import the module you need.
"""
