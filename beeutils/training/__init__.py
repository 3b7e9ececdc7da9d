"""Stage 4, training: one fit, diagnostics of non-finite losses, distributed training.

Nothing is imported here: import the module you need.
"""
