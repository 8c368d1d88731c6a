"""pytest set-up: the module is imported from the build's python/ folder (PYTHONPATH, set by
ctest; else $SLMSIM_BUILD_DIR/python or build/python)."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("SLMSIM_BUILD_DIR", os.path.join(ROOT, "build"))
PYDIR = os.path.join(BUILD, "python")
if PYDIR not in sys.path:
    sys.path.insert(0, PYDIR)
# Worker processes (sweep pools, Dask workers, notebook kernels) import it too.
if PYDIR not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
    os.environ["PYTHONPATH"] = PYDIR + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else "")

# A small, fast run: the Arm demo platform with the stories260K shape (synthetic weights),
# a few positions. Every API test uses it.
TINY = dict(config="mcu-ethos-u85", model="stories260K", precision="w8a16", steps=4)


@pytest.fixture(scope="session")
def slmsim():
    import slmsim as m
    return m


@pytest.fixture(scope="session")
def tiny_report(slmsim):
    return slmsim.run(**TINY)


def child_env():
    """Environment for subprocesses (sweep workers, the CLI) that import the module."""
    env = dict(os.environ)
    env["PYTHONPATH"] = PYDIR + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env
