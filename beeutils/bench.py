"""``python -m beeutils.bench``: the benchmark behind the README's results table.

The measurements live in ``beeutils.evaluation.bench``; this module is the
command line.
"""

from beeutils.evaluation.bench import main

if __name__ == "__main__":
    raise SystemExit(main())
