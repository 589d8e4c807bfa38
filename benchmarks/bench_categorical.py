"""Categorical features: native handling against the peers' and against integer codes.

Two tasks, as :mod:`bench_tasks` defines tasks (a fixed 75/25 split, ``SEED``):

* ``adult-cat``: ``adult.csv`` (shared data) with its 8 string columns as pandas
  ``category`` columns (``country`` has 41 levels, ``education`` 16);
* ``synth-cat5000``: a binary target from a 5,000-level column whose levels carry a real
  signal (a normal effect per level, Zipf-like level frequencies, so many levels are
  rare), plus 6 numeric features; 150,000 training rows;
* ``synth-noise4000`` (not in the default run; ``--only synth-noise4000``): the same
  numeric signal next to a 4,000-level column of pure noise, the case where native
  categorical handling overfits and integer codes do better.

The estimators, with the boosting family's shared parameters of :mod:`bench_estimators`
(100 trees, depth 6, learning rate 0.1, 256 bins, 2 threads):

* ``ensembles-gb``: ``categorical_features="from_dtype"`` (the default);
* ``ensembles-gb-codes``: the same estimator on integer codes (a random order of the
  levels, so the codes carry no order), the baseline native handling must not lose to;
* ``xgboost``: ``enable_categorical=True``; ``lightgbm``: the category columns as
  ``categorical_feature``; ``catboost``: ``cat_features``; ``sklearn-hgb``:
  ``categorical_features="from_dtype"`` (at most 255 levels per column: it refuses the
  5,000-level task).

Forest rows (not in the default run; name them with ``--only``), 100 trees of default
depth and ``max_features="sqrt"``, 2 threads, their fit time relative to
``sklearn-rf-codes``:

* ``ensembles-rf``: :class:`~ensembles.RandomForestClassifier` with its categorical
  default (``"from_dtype"``); ``ensembles-et``: :class:`~ensembles.ExtraTreesClassifier`
  likewise;
* ``ensembles-rf-codes``: the same forest on the integer codes;
* ``sklearn-rf-codes``: scikit-learn's ``RandomForestClassifier`` on the integer codes
  (its forests have no categorical features).

Every (estimator, task) runs in a fresh process that first fits a small warm-up model
(numba's compilation, kept out of the fit time), then fits ``--repeats`` times; the table
shows the median fit time and the test ROC AUC. Run from the repository root::

    python benchmarks/bench_categorical.py            # both tasks, every estimator
    python benchmarks/bench_categorical.py --only adult-cat ensembles-gb xgboost
    python benchmarks/bench_categorical.py --only adult-cat ensembles-rf ensembles-et \
        ensembles-rf-codes sklearn-rf-codes

Results go to ``benchmarks/results/categorical.json`` and ``.md``.
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

from bench_tasks import SEED, _read_csv, _split, default_datasets_dir  # noqa: E402

TASKS = ("adult-cat", "synth-cat5000")
EXTRA_TASKS = ("synth-noise4000",)
ESTIMATORS = ("ensembles-gb", "ensembles-gb-codes", "xgboost", "lightgbm", "catboost",
              "sklearn-hgb")
FOREST_ESTIMATORS = ("ensembles-rf", "ensembles-et", "ensembles-rf-codes", "sklearn-rf-codes")
FOREST_PARAMS = {"n_estimators": 100}
PARAMS = {"n_estimators": 100, "max_depth": 6, "learning_rate": 0.1, "max_bin": 256}
ADULT_NUMERIC = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss",
                 "hr_per_week"]
ADULT_CATEGORICAL = ["type_employer", "education", "marital", "occupation",
                     "relationship", "race", "sex", "country"]


def _frame(columns, numeric, categorical):
    import pandas as pd

    data = {c: [float(v) if v not in ("", "?") else np.nan for v in columns[c]]
            for c in numeric}
    for c in categorical:
        data[c] = pd.Categorical([v if v not in ("", "?") else None for v in columns[c]])
    return pd.DataFrame(data)


def synthetic_cat(n_train=150_000, n_levels=5000, seed=SEED, signal=1.0):
    """The ``synth-cat5000`` table: (X DataFrame, y) of ``n_train * 4 / 3`` rows; with
    ``signal=0`` the levels are noise (``synth-noise4000``)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = n_train * 4 // 3
    weights = 1.0 / np.arange(1, n_levels + 1) ** 0.8
    level = rng.choice(n_levels, size=n, p=weights / weights.sum())
    effect = rng.normal(scale=signal, size=n_levels)
    X_num = rng.normal(size=(n, 6))
    logit = (effect[level] + X_num[:, 0] - 0.7 * X_num[:, 1] + 0.5 * X_num[:, 2] * X_num[:, 3]
             - 0.5)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int64)
    X = pd.DataFrame(X_num, columns=[f"x{i}" for i in range(6)])
    X["level"] = pd.Categorical([f"L{v}" for v in level])
    return X, y


def load(task):
    """(X_train, y_train, X_test, y_test) as DataFrames with category columns."""
    if task == "adult-cat":
        cols = _read_csv(default_datasets_dir() / "adult.csv")
        X = _frame(cols, ADULT_NUMERIC, ADULT_CATEGORICAL)
        y = np.array([v == ">50K" for v in cols["income"]], dtype=np.int64)
    elif task == "synth-cat5000":
        X, y = synthetic_cat()
    elif task == "synth-noise4000":
        X, y = synthetic_cat(n_levels=4000, signal=0.0)
    else:
        raise ValueError(f"task must be one of {TASKS + EXTRA_TASKS}, got {task!r}")
    X_train, y_train, X_test, y_test = _split(X, y, "binary")
    return X_train, y_train, X_test, y_test


def _codes(X_train, X_test):
    """Integer codes of the category columns, the levels in a random order."""
    rng = np.random.default_rng(SEED)
    out = []
    for X in (X_train, X_test):
        X = X.copy()
        for c in X.columns:
            if X[c].dtype.name == "category":
                perm = rng.permutation(len(X[c].cat.categories)).astype(float)
                codes = X[c].cat.codes.to_numpy()
                X[c] = np.where(codes >= 0, perm[np.maximum(codes, 0)], np.nan)
        out.append(X)
        rng = np.random.default_rng(SEED)  # the same permutation for the test part
    return out


def build(name, threads, X):
    cats = [c for c in X.columns if X[c].dtype.kind not in "biuf"]
    p = PARAMS
    if name in ("ensembles-rf", "ensembles-rf-codes"):
        from ensembles import RandomForestClassifier

        return RandomForestClassifier(**FOREST_PARAMS, n_jobs=threads, random_state=SEED)
    if name == "ensembles-et":
        from ensembles import ExtraTreesClassifier

        return ExtraTreesClassifier(**FOREST_PARAMS, n_jobs=threads, random_state=SEED)
    if name == "sklearn-rf-codes":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(**FOREST_PARAMS, n_jobs=threads, random_state=SEED)
    if name.startswith("ensembles-gb"):
        from ensembles import GradientBoostingClassifier

        return GradientBoostingClassifier(**p, n_jobs=threads, random_state=SEED)
    if name == "xgboost":
        import xgboost

        return xgboost.XGBClassifier(**p, tree_method="hist", enable_categorical=True,
                                     n_jobs=threads, random_state=SEED)
    if name == "lightgbm":
        import lightgbm

        return lightgbm.LGBMClassifier(
            n_estimators=p["n_estimators"], max_depth=p["max_depth"],
            num_leaves=2 ** p["max_depth"], learning_rate=p["learning_rate"],
            max_bin=p["max_bin"] - 1, n_jobs=threads, random_state=SEED, verbose=-1)
    if name == "catboost":
        import catboost

        return catboost.CatBoostClassifier(
            iterations=p["n_estimators"], depth=p["max_depth"],
            learning_rate=p["learning_rate"], border_count=p["max_bin"] - 1,
            thread_count=threads, random_seed=SEED, verbose=False, cat_features=cats)
    if name == "sklearn-hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(
            max_iter=p["n_estimators"], max_depth=p["max_depth"],
            learning_rate=p["learning_rate"], max_leaf_nodes=None,
            categorical_features="from_dtype", early_stopping=False, random_state=SEED)
    raise ValueError(f"unknown estimator {name!r}")


def _prepare(name, X_train, X_test):
    if name.endswith("-codes"):
        return _codes(X_train, X_test)
    if name == "catboost":  # CatBoost takes strings (not NaN) as categories
        out = []
        for X in (X_train, X_test):
            X = X.copy()
            for c in X.columns:
                if X[c].dtype.name == "category":
                    X[c] = X[c].astype(str)
            out.append(X)
        return out
    return X_train, X_test


def child(name, task, threads, repeats):
    """Run one (estimator, task) and print its result as JSON."""
    from sklearn.metrics import roc_auc_score

    X_train, y_train, X_test, y_test = load(task)
    X_train, X_test = _prepare(name, X_train, X_test)
    warm = build(name, threads, X_train)
    warm.set_params(**({"iterations": 2} if name == "catboost" else
                       {"max_iter": 2} if name == "sklearn-hgb" else {"n_estimators": 2}))
    t0 = time.perf_counter()
    warm.fit(X_train.iloc[:2000], y_train[:2000])
    warmup = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        model = build(name, threads, X_train)
        t0 = time.perf_counter()
        model.fit(X_train, y_train)
        times.append(time.perf_counter() - t0)
    auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
    print(json.dumps({"estimator": name, "task": task, "fit_s": float(np.median(times)),
                      "fit_times": times, "warmup_s": warmup, "auc": float(auc)}))


def _version(name):
    module = {"ensembles-gb": "ensembles", "ensembles-gb-codes": "ensembles",
              "sklearn-hgb": "sklearn", "sklearn-rf-codes": "sklearn"}.get(
        name, "ensembles" if name.startswith("ensembles") else name)
    try:
        return __import__(module).__version__
    except Exception:  # noqa: BLE001 - a missing library is reported, not raised
        return None


def render(results):
    """The results table; fit times relative to XGBoost's (boosting rows) or to
    scikit-learn's forest on integer codes (forest rows, marked "x sklearn-rf")."""
    lines = ["| task | estimator | test ROC AUC | fit s | fit x xgboost |",
             "|---|---|---|---|---|"]
    for task in TASKS + EXTRA_TASKS:
        rows = [r for r in results if r["task"] == task]
        boosting_ref = next((r["fit_s"] for r in rows if r["estimator"] == "xgboost"
                             and "fit_s" in r), None)
        forest_ref = next((r["fit_s"] for r in rows if r["estimator"] == "sklearn-rf-codes"
                           and "fit_s" in r), None)
        for r in rows:
            forest = r["estimator"] in FOREST_ESTIMATORS
            ref = forest_ref if forest else boosting_ref
            if "error" in r:
                lines.append(f"| {task} | {r['estimator']} | - | - | {r['error']} |")
                continue
            ratio = f"{r['fit_s'] / ref:.2f}" if ref else "-"
            if forest and ref:
                ratio += " x sklearn-rf"
            lines.append(f"| {task} | {r['estimator']} | {r['auc']:.4f} | {r['fit_s']:.2f} "
                         f"| {ratio} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    parser.add_argument("--child", nargs=2, metavar=("ESTIMATOR", "TASK"))
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child, args.threads, args.repeats)
        return
    tasks = [t for t in TASKS + EXTRA_TASKS if t in args.only] or list(TASKS)
    names = ([e for e in ESTIMATORS + FOREST_ESTIMATORS if e in args.only]
             or list(ESTIMATORS))
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads),
               NUMBA_NUM_THREADS=str(args.threads))
    results = []
    for task in tasks:
        for name in names:
            proc = subprocess.run(
                [sys.executable, __file__, "--child", name, task, "--threads",
                 str(args.threads), "--repeats", str(args.repeats)],
                capture_output=True, text=True, env=env, timeout=3600)
            lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
            if proc.returncode == 0 and lines:
                result = json.loads(lines[-1])
            else:
                last = (proc.stderr.strip().splitlines() or ["failed"])[-1]
                result = {"estimator": name, "task": task, "error": last[:120]}
            result["version"] = _version(name)
            results.append(result)
            print(json.dumps(result), flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "categorical" if not args.only else "categorical-partial"
    (out / f"{stem}.json").write_text(json.dumps(results, indent=1) + "\n")
    (out / f"{stem}.md").write_text(render(results))
    print(render(results))


if __name__ == "__main__":
    main()
