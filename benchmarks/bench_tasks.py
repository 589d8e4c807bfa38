"""Benchmark tasks: real data sets and synthetic scale series.

Every loader returns a :class:`Data` with float64 feature matrices (NaN marks a missing
value), integer class labels ``0..K-1`` for classification and float targets for
regression, already split into a training and a test part. Categorical columns are
ordinal-encoded here, once, so every library sees exactly the same numbers: no library's
native categorical handling is used.

Only numpy and scikit-learn are imported at module level, so the harness and its tests
run without pandas or any peer library.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: Fixed seed for every split and every synthetic generator.
SEED = 0

#: Features of the synthetic series (28, like HIGGS and issue 2's benchmark).
SYNTH_FEATURES = 28
# Wide tables: about as many features as rows (2,000 x 2,000 in the forest-wide suite).
WIDE_FEATURES = 2000


@dataclass
class Data:
    """One task's data, split into training and test parts.

    Attributes
    ----------
    X_train, X_test : ndarray of shape (n, n_features), float64
    y_train, y_test : ndarray of shape (n,)
    kind : {"binary", "multiclass", "regression", "ranking"}
    categorical : list of str
        Names of the ordinal-encoded categorical columns (informational).
    group_train, group_test : ndarray of int or None
        Sizes of the consecutive query groups (ranking tasks only).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    kind: str
    categorical: list = field(default_factory=list)
    group_train: np.ndarray | None = None
    group_test: np.ndarray | None = None

    @property
    def n_features(self):
        return self.X_train.shape[1]


@dataclass(frozen=True)
class TaskSpec:
    """Static description of a task (what the README table shows).

    Attributes
    ----------
    name : str
    kind : {"binary", "multiclass", "regression", "ranking"}
    source : {"sklearn", "shared", "synthetic"}
        ``"sklearn"`` data ship with scikit-learn, ``"shared"`` data live in
        ``../shared/datasets``, ``"synthetic"`` data are generated at a given size.
    description : str
    """

    name: str
    kind: str
    source: str
    description: str


TASKS = {
    t.name: t
    for t in [
        TaskSpec("breast_cancer", "binary", "sklearn", "sklearn load_breast_cancer, 75/25 split"),
        TaskSpec("digits", "multiclass", "sklearn", "sklearn load_digits (10 classes), 75/25"),
        TaskSpec("wine", "multiclass", "sklearn", "sklearn load_wine (3 classes), 75/25"),
        TaskSpec("diabetes", "regression", "sklearn", "sklearn load_diabetes, 75/25 split"),
        TaskSpec("higgs7k", "binary", "shared", "HIGGS subset, given train/test files"),
        TaskSpec("multiclass", "multiclass", "shared", "5 classes, given train/test files"),
        TaskSpec("agaricus", "binary", "shared", "UCI Mushroom one-hot, given train/test"),
        TaskSpec("adult", "binary", "shared", "income >50K; 8 categorical columns, 75/25"),
        TaskSpec("housing", "regression", "shared", "California housing; 1 categorical, NaNs"),
        TaskSpec("titanic", "binary", "shared", "Survived; 3 categorical, NaNs, 75/25"),
        TaskSpec("machine", "regression", "shared", "CPU performance (PRP); 1 categorical"),
        TaskSpec("rank", "ranking", "shared", "LightGBM's lambdarank example: 300 features, "
                 "graded labels, query groups; given train/test"),
        TaskSpec("synth-clf", "binary", "synthetic", "make_classification, 28 features"),
        TaskSpec("synth-clf10", "binary", "synthetic", "make_classification, 10 features"),
        TaskSpec("synth-reg", "regression", "synthetic", "make_regression, 28 features"),
        TaskSpec("synth-clf-wide", "binary", "synthetic",
                 f"make_classification, {WIDE_FEATURES:,} features"),
        TaskSpec("synth-reg-wide", "regression", "synthetic",
                 f"make_regression, {WIDE_FEATURES:,} features"),
    ]
}


def default_datasets_dir():
    """``../shared/datasets`` relative to the repository root."""
    return Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def available_tasks(datasets_dir=None):
    """Names of the tasks whose data can be loaded on this machine."""
    datasets_dir = Path(datasets_dir) if datasets_dir else default_datasets_dir()
    return [
        name
        for name, spec in TASKS.items()
        if spec.source != "shared" or all((datasets_dir / f).exists() for f in _FILES[name])
    ]


def n_test_rows(size):
    """Test rows for a synthetic size: a quarter of the training rows, at least 1000."""
    return max(size // 4, 1000)


def load_task(name, size=None, datasets_dir=None, cache_dir=None):
    """Load a task's data.

    Parameters
    ----------
    name : str
        A key of :data:`TASKS`.
    size : int, optional
        Training rows; required for synthetic tasks, ignored for real ones.
    datasets_dir : path, optional
        Folder of the shared real data sets (default ``../shared/datasets``).
    cache_dir : path, optional
        Where generated synthetic data are stored as ``.npy`` files and looked up again,
        so a series of runs generates each size once. ``None`` generates in memory.

    Returns
    -------
    Data
    """
    if name not in TASKS:
        raise ValueError(f"task must be one of {sorted(TASKS)}, got {name!r}")
    spec = TASKS[name]
    if spec.source == "synthetic":
        if size is None or int(size) < 10:
            raise ValueError(f"size must be an integer >= 10 for task {name!r}, got {size!r}")
        return _load_synthetic(name, int(size), cache_dir)
    if spec.source == "sklearn":
        return _load_sklearn(name)
    datasets_dir = Path(datasets_dir) if datasets_dir else default_datasets_dir()
    missing = [f for f in _FILES[name] if not (datasets_dir / f).exists()]
    if missing:
        raise FileNotFoundError(f"task {name!r} needs {missing} in {datasets_dir}")
    return _SHARED_LOADERS[name](datasets_dir)


# --------------------------------------------------------------------------- synthetic


def _generate(name, size):
    from sklearn.datasets import make_classification, make_regression

    n = size + n_test_rows(size)
    if name == "synth-clf":
        X, y = make_classification(
            n_samples=n,
            n_features=SYNTH_FEATURES,
            n_informative=10,
            n_redundant=5,
            random_state=SEED,
        )
        y = y.astype(np.int64)
    elif name == "synth-clf10":
        X, y = make_classification(n_samples=n, n_features=10, n_informative=5, n_redundant=2,
                                   random_state=SEED)
        y = y.astype(np.int64)
    elif name == "synth-clf-wide":
        X, y = make_classification(n_samples=n, n_features=WIDE_FEATURES, n_informative=20,
                                   random_state=SEED)
        y = y.astype(np.int64)
    elif name == "synth-reg-wide":
        X, y = make_regression(n_samples=n, n_features=WIDE_FEATURES, n_informative=20,
                               noise=10.0, random_state=SEED)
    else:
        X, y = make_regression(
            n_samples=n, n_features=SYNTH_FEATURES, n_informative=14, noise=10.0,
            random_state=SEED,
        )
    # The generators shuffle the rows, so a head/tail split is a random split.
    return X[:size], y[:size], X[size:], y[size:]


def synthetic_cache_path(name, size, cache_dir):
    """Folder holding the cached arrays of one synthetic (task, size)."""
    return Path(cache_dir) / f"{name}-{size}"


def _load_synthetic(name, size, cache_dir):
    kind = TASKS[name].kind
    parts = ("X_train", "y_train", "X_test", "y_test")
    if cache_dir is None:
        return Data(*_generate(name, size), kind=kind)
    folder = synthetic_cache_path(name, size, cache_dir)
    if not all((folder / f"{p}.npy").exists() for p in parts):
        folder.mkdir(parents=True, exist_ok=True)
        for part, array in zip(parts, _generate(name, size), strict=True):
            # Write then rename, so an interrupted run never leaves a truncated array.
            tmp = folder / f"{part}.tmp.npy"
            np.save(tmp, array)
            os.replace(tmp, folder / f"{part}.npy")
    return Data(*(np.load(folder / f"{p}.npy") for p in parts), kind=kind)


# --------------------------------------------------------------------------- bundled


def _split(X, y, kind):
    from sklearn.model_selection import train_test_split

    stratify = y if kind != "regression" else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=SEED, stratify=stratify
    )
    return X_train, y_train, X_test, y_test


def _load_sklearn(name):
    from sklearn import datasets

    loader = {
        "breast_cancer": datasets.load_breast_cancer,
        "digits": datasets.load_digits,
        "wine": datasets.load_wine,
        "diabetes": datasets.load_diabetes,
    }[name]
    X, y = loader(return_X_y=True)
    kind = TASKS[name].kind
    y = y.astype(np.float64) if kind == "regression" else y.astype(np.int64)
    return Data(*_split(X.astype(np.float64), y, kind), kind=kind)


# --------------------------------------------------------------------------- shared files

_FILES = {
    "higgs7k": ["higgs7k.train", "higgs7k.test"],
    "multiclass": ["multiclass.train", "multiclass.test"],
    "agaricus": ["agaricus.txt.train", "agaricus.txt.test"],
    "adult": ["adult.csv"],
    "housing": ["housing.csv"],
    "titanic": ["titanic.csv"],
    "machine": ["machine.data"],
    "rank": ["rank.train", "rank.train.query", "rank.test", "rank.test.query"],
}


def _label_first_tsv(path):
    table = np.loadtxt(path, delimiter="\t", dtype=np.float64)
    return table[:, 1:], table[:, 0]


def _train_test_files(folder, stem, kind):
    X_train, y_train = _label_first_tsv(folder / f"{stem}.train")
    X_test, y_test = _label_first_tsv(folder / f"{stem}.test")
    return Data(X_train, y_train.astype(np.int64), X_test, y_test.astype(np.int64), kind=kind)


def _load_agaricus(folder):
    from sklearn.datasets import load_svmlight_file

    # 1-based indices; fixing n_features keeps train and test aligned.
    parts = [
        load_svmlight_file(str(folder / f), n_features=126, zero_based=False)
        for f in _FILES["agaricus"]
    ]
    (Xa, ya), (Xb, yb) = parts
    return Data(
        Xa.toarray(), ya.astype(np.int64), Xb.toarray(), yb.astype(np.int64), kind="binary"
    )


def _read_csv(path, header=True):
    with open(path, newline="") as fh:
        rows = [r for r in csv.reader(fh) if r]
    names = rows[0] if header else [str(i) for i in range(len(rows[0]))]
    body = rows[1:] if header else rows
    return {name: [r[i].strip() for r in body] for i, name in enumerate(names)}


def _numeric(values):
    return np.array([float(v) if v not in ("", "?", "NA") else np.nan for v in values])


def _ordinal(values):
    """Codes 0..k-1 in sorted order of the category strings; empty strings become NaN."""
    levels = sorted({v for v in values if v not in ("", "?")})
    code = {v: float(i) for i, v in enumerate(levels)}
    return np.array([code.get(v, np.nan) for v in values])


def _table(columns, numeric, categorical):
    X = np.column_stack(
        [_numeric(columns[c]) for c in numeric] + [_ordinal(columns[c]) for c in categorical]
    )
    return X.astype(np.float64)


def _load_adult(folder):
    cols = _read_csv(folder / "adult.csv")
    numeric = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hr_per_week"]
    categorical = [
        "type_employer", "education", "marital", "occupation", "relationship", "race", "sex",
        "country",
    ]
    X = _table(cols, numeric, categorical)
    y = np.array([v == ">50K" for v in cols["income"]], dtype=np.int64)
    return Data(*_split(X, y, "binary"), kind="binary", categorical=categorical)


def _load_housing(folder):
    cols = _read_csv(folder / "housing.csv")
    numeric = [
        "longitude", "latitude", "housing_median_age", "total_rooms", "total_bedrooms",
        "population", "households", "median_income",
    ]
    X = _table(cols, numeric, ["ocean_proximity"])
    y = _numeric(cols["median_house_value"])
    return Data(*_split(X, y, "regression"), kind="regression", categorical=["ocean_proximity"])


def _load_titanic(folder):
    cols = _read_csv(folder / "titanic.csv")
    # Identifiers (PassengerId, Name, Ticket) carry no signal a tree can use; the cabin
    # number is reduced to its deck letter.
    cols["Deck"] = [c[:1] for c in cols["Cabin"]]
    categorical = ["Sex", "Embarked", "Deck"]
    X = _table(cols, ["Pclass", "Age", "SibSp", "Parch", "Fare"], categorical)
    y = _numeric(cols["Survived"]).astype(np.int64)
    return Data(*_split(X, y, "binary"), kind="binary", categorical=categorical)


def _load_machine(folder):
    cols = _read_csv(folder / "machine.data", header=False)
    # Columns: vendor, model, MYCT, MMIN, MMAX, CACH, CHMIN, CHMAX, PRP, ERP. The model
    # name is a unique identifier and ERP is the original paper's prediction of PRP, so
    # both are left out.
    X = _table(cols, ["2", "3", "4", "5", "6", "7"], ["0"])
    y = _numeric(cols["8"])
    return Data(*_split(X, y, "regression"), kind="regression", categorical=["vendor"])


def _load_rank(folder):
    from sklearn.datasets import load_svmlight_file

    X_train, y_train = load_svmlight_file(str(folder / "rank.train"))
    X_test, y_test = load_svmlight_file(str(folder / "rank.test"),
                                        n_features=X_train.shape[1])
    groups = [np.loadtxt(folder / f"rank.{part}.query", dtype=np.int64).reshape(-1)
              for part in ("train", "test")]
    return Data(X_train.toarray(), y_train, X_test.toarray(), y_test, kind="ranking",
                group_train=groups[0], group_test=groups[1])


_SHARED_LOADERS = {
    "higgs7k": lambda d: _train_test_files(d, "higgs7k", "binary"),
    "multiclass": lambda d: _train_test_files(d, "multiclass", "multiclass"),
    "agaricus": _load_agaricus,
    "adult": _load_adult,
    "housing": _load_housing,
    "titanic": _load_titanic,
    "machine": _load_machine,
    "rank": _load_rank,
}
