"""The notebooks run headless (nbclient + ipykernel) and each writes a non-blank PNG."""
import glob
import os

import numpy as np
import pytest

from conftest import ROOT

NOTEBOOKS = {
    "01_dse_ethos_u85.ipynb": ["dse_pareto.png"],
    "02_energy_breakdown.ipynb": ["energy_breakdown.png"],
    "03_bit_exactness.ipynb": ["bit_exactness.png"],
    "04_roofline.ipynb": ["roofline.png"],
    "05_siracusa_cluster.ipynb": ["siracusa_cluster.png"],
}
NB_DIR = os.path.join(ROOT, "python", "notebooks")


def test_every_notebook_is_listed_and_has_no_outputs():
    import nbformat
    found = sorted(os.path.basename(p) for p in glob.glob(os.path.join(NB_DIR, "*.ipynb")))
    assert found == sorted(NOTEBOOKS)
    for name in found:
        nb = nbformat.read(os.path.join(NB_DIR, name), as_version=4)
        for c in nb.cells:
            if c.cell_type == "code":
                assert c.outputs == [] and c.execution_count is None, f"{name}: committed with outputs"


def not_blank(path):
    import matplotlib.image as mpimg
    img = mpimg.imread(path)
    rgb = img[..., :3].astype(float)
    # More than a blank canvas: a real share of pixels differs from the background, in colour.
    bg = np.median(rgb.reshape(-1, 3), axis=0)
    differ = np.abs(rgb - bg).sum(axis=-1) > 0.1
    return img.shape[0] >= 100 and img.shape[1] >= 100 and differ.mean() > 0.01 and rgb.std() > 0.02


def test_blank_detector_can_fail(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig = plt.figure(figsize=(3, 3))
    fig.savefig(tmp_path / "blank.png")
    plt.close(fig)
    assert not not_blank(tmp_path / "blank.png")


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_notebook_executes_and_writes_png(name, tmp_path, monkeypatch):
    import nbclient
    import nbformat
    out = tmp_path / "out"
    monkeypatch.setenv("SLMSIM_NOTEBOOK_OUT", str(out))
    monkeypatch.setenv("SLMSIM_NOTEBOOK_FULL", "0")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(os.path.join(NB_DIR, name), as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    for png in NOTEBOOKS[name]:
        p = out / png
        assert p.exists(), f"{name} did not write {png}"
        assert not_blank(p), f"{png} is blank"
