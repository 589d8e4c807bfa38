"""Real data sets shared by the tree and forest tests (small, cached subsets)."""

import functools

import numpy as np
import pytest

from .conftest import dataset_path, load_housing, load_tsv


@functools.cache
def higgs():
    """All 7,500 rows of higgs7k (train and test files together)."""
    X_train, y_train = load_tsv("higgs7k.train")
    X_test, y_test = load_tsv("higgs7k.test")
    return np.vstack([X_train, X_test]), np.concatenate([y_train, y_test]).astype(int)


@functools.cache
def adult(n_rows=8000):
    """A random subset of UCI Adult; categorical columns as integer codes."""
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(dataset_path("adult.csv"))
    y = frame.pop("income").str.strip().str.startswith(">50K").to_numpy(dtype=int)
    for column in frame.select_dtypes(exclude="number").columns:
        frame[column] = frame[column].astype("category").cat.codes
    rows = np.random.RandomState(0).choice(len(frame), n_rows, replace=False)
    return frame.to_numpy(dtype=float)[rows], y[rows]


@functools.cache
def housing(n_rows=8000):
    """A random subset of California housing (NaN kept in total_bedrooms), target in 1e5."""
    X, y = load_housing()
    rows = np.random.RandomState(0).choice(len(X), n_rows, replace=False)
    return X[rows], y[rows] / 1e5
