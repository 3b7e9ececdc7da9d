"""Stage 5, measuring: metrics, one evaluator for every approach, the benchmark.

Nothing is imported here: import the module you need.
"""
