"""Shared fixtures: the real data sets in ../shared/datasets/."""

from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

try:
    from hypothesis import settings as _hypothesis_settings
except ImportError:  # hypothesis is a test extra; its tests skip without it
    _hypothesis_settings = None
else:
    # Property tests draw the same examples on every run (a failure found once is found
    # again, in CI too), and keep no example database in the working tree.
    _hypothesis_settings.register_profile("ensembles", derandomize=True, database=None)
    _hypothesis_settings.load_profile("ensembles")
    # What hypothesis still stores (its cache of source constants) goes to a temporary
    # directory, not to .hypothesis/ in the repository.
    import atexit
    import shutil
    import tempfile

    from hypothesis.configuration import set_hypothesis_home_dir

    _hypothesis_home = tempfile.mkdtemp(prefix="ensembles-hypothesis-")
    atexit.register(shutil.rmtree, _hypothesis_home, ignore_errors=True)
    set_hypothesis_home_dir(_hypothesis_home)

# Multi-threaded BLAS makes small linear models (stacking's final estimators, logistic
# regression baselines) many times slower on a 2-core machine shared with our own threads.
threadpool_limits(1)

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def pytest_collection_modifyitems(items):
    """Tests marked ``starts_first`` (a minute or more of compiling each) run before the
    rest: pytest-xdist hands out tests in collection order, and one of them started late
    keeps its worker busy while the others, done, wait."""
    items.sort(key=lambda item: item.get_closest_marker("starts_first") is None)


def dataset_path(name):
    """Path of a file in ../shared/datasets/, skipping the test when the folder is absent."""
    path = DATASETS / name
    if not path.exists():
        pytest.skip(f"real data set {name} not found in {DATASETS} (shared data folder absent)")
    return path


def load_tsv(name):
    """A tab-separated file with the label in column 0 (higgs7k, multiclass)."""
    data = np.loadtxt(dataset_path(name), delimiter="\t")
    return data[:, 1:], data[:, 0]


def load_housing():
    """California housing: 8 numeric features (NaN in total_bedrooms) + ordinal ocean code."""
    pd = pytest.importorskip("pandas")
    df = pd.read_csv(dataset_path("housing.csv"))
    y = df.pop("median_house_value").to_numpy(dtype=float)
    df["ocean_proximity"] = df["ocean_proximity"].astype("category").cat.codes
    return df.to_numpy(dtype=float), y
