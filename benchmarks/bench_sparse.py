"""The ``sparse`` suite: boosting on a large sparse matrix against XGBoost on the same matrix.

``python benchmarks/run.py --suite sparse`` (or this file directly) fits a binary
classifier on a scipy CSR matrix of ``--rows`` rows (default 10^5; issue 13's target size
is 10^6) and 10^4 columns with ten stored entries per row, bag-of-words-like: small counts
(1 to 4) in random columns, a target carried by 2,000 of the columns. The matrix is never
densified (10^6 x 10^4 would be 80 GB of floats).

Estimators, with the boosting family's parameters (100 trees, depth 6, learning rate 0.1,
256 bins, 2 threads): ``ensembles-gb`` (:class:`ensembles.GradientBoostingClassifier`) and
``xgboost`` (``XGBClassifier(tree_method="hist")``). XGBoost reads absent entries as
missing, ``ensembles`` as zeros, so the models differ; the test ROC AUC of both is shown.

Every estimator runs in a fresh process that builds the matrix, fits a small warm-up model
(numba's compilation, kept out of the fit time), then fits ``--repeats`` times. Reported:
the median fit time and its ratio to XGBoost's; the fit's memory, *fit +MB* (peak resident
memory during the fit, from a reset high-water mark, minus the memory before it), and its
ratio to the matrix's own bytes (values, column indices and row pointers). Issue 13's
targets: fit +MB <= 3x the matrix, fit time <= 1.5x XGBoost's. Results go to
``benchmarks/results/sparse.json`` and ``.md``.

With ``--wide`` (``python benchmarks/run.py --suite wide``) the matrix is instead a dense
float32 table of 50 rows and 100,000 columns (``--rows`` and ``--features`` change it), a
label from two of the columns, fitted for 5 rounds: issue 12's wide-data case, whose
targets are fit time and fit +MB each at most XGBoost's. Results go to
``benchmarks/results/wide.json`` and ``.md``.

With ``--forest`` (``python benchmarks/bench_sparse.py --forest``) the same sparse matrix
fits random forests and extra trees against scikit-learn's on the same CSR matrix:
``ensembles-rf`` and ``sklearn-rf`` (``RandomForestClassifier``), ``ensembles-et`` and
``sklearn-et`` (``ExtraTreesClassifier``), all with ``FOREST_PARAMS`` (10 trees,
``max_features="sqrt"``, ``min_samples_leaf=5``, ``max_depth=20``: scikit-learn's fit
finishes in minutes at 10^6 rows) and 2 threads. Reported besides the fit's: the median
predict time of the test rows (CSR), both ratios to scikit-learn's counterpart, and the
mean nodes per tree (``ensembles``' forests keep examining features past
``max_features`` until a node has a valid split, scikit-learn's stop at ``max_features``
features, so on sparse data the same parameters grow larger trees here). Issue
13's targets at 10^6 rows: fit +MB <= 3x the matrix, fit time <= 1.5x scikit-learn's.
Results go to ``benchmarks/results/sparse-forest.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

# This checkout's ensembles, not an installed one.
sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from bench_child import current_rss_mb, peak_since_reset_mb, reset_peak  # noqa: E402

ESTIMATORS = ("ensembles-gb", "xgboost")
FOREST_ESTIMATORS = ("ensembles-rf", "sklearn-rf", "ensembles-et", "sklearn-et")
FOREST_PARAMS = {"n_estimators": 10, "max_features": "sqrt", "min_samples_leaf": 5,
                 "max_depth": 20, "random_state": 0}
# Each forest's reference: scikit-learn's estimator of the same kind.
FOREST_REFERENCE = {"ensembles-rf": "sklearn-rf", "sklearn-rf": "sklearn-rf",
                    "ensembles-et": "sklearn-et", "sklearn-et": "sklearn-et"}
PARAMS = {"n_estimators": 100, "max_depth": 6, "learning_rate": 0.1, "max_bin": 256}
N_FEATURES = 10_000
PER_ROW = 10
N_INFORMATIVE = 2000
WIDE_ROWS = 50
WIDE_FEATURES = 100_000
WIDE_TREES = 5
SEED = 0
MB = 1024.0 * 1024.0


def make_matrix(n_rows, n_features=N_FEATURES, per_row=PER_ROW, seed=SEED):
    """The CSR matrix and binary target: ``per_row`` counts per row in random columns
    (duplicates summed), the label a noisy function of the first ``N_INFORMATIVE``
    columns."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    columns = rng.integers(0, n_features, size=(n_rows, per_row), dtype=np.int32)
    columns.sort(axis=1)
    values = rng.integers(1, 5, size=n_rows * per_row).astype(np.float64)
    X = sp.csr_matrix((values, columns.ravel(), np.arange(0, n_rows * per_row + 1, per_row,
                                                           dtype=np.int64)),
                      shape=(n_rows, n_features))
    X.sum_duplicates()
    effect = rng.normal(0, 1, n_features)
    effect[N_INFORMATIVE:] = 0.0
    margin = X @ effect
    y = (margin + rng.logistic(0, 0.5, n_rows) > np.median(margin)).astype(np.int64)
    return X, y


def make_wide(n_rows, n_features=WIDE_FEATURES, seed=SEED):
    """The wide table: standard normal float32 values, the label the sign of the sum of
    the first two columns with a little noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, n_features)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] + 0.3 * rng.normal(size=n_rows) > 0).astype(np.int64)
    return X, y


def matrix_mb(X):
    if isinstance(X, np.ndarray):
        return X.nbytes / MB
    return (X.data.nbytes + X.indices.nbytes + X.indptr.nbytes) / MB


def build(name, threads):
    if name == "ensembles-gb":
        from ensembles import GradientBoostingClassifier

        return GradientBoostingClassifier(**PARAMS, n_jobs=threads)
    if name == "xgboost":
        import xgboost

        return xgboost.XGBClassifier(**PARAMS, tree_method="hist", n_jobs=threads)
    if name in FOREST_ESTIMATORS:
        if name.startswith("ensembles"):
            import ensembles as library
        else:
            import sklearn.ensemble as library
        kind = "RandomForestClassifier" if name.endswith("rf") else "ExtraTreesClassifier"
        return getattr(library, kind)(**FOREST_PARAMS, n_jobs=threads)
    raise ValueError(f"unknown estimator {name!r}; choose from {ESTIMATORS}")


def child(name, rows, threads, repeats, wide_features=0):
    """Run one estimator and print its result as JSON (on the wide table when
    ``wide_features``)."""
    from sklearn.metrics import roc_auc_score

    n = rows + max(rows // 4, 20)
    X, y = make_wide(n, wide_features) if wide_features else make_matrix(n)
    X_train, y_train, X_test, y_test = X[:rows], y[:rows], X[rows:], y[rows:]
    warm = build(name, threads).set_params(n_estimators=2)
    t0 = time.perf_counter()
    warm.fit(X_train[:2000, :1000] if wide_features else X_train[:2000], y_train[:2000])
    warmup = time.perf_counter() - t0
    del warm
    times, extra, predict_times = [], [], []
    for _ in range(repeats):
        model = build(name, threads)
        before = current_rss_mb()
        scoped = reset_peak()
        t0 = time.perf_counter()
        model.fit(X_train, y_train)
        times.append(time.perf_counter() - t0)
        extra.append(peak_since_reset_mb() - before if scoped and before else None)
        t0 = time.perf_counter()
        proba = model.predict_proba(X_test)
        predict_times.append(time.perf_counter() - t0)
    auc = roc_auc_score(y_test, proba[:, 1])
    # Forests: mean nodes per tree (the same parameters can grow trees of other sizes).
    members = getattr(model, "estimators_", None)
    nodes = (float(np.mean([getattr(e, "tree_", e).node_count for e in members]))
             if members is not None and name in FOREST_ESTIMATORS else None)
    fit_mb = max((e for e in extra if e is not None), default=None)
    print(json.dumps({
        "estimator": name, "rows": rows, "fit_s": float(np.median(times)),
        "fit_times": times, "warmup_s": warmup, "auc": float(auc),
        "predict_s": float(np.median(predict_times)), "predict_times": predict_times,
        "nodes_per_tree": nodes,
        "matrix_mb": matrix_mb(X_train), "fit_extra_mb": fit_mb,
        "nnz": int(np.count_nonzero(X_train) if wide_features else X_train.nnz)}))


def _version(name):
    module = ("ensembles" if name.startswith("ensembles")
              else "sklearn" if name.startswith("sklearn") else name)
    try:
        return __import__(module).__version__
    except Exception:  # noqa: BLE001 - a missing library is reported, not raised
        return None


def render(results):
    lines = ["| rows | estimator | test ROC AUC | fit s | fit x xgboost | matrix MB | "
             "fit +MB | fit +MB / matrix | fit +MB x xgboost |",
             "|---|---|---|---|---|---|---|---|---|"]
    ref = next((r for r in results if r["estimator"] == "xgboost" and "fit_s" in r), {})
    for r in results:
        if "error" in r:
            lines.append(f"| - | {r['estimator']} | - | - | - | - | - | - | {r['error']} |")
            continue
        ratio = f"{r['fit_s'] / ref['fit_s']:.2f}" if ref else "-"
        mem, mem_ratio, mem_x = _memory_cells(r, ref)
        lines.append(f"| {r['rows']:,} | {r['estimator']} | {r['auc']:.4f} | "
                     f"{r['fit_s']:.2f} | {ratio} | {r['matrix_mb']:.0f} | {mem} | "
                     f"{mem_ratio} | {mem_x} |")
    return "\n".join(lines) + "\n"


def _memory_cells(r, ref):
    """A run's fit memory cells: extra MB, as a multiple of the matrix's own memory, and
    as a multiple of the reference run's extra MB ("-" where unknown)."""
    extra = r["fit_extra_mb"]
    if extra is None:
        return "-", "-", "-"
    ref_extra = ref.get("fit_extra_mb")
    return (f"{extra:.0f}", f"{extra / r['matrix_mb']:.2f}",
            f"{extra / ref_extra:.2f}" if ref_extra else "-")


def render_forest(results):
    """The forest table: fit time, predict time and fit memory, each against
    scikit-learn's forest of the same kind (``FOREST_REFERENCE``)."""
    lines = ["| rows | estimator | test ROC AUC | fit s | fit x sklearn | predict s | "
             "predict x sklearn | matrix MB | fit +MB | fit +MB / matrix | "
             "fit +MB x sklearn | nodes per tree |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    by_name = {r["estimator"]: r for r in results if "fit_s" in r}
    for r in results:
        if "error" in r:
            lines.append(f"| - | {r['estimator']} | - | - | - | - | - | - | - | - | - | "
                         f"{r['error']} |")
            continue
        ref = by_name.get(FOREST_REFERENCE[r["estimator"]], {})
        fit_x = f"{r['fit_s'] / ref['fit_s']:.2f}" if ref else "-"
        predict_x = f"{r['predict_s'] / ref['predict_s']:.2f}" if ref else "-"
        mem, mem_ratio, mem_x = _memory_cells(r, ref)
        lines.append(f"| {r['rows']:,} | {r['estimator']} | {r['auc']:.4f} | "
                     f"{r['fit_s']:.2f} | {fit_x} | {r['predict_s']:.3f} | {predict_x} | "
                     f"{r['matrix_mb']:.0f} | {mem} | {mem_ratio} | {mem_x} | "
                     f"{r.get('nodes_per_tree') or 0:.0f} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--wide", action="store_true", help="the wide dense table instead")
    parser.add_argument("--forest", action="store_true",
                        help="random forests and extra trees against scikit-learn's")
    parser.add_argument("--features", type=int, default=WIDE_FEATURES)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--trees", type=int, default=None)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    parser.add_argument("--name", default=None)
    parser.add_argument("--child", metavar="ESTIMATOR")
    args = parser.parse_args(argv)
    if args.rows is None:
        args.rows = WIDE_ROWS if args.wide else 100_000
    if args.trees or args.wide:
        PARAMS["n_estimators"] = args.trees or WIDE_TREES
    if args.trees:
        FOREST_PARAMS["n_estimators"] = args.trees
    if args.child:
        child(args.child, args.rows, args.threads, args.repeats,
              args.features if args.wide else 0)
        return 0
    family = FOREST_ESTIMATORS if args.forest else ESTIMATORS
    names = [e for e in family if e in args.only] or list(family)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads),
               NUMBA_NUM_THREADS=str(args.threads))
    results = []
    for name in names:
        command = [sys.executable, __file__, "--child", name, "--rows", str(args.rows),
                   "--threads", str(args.threads), "--repeats", str(args.repeats)]
        if args.trees:
            command += ["--trees", str(args.trees)]
        if args.wide:
            command += ["--wide", "--features", str(args.features)]
        if args.forest:
            command += ["--forest"]
        proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=7200)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        if proc.returncode == 0 and lines:
            result = json.loads(lines[-1])
        else:
            last = (proc.stderr.strip().splitlines() or ["failed"])[-1]
            result = {"estimator": name, "error": last[:120]}
        result["version"] = _version(name)
        results.append(result)
        print(json.dumps(result), flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    kind = "wide" if args.wide else "sparse-forest" if args.forest else "sparse"
    stem = args.name or (kind if not (args.only or args.trees) else f"{kind}-partial")
    table = render_forest(results) if args.forest else render(results)
    (out / f"{stem}.json").write_text(json.dumps(results, indent=1) + "\n")
    (out / f"{stem}.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
