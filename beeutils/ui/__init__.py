"""Plots and widgets for the notebooks.

Nothing is imported here: import the module you need.
"""
