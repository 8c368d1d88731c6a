"""`python3 -m slmsim.sweep ...`: the sweep command line, what `slmsim sweep` runs
(`--help` for its options, docs/sweeps.md). The Python API is `slmsim.sweep()`."""
import sys

from ._sweep import main

if __name__ == "__main__":
    sys.exit(main())
