"""Shared fixtures: the real data sets in ../shared/datasets/."""

from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

# Multi-threaded BLAS makes small linear models (stacking's final estimators, logistic
# regression baselines) many times slower on a 2-core machine shared with our own threads.
threadpool_limits(1)

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


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
