"""Child process of the benchmark harness: one measurement per process.

The parent (``run.py``) starts a fresh interpreter for every (estimator, task, size), so
peak memory belongs to that fit alone and no library shares a heap or a warm cache with
another. Usage (the parent builds these command lines)::

    python bench_child.py measure '<json spec>'
    python bench_child.py prepare <task> <size> <cache_dir>
    python bench_child.py startup <estimator> <threads>

The result is one line on stdout that starts with :data:`MARKER` followed by JSON;
anything the libraries print is ignored by the parent.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_estimators  # noqa: E402
import bench_tasks  # noqa: E402

MARKER = "BENCH_RESULT "
MB = 1024.0 * 1024.0


# --------------------------------------------------------------------------- memory


def current_rss_mb():
    """Resident set size now, in MiB (``None`` where /proc is unavailable)."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / MB
    except (OSError, ValueError, IndexError):
        return None


def process_peak_mb():
    """Peak RSS of the whole process so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / MB if sys.platform == "darwin" else peak / 1024.0


def reset_peak():
    """Restart the kernel's high-water mark so the next reading covers only the fit.

    Returns whether it worked (Linux >= 4.0); otherwise the peak is the process's.
    """
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def peak_since_reset_mb():
    """``VmHWM`` (peak RSS since the last reset) in MiB, or the process peak."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError):
        pass
    return process_peak_mb()


# --------------------------------------------------------------------------- scoring


def score(kind, y_true, output, group=None):
    """Test scores; ``output`` is ``predict_proba`` for classifiers, ``predict`` else.

    Returns
    -------
    metric : str
        The headline metric (higher is better): ``roc_auc``, ``accuracy``, ``r2`` or
        (ranking, with the query ``group`` sizes) ``ndcg@10``.
    scores : dict
    """
    import numpy as np
    from sklearn import metrics

    if kind == "ranking":
        return "ndcg@10", _ndcg_scores(y_true, np.asarray(output, dtype=float), group)
    if kind == "regression":
        output = np.asarray(output, dtype=float).ravel()
        return "r2", {
            "r2": metrics.r2_score(y_true, output),
            "rmse": metrics.root_mean_squared_error(y_true, output),
        }
    proba = np.asarray(output, dtype=float)
    labels = np.arange(proba.shape[1])
    scores = {
        "accuracy": metrics.accuracy_score(y_true, proba.argmax(axis=1)),
        "logloss": metrics.log_loss(y_true, np.clip(proba, 1e-15, 1), labels=labels),
    }
    if kind == "binary":
        scores["roc_auc"] = metrics.roc_auc_score(y_true, proba[:, 1])
        return "roc_auc", scores
    return "accuracy", scores


def _ndcg_scores(y, scores, group):
    """Mean NDCG (gain 2**label - 1, ties in input order) of the queries, at 10 and whole,
    computed here so that no library grades itself."""
    import numpy as np

    out = {"ndcg@10": [], "ndcg": []}
    start = 0
    for size in group:
        labels, s = y[start:start + size], scores[start:start + size]
        start += size
        gains = 2.0 ** labels[np.argsort(-s, kind="stable")] - 1.0
        ideal = 2.0 ** np.sort(labels)[::-1] - 1.0
        discount = 1.0 / np.log2(np.arange(size) + 2.0)
        for name, k in (("ndcg@10", 10), ("ndcg", size)):
            idcg = float(ideal[:k] @ discount[:k])
            out[name].append(float(gains[:k] @ discount[:k]) / idcg if idcg > 0 else 1.0)
    return {name: float(np.mean(values)) for name, values in out.items()}


def _predict(est, X, kind):
    return est.predict(X) if kind in ("regression", "ranking") else est.predict_proba(X)


def _fit(est, X, y, kind, group):
    if kind == "ranking":
        return est.fit(X, y, group=group)
    return est.fit(X, y)


def _warmup_rows(y, kind, n=500, group=None):
    """First ``n`` rows plus a few of every class, so a tiny fit sees all classes (for
    ranking: the whole queries among the first ``n`` rows, at least one)."""
    import numpy as np

    if kind == "ranking":
        ends = np.cumsum(group)
        return np.arange(max(ends[0], ends[ends <= n][-1] if np.any(ends <= n) else 0))
    rows = set(range(min(n, len(y))))
    if kind != "regression":
        for c in np.unique(y):
            rows.update(np.flatnonzero(y == c)[:5].tolist())
    return np.array(sorted(rows))


# --------------------------------------------------------------------------- modes


def measure(spec):
    """Fit and predict one estimator on one task; see ``run.py`` for ``spec``'s keys."""
    import numpy as np

    name, threads = spec["estimator"], spec["threads"]
    data = bench_tasks.load_task(
        spec["task"], spec.get("size"), spec.get("datasets_dir"), spec.get("cache_dir")
    )
    kind = data.kind
    params = bench_estimators.params_for(name, spec.get("overrides"))
    out = {
        "version": bench_estimators.version(name),
        "n_train": int(data.X_train.shape[0]),
        "n_test": int(data.X_test.shape[0]),
        "n_features": int(data.n_features),
        "kind": kind,
        "params": params,
    }

    # A tiny fit first: it pays numba's compilation (or cache load) and any other
    # first-call cost (fit and predict), reported on its own so fit_s and predict_s are
    # the steady state.
    rows = _warmup_rows(data.y_train, kind, group=data.group_train)
    tiny = dict(params, n_estimators=min(2, params["n_estimators"]))
    start = time.perf_counter()
    warm = bench_estimators.build(name, kind, tiny, threads, n_features=data.n_features)
    warm_group = None
    if kind == "ranking":
        ends = np.cumsum(data.group_train)
        warm_group = data.group_train[: int(np.searchsorted(ends, rows.size)) + 1]
    _fit(warm, data.X_train[rows], data.y_train[rows], kind, warm_group)
    _predict(warm, data.X_test[:100], kind)
    explain_rows = spec.get("explain_rows", 0)
    if explain_rows:
        bench_estimators.contributions(name, warm, data.X_test[:100], threads)
    out["warmup_s"] = time.perf_counter() - start
    del warm

    fits, predicts, befores, peaks = [], [], [], []
    exact_peak = True
    spent = 0.0
    for i in range(spec.get("max_repeats", 3)):
        # Drop the previous model first, so its memory does not count in this fit's peak.
        est = output = None
        est = bench_estimators.build(name, kind, params, threads, n_features=data.n_features)
        gc.collect()
        befores.append(current_rss_mb())
        exact_peak = reset_peak() and exact_peak
        start = time.perf_counter()
        _fit(est, data.X_train, data.y_train, kind, data.group_train)
        fits.append(time.perf_counter() - start)
        # The reset sets the mark to the RSS of that moment, which the allocator may have
        # lowered since ``befores`` was read; the fit's peak is at least where it started.
        peaks.append(max(peak_since_reset_mb(), befores[-1]))
        start = time.perf_counter()
        output = _predict(est, data.X_test, kind)
        predicts.append(time.perf_counter() - start)
        spent += fits[-1] + predicts[-1]
        # Repeat only while another round still fits in the time budget.
        if i + 1 >= spec.get("min_repeats", 1) and spent + fits[-1] > spec.get("budget_s", 0):
            break

    # Online serving: one row at a time, everything a call costs (validation included).
    row = data.X_test[:1]
    for _ in range(20):
        _predict(est, row, kind)
    latencies = []
    for _ in range(200):
        start = time.perf_counter()
        _predict(est, row, kind)
        latencies.append(time.perf_counter() - start)
    out["latency_us"] = statistics.median(latencies) * 1e6

    if explain_rows:
        # SHAP contributions of the last model, repeated as the fits were.
        X_explain = data.X_test[:explain_rows]
        explains = []
        for _ in range(len(fits)):
            start = time.perf_counter()
            contribs = bench_estimators.contributions(name, est, X_explain, threads)
            explains.append(time.perf_counter() - start)
            if contribs is None:
                break
        if contribs is not None:
            out.update(explain_times=explains, explain_s=statistics.median(explains),
                       explain_rows=int(X_explain.shape[0]))

    increments = [p - b for p, b in zip(peaks, befores, strict=True) if b is not None]
    out["metric"], out["scores"] = score(kind, data.y_test, output, data.group_test)
    out["score"] = out["scores"][out["metric"]]
    out.update(
        fit_times=fits,
        predict_times=predicts,
        fit_s=statistics.median(fits),
        predict_s=statistics.median(predicts),
        rss_before_fit_mb=befores[0],
        peak_fit_mb=max(peaks),
        fit_increment_mb=max(increments) if increments else None,
        peak_scope="fit" if exact_peak else "process",
        process_peak_mb=process_peak_mb(),
    )
    return out


def prepare(task, size, cache_dir):
    """Generate and cache a synthetic task once, outside any measured process."""
    data = bench_tasks.load_task(task, int(size), cache_dir=cache_dir)
    return {"n_train": int(data.X_train.shape[0]), "n_test": int(data.X_test.shape[0])}


def startup(name, threads):
    """Import the library and fit 10 trees on 1,000 rows (issue 2's start-up check).

    The parent times the whole process; this reports the split between import and fit.
    """
    start = time.perf_counter()
    import numpy as np

    cls = bench_estimators.estimator_class(name, "binary")
    imported = time.perf_counter()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1000, bench_tasks.SYNTH_FEATURES))
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(np.int64)
    params = bench_estimators.params_for(name, {"n_estimators": 10})
    cls(**bench_estimators.ESTIMATORS[name].translate(params, "binary", threads, 0)).fit(X, y)
    done = time.perf_counter()
    return {"import_s": imported - start, "fit_s": done - imported}


def main(argv):
    mode, args = argv[0], argv[1:]
    if mode == "measure":
        result = measure(json.loads(args[0]))
    elif mode == "prepare":
        result = prepare(*args)
    elif mode == "startup":
        result = startup(args[0], int(args[1]))
    else:
        raise SystemExit(f"unknown mode {mode!r}: expected measure, prepare or startup")
    sys.stdout.write(MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
