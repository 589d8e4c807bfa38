"""Compile the numerical kernels ahead of the first fit.

The package build compiles the kernels of the common paths ahead of time (see
:doc:`../architecture`, "Start-up"), so that a first fit compiles nothing. Where that
build was skipped or failed, or the package's sources changed since, numba compiles a
kernel the first time it runs and caches the machine code on disk, so the first fit of
each kind of model in a fresh process spends seconds compiling. Where that first fit
matters (a service that starts in a new container, a notebook on a fresh machine), run
this once after installing, for example in a Docker image's build step::

    python -m ensembles.precompile --jobs -1

(``--jobs``: processes compiling side by side, -1 one per core.) It fits small models of
every estimator family on a few hundred rows, which compiles and caches what a plain fit
and its predictions run, so that later processes load the cached code instead. Optional
paths (categorical features, monotone or interaction constraints, feature weights,
quantized gradients, more than 256 bins, row sampling, the linear booster, sparse input,
forests' absolute error, monotonic constraints and categorical features, pruning) compile
on first use unless ``extras=True``. The cache is numba's: next to the installed modules,
or in ``NUMBA_CACHE_DIR`` when set (then set it to the same directory when the models are
fitted). This workload, with extras, is also the one whose kernels the build compiles
(:mod:`ensembles._engine.aot_build`).
"""

import argparse
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from numbers import Integral

import numpy as np

from ._engine.jit import fewer_collections
from ._threads import effective_n_jobs

__all__ = ["precompile"]


def _data(n_rows=300, n_features=4, seed=0):
    rng = np.random.default_rng(seed)
    # Fewer distinct values than bins, so that the codes are uint8 as on most data.
    X = np.round(rng.normal(size=(n_rows, n_features)), 1)
    X[rng.random(X.shape) < 0.05] = np.nan  # missing values take their own code paths
    y = np.nan_to_num(X[:, 0]) + 0.5 * np.nan_to_num(X[:, 1])
    return X, y


def _targets(data):
    """``(X, y, fit keyword arguments)`` by target kind: regression, binary, 3 classes,
    binary on float32 input, ranking, binary and regression with a categorical feature
    (column 3), binary and regression on sparse input, binary with a column of more
    distinct values than 256 bins hold (column 0)."""
    import scipy.sparse

    X, y = data
    X_cat = X.copy()
    X_cat[:, 3] = np.where(np.isnan(X[:, 3]), np.nan, np.floor(np.abs(X[:, 3]) * 3) % 6)
    X_fine = X.copy()
    X_fine[:, 0] += np.arange(len(X)) * 1e-6  # every present value distinct
    labels = (y > 0).astype(np.int64)
    grades = np.digitize(y, [-0.5, 0.5])
    queries = np.arange(len(y)) // 10
    return {"reg": (X, y, {}), "binary": (X, labels, {}), "multiclass": (X, grades, {}),
            "binary-f32": (X.astype(np.float32), labels, {}),
            "rank": (X, grades, {"qid": queries}), "binary-cat": (X_cat, labels, {}),
            "reg-cat": (X_cat, y, {}),
            "binary-sparse": (scipy.sparse.csr_matrix(np.nan_to_num(X)), labels, {}),
            "reg-sparse": (scipy.sparse.csr_matrix(np.nan_to_num(X)), y, {}),
            "binary-fine": (X_fine, labels, {})}


def _families(extras):
    """``(name, estimator factory, target kind)`` for every family to compile."""
    from . import (
        DecisionTreeClassifier,
        DecisionTreeRegressor,
        ExtraTreesClassifier,
        ExtraTreesRegressor,
        GradientBoostingClassifier,
        GradientBoostingRanker,
        GradientBoostingRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
    )

    # Four trees: forests of as many predict on their rows' bin codes.
    small = {"n_estimators": 4}
    families = [
        ("gradient boosting, regression", lambda: GradientBoostingRegressor(**small), "reg"),
        ("gradient boosting, classification",
         lambda: GradientBoostingClassifier(**small), "binary"),
        ("random forest, classification", lambda: RandomForestClassifier(**small), "binary"),
        ("random forest, regression", lambda: RandomForestRegressor(**small), "reg"),
        ("extra trees, classification", lambda: ExtraTreesClassifier(**small), "binary"),
        ("extra trees, regression", lambda: ExtraTreesRegressor(**small), "reg"),
        ("decision tree, classification", DecisionTreeClassifier, "binary"),
        ("decision tree, regression", DecisionTreeRegressor, "reg"),
        ("gradient boosting, 3 classes", lambda: GradientBoostingClassifier(**small),
         "multiclass"),
        ("gradient boosting, float32 input", lambda: GradientBoostingClassifier(**small),
         "binary-f32"),
        # Extra trees also read float32 values to place their thresholds; the rest of
        # the forest kernels see codes, as for float64.
        ("forests, float32 input", lambda: ExtraTreesClassifier(**small), "binary-f32"),
        # A lone tree walks the values (a forest, the rows' bin codes).
        ("decision tree, float32 input", DecisionTreeClassifier, "binary-f32"),
        ("gradient boosting, ranking", lambda: GradientBoostingRanker(**small), "rank"),
    ]
    if extras:
        families += [
            ("gradient boosting, monotone and interaction constraints",
             lambda: GradientBoostingRegressor(monotone_constraints=(1, 0, -1, 0),
                                               interaction_constraints=[[0, 1], [2, 3]],
                                               colsample_bynode=0.5, **small), "reg"),
            ("gradient boosting, categorical features",
             lambda: GradientBoostingClassifier(categorical_features=[3], **small),
             "binary-cat"),
            ("gradient boosting, quantized gradients",
             lambda: GradientBoostingClassifier(use_quantized_grad=True, **small), "binary"),
            ("gradient boosting, sparse input", lambda: GradientBoostingClassifier(**small),
             "binary-sparse"),
            # More than 256 bins take uint16 codes (forests stop at 256).
            ("gradient boosting, more than 256 bins",
             lambda: GradientBoostingClassifier(max_bin=1024, **small), "binary-fine"),
            # Rows left out of a round's sample are predicted on their codes.
            ("gradient boosting, row and column sampling",
             lambda: GradientBoostingClassifier(subsample=0.7, colsample_bytree=0.5,
                                                **small), "binary"),
            ("gradient boosting, linear booster",
             lambda: GradientBoostingRegressor(booster="gblinear", **small), "reg"),
            # Each kind of forest grows its trees with a node loop of its own.
            ("random forest, sparse input", lambda: RandomForestClassifier(**small),
             "binary-sparse"),
            ("random forest, sparse regression", lambda: RandomForestRegressor(**small),
             "reg-sparse"),
            ("extra trees, sparse input", lambda: ExtraTreesClassifier(**small),
             "binary-sparse"),
            ("extra trees, sparse regression", lambda: ExtraTreesRegressor(**small),
             "reg-sparse"),
            ("random forest, absolute error",
             lambda: RandomForestRegressor(criterion="absolute_error", **small), "reg"),
            ("extra trees, absolute error",
             lambda: ExtraTreesRegressor(criterion="absolute_error", **small), "reg"),
            ("decision tree, cost-complexity pruning",
             lambda: DecisionTreeClassifier(ccp_alpha=0.01), "binary"),
        ]
        # Forests with categorical features grow their trees with node loops of their own
        # too (single trees share them); monotonic constraints run in the plain ones, on
        # paths of their own.
        for name, forest in (("random forest", RandomForestClassifier),
                             ("random forest", RandomForestRegressor),
                             ("extra trees", ExtraTreesClassifier),
                             ("extra trees", ExtraTreesRegressor)):
            task = "reg" if forest in (RandomForestRegressor, ExtraTreesRegressor) else "binary"
            families += [
                (f"{name}, {task}, monotonic constraints",
                 lambda forest=forest: forest(monotonic_cst=[1, 0, -1, 0], **small), task),
                (f"{name}, {task}, categorical features",
                 lambda forest=forest: forest(categorical_features=[3], **small),
                 task + "-cat"),
            ]
    return families


def _stacked(X, times):
    """``X``'s rows ``times`` over (dense or sparse as ``X``)."""
    import scipy.sparse

    if scipy.sparse.issparse(X):
        return scipy.sparse.vstack([X] * times, format=X.format)
    return np.tile(X, (times, 1))


def _compile_families(extras, verbose, names=None):
    """Fit and predict with the families named in ``names`` (default: all of them);
    returns the wall time of each."""
    # Boosting grows every tree with one compiled team of threads (of one thread on few
    # rows), so one size of data compiles what every size and thread count runs.
    targets = _targets(_data())
    seconds = {}
    for name, make, kind in _families(extras):
        if names is not None and name not in names:
            continue
        start = time.perf_counter()
        X_fit, y_fit, fit_params = targets[kind]
        with fewer_collections():
            model = make().fit(X_fit, y_fit, **fit_params)
            model.predict(X_fit)  # few rows: forests walk their compact trees directly
            model.predict(X_fit[:1])
            model.predict(_stacked(X_fit, 4))  # many: forests build routing arrays first
            for method in ("predict_proba", "apply", "predict_contribs"):
                # (The linear booster has no trees, so no leaves to apply.)
                if hasattr(model, method) and not (
                        method == "apply" and getattr(model, "booster", None) == "gblinear"):
                    getattr(model, method)(X_fit)
        seconds[name] = time.perf_counter() - start
        if verbose:
            print(f"{name}: {seconds[name]:.1f} s", flush=True)
    return seconds


def precompile(extras=False, verbose=False, n_jobs=1):
    """Compile and cache the kernels of every estimator family's fit and predictions.

    Parameters
    ----------
    extras : bool, default=False
        Also compile the optional paths of gradient boosting (monotone and interaction
        constraints, weighted column sampling, categorical features, quantized
        gradients, more than 256 bins, row sampling, the linear booster), sparse input,
        and forests' absolute error, monotonic constraints and categorical features, and
        cost-complexity pruning.
    verbose : bool, default=False
        Print each family and the seconds it took.
    n_jobs : int, default=1
        Processes that compile side by side (a compile runs on one core), at most one
        per core; negative as in scikit-learn (-1: one per core, -2: all cores but
        one). Each takes the next family when it is done with one, extra trees' first
        (their node loops take longest to compile), so that they finish together. They
        write to the same cache; a kernel that two families compiling at once use is
        compiled by both, and a last pass in this process compiles what their writes at
        once to the cache lost.

    Returns
    -------
    seconds : dict of str to float
        Wall time per family (about zero for what was cached already).
    """
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, Integral) or n_jobs == 0:
        raise ValueError(f"n_jobs must be a non-zero integer (-1: one process per core); "
                         f"got {n_jobs!r}.")
    n_jobs = min(effective_n_jobs(n_jobs), len(_families(extras)))
    if n_jobs == 1:
        return _compile_families(extras, verbose)
    # Fresh interpreters ("spawn"): a forked child would inherit this process's numba
    # state and threads.
    context = multiprocessing.get_context("spawn")
    names = [name for name, _, _ in _families(extras)]
    slowest_first = sorted(names, key=lambda name: not name.startswith("extra trees"))
    with ProcessPoolExecutor(n_jobs, mp_context=context) as pool:
        tasks = [pool.submit(_compile_families, extras, verbose, (name,))
                 for name in slowest_first]
        seconds = {}
        for task in tasks:
            seconds.update(task.result())
    # numba rewrites a kernel's cache index (its list of compiled signatures) whole, so
    # two processes saving signatures of one kernel at once can drop one: a last pass
    # here loads the rest and compiles what was dropped.
    _compile_families(extras, False)
    # In the families' order, as one process reports them.
    return {name: seconds[name] for name, _, _ in _families(extras)}


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m ensembles.precompile",
        description="Compile and cache the numba kernels of every estimator family, so "
                    "that the first fit in a later process does not compile them.")
    parser.add_argument("--extras", action="store_true",
                        help="also compile constraints, weighted column sampling, "
                             "categorical features, quantized gradients, more than 256 "
                             "bins, row sampling and the linear booster in gradient "
                             "boosting, sparse input, forests' absolute error and "
                             "pruning")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="compile in N processes side by side, each taking the next "
                             "family when done (-1: one per core, -2: all but one; "
                             "default 1)")
    parser.add_argument("--quiet", action="store_true", help="print nothing")
    args = parser.parse_args(argv)
    if args.jobs == 0:
        parser.error("--jobs must be a non-zero integer (-1: one process per core)")
    start = time.perf_counter()
    precompile(extras=args.extras, verbose=not args.quiet, n_jobs=args.jobs)
    if not args.quiet:
        print(f"total: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
