"""Aggregation and output of benchmark results: ratios, targets, Markdown, plots.

Everything here works on the plain ``report`` dict that ``run.py`` builds and writes as
JSON, so a saved results file can be re-rendered without re-running anything::

    python benchmarks/bench_report.py benchmarks/results/full.json
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_estimators  # noqa: E402
import bench_tasks  # noqa: E402

#: Performance targets from issues 2 and 5: (label, estimator, reference, tasks, rows,
#: quantity, limit). Ratios are estimator / reference and must not exceed ``limit``;
#: for "score" the estimator may trail the reference by at most ``limit``.
TARGETS = [
    ("boosting fit time <= 1.0x XGBoost at 10^6 x 28", "ensembles-gb", "xgboost",
     ("synth-clf",), 1_000_000, "fit_s", 1.0),
    ("quantized gradients: boosting fit time <= 0.7x XGBoost at 10^6 x 28",
     "ensembles-gb-quantized", "xgboost", ("synth-clf",), 1_000_000, "fit_s", 0.7),
    ("quantized gradients: ROC AUC within 0.001 of exact gradients (10^6 x 28)",
     "ensembles-gb-quantized", "ensembles-gb", ("synth-clf",), 1_000_000, "score", 0.001),
    ("boosting fit time <= 1.5x XGBoost at 10^6 rows", "ensembles-gb", "xgboost",
     ("synth-reg",), 1_000_000, "fit_s", 1.5),
    ("boosting fit time <= 1.0x XGBoost at 2,000 x 10", "ensembles-gb", "xgboost",
     ("synth-clf10",), 2_000, "fit_s", 1.0),
    ("boosting fit time <= 1.3x XGBoost on digits (10 classes)", "ensembles-gb", "xgboost",
     ("digits",), None, "fit_s", 1.3),
    ("boosting fit time <= 1.0x XGBoost at 100,000 x 28", "ensembles-gb", "xgboost",
     ("synth-clf",), 100_000, "fit_s", 1.0),
    ("one-row predict latency <= 0.5x XGBoost", "ensembles-gb", "xgboost",
     ("synth-clf10", "breast_cancer"), None, "latency_us", 0.5),
    ("random forest fit >= 5x faster than scikit-learn at 10^6 rows", "ensembles-rf",
     "sklearn-rf", ("synth-clf", "synth-reg"), 1_000_000, "fit_s", 0.2),
    ("extra trees fit >= 5x faster than scikit-learn at 10^6 rows", "ensembles-et",
     "sklearn-et", ("synth-clf", "synth-reg"), 1_000_000, "fit_s", 0.2),
    ("ROC AUC within 0.003 of XGBoost (10^6 x 28)", "ensembles-gb", "xgboost",
     ("synth-clf",), 1_000_000, "score", 0.003),
    ("predict time <= 2x XGBoost (10^6 x 28)", "ensembles-gb", "xgboost", ("synth-clf",),
     1_000_000, "predict_s", 2.0),
    ("peak memory <= 1.0x XGBoost (10^6 x 28)", "ensembles-gb", "xgboost", ("synth-clf",),
     1_000_000, "peak_fit_mb", 1.0),
    ("start-up (import + 10 trees on 1,000 rows) <= 2x XGBoost", "ensembles-gb", "xgboost",
     None, None, "wall_s", 2.0),
    ("SHAP contributions of 10,000 rows x 100 trees <= 1x XGBoost", "ensembles-gb",
     "xgboost", ("synth-clf",), 40_000, "explain_s", 1.0),
    ("ranking NDCG@10 at least XGBRanker's - 0.005", "ensembles-gb", "xgboost", ("rank",),
     None, "score", 0.005),
    ("ranking NDCG@10 at least LGBMRanker's - 0.005", "ensembles-gb", "lightgbm", ("rank",),
     None, "score", 0.005),
]

_TASK_ORDER = {name: i for i, name in enumerate(bench_tasks.TASKS)}
_EST_ORDER = {name: i for i, name in enumerate(bench_estimators.ESTIMATORS)}


def _ok(report):
    return [r for r in report["results"] if r["status"] == "ok"]


def _key(r):
    return (_TASK_ORDER.get(r["task"], 99), r["size"] or 0, _EST_ORDER.get(r["estimator"], 99))


def _size(size):
    if not size:
        return "-"
    exp = len(str(size)) - 1
    return f"1e{exp}" if size == 10**exp else str(size)


def _geomean(values):
    values = [v for v in values if v and v > 0]
    return math.exp(statistics.fmean(math.log(v) for v in values)) if values else None


# --------------------------------------------------------------------------- ratios


def add_ratios(report):
    """Add ratios to the best peer of the same family on the same task and size.

    Sets ``fit_ratio``, ``predict_ratio`` and ``memory_ratio`` (1.0 for the fastest or
    smallest), ``score_gap`` (best score minus this one, >= 0) and, when the report has
    a baseline in that group, ``vs_baseline`` with the same quantities against it.
    """
    groups = defaultdict(list)
    for r in _ok(report):
        groups[(r["task"], r["size"], r["family"])].append(r)
    baseline = report.get("baseline")
    for members in groups.values():
        best_fit = min(r["fit_s"] for r in members)
        best_predict = min(r["predict_s"] for r in members)
        best_mem = min(r["peak_fit_mb"] for r in members)
        best_score = max(r["score"] for r in members)
        base = next((r for r in members if r["estimator"] == baseline), None)
        for r in members:
            r["fit_ratio"] = r["fit_s"] / best_fit if best_fit > 0 else None
            r["predict_ratio"] = r["predict_s"] / best_predict if best_predict > 0 else None
            r["memory_ratio"] = r["peak_fit_mb"] / best_mem if best_mem > 0 else None
            r["score_gap"] = best_score - r["score"]
            if base is not None:
                r["vs_baseline"] = {
                    "fit": r["fit_s"] / base["fit_s"],
                    "predict": r["predict_s"] / base["predict_s"],
                    "memory": r["peak_fit_mb"] / base["peak_fit_mb"],
                    "latency": (r["latency_us"] / base["latency_us"]
                                if r.get("latency_us") and base.get("latency_us") else None),
                    "score_diff": r["score"] - base["score"],
                }
    return report


def evaluate_targets(report):
    """Check :data:`TARGETS` against whatever the report measured.

    Returns
    -------
    list of dict
        One entry per target and task that has both estimators' results, with
        ``value`` (ratio, or score difference), ``limit`` and ``holds``.
    """
    ok = {(r["estimator"], r["task"], r["size"]): r for r in _ok(report)}
    # A target without a size takes the task at whatever size the suite ran it.
    for r in _ok(report):
        ok.setdefault((r["estimator"], r["task"], None), r)
    startup = {r["estimator"]: r for r in report.get("startup", []) if r["status"] == "ok"}
    rows = []
    for label, est, ref, tasks, size, quantity, limit in TARGETS:
        if tasks is None:
            pairs = [("start-up", startup.get(est), startup.get(ref))]
        else:
            pairs = [(t, ok.get((est, t, size)), ok.get((ref, t, size))) for t in tasks]
        for task, mine, theirs in pairs:
            if mine is None or theirs is None or (
                    quantity != "score" and (quantity not in mine or quantity not in theirs)):
                continue
            if quantity == "score":
                value = mine["score"] - theirs["score"]
                holds = value >= -limit
            else:
                value = mine[quantity] / theirs[quantity]
                holds = value <= limit
            rows.append({"target": label, "task": task, "estimator": est, "reference": ref,
                         "quantity": quantity, "value": value, "limit": limit,
                         "holds": bool(holds)})
    return rows


# --------------------------------------------------------------------------- markdown


def _fmt(value, digits=3):
    if value is None:
        return "-"
    if isinstance(value, float):
        if value != 0 and abs(value) < 10 ** -digits:
            return f"{value:.1e}"
        return f"{value:.{digits}f}"
    return str(value)


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def family_summary(report):
    """Per family and estimator: runs, wins and geometric-mean ratios to the best peer."""
    by_est = defaultdict(list)
    for r in _ok(report):
        by_est[(r["family"], r["estimator"])].append(r)
    rows = []
    for (family, est), rs in sorted(
        by_est.items(), key=lambda kv: (bench_estimators.FAMILIES.index(kv[0][0]),
                                        _EST_ORDER[kv[0][1]])
    ):
        rows.append([
            family, est, len(rs), sum(r["fit_ratio"] == 1.0 for r in rs),
            _fmt(_geomean(r["fit_ratio"] for r in rs), 2),
            _fmt(_geomean(r["predict_ratio"] for r in rs), 2),
            _fmt(statistics.median(r["score_gap"] for r in rs), 4),
            _fmt(_geomean(r["memory_ratio"] for r in rs), 2),
        ])
    header = ["family", "estimator", "runs", "fastest fit", "fit x best", "predict x best",
              "score gap (median)", "peak memory x best"]
    return _table(header, rows)


def pivot_table(report, family):
    """Data sets down, estimators across: test score and fit seconds in each cell."""
    runs = sorted((r for r in report["results"] if r["family"] == family), key=_key)
    estimators = sorted({r["estimator"] for r in runs}, key=_EST_ORDER.get)
    if not estimators:
        return ""
    cells = defaultdict(dict)
    for r in runs:
        cells[(r["task"], r["size"])][r["estimator"]] = (
            f"{r['score']:.4f} ({r['fit_s']:.2f} s)" if r["status"] == "ok" else r["status"]
        )
    metric = {(r["task"], r["size"]): r["metric"] for r in runs if r["status"] == "ok"}
    rows = [[f"{t} {_size(s)}" if s else t, metric.get((t, s), "-")]
            + [row.get(e, "-") for e in estimators] for (t, s), row in cells.items()]
    return _table(["task", "score"] + estimators, rows)


def baseline_table(report):
    """Every measured run against the baseline estimator (issue 2's core view)."""
    base = report.get("baseline")
    rows = []
    for r in sorted(_ok(report), key=_key):
        vs = r.get("vs_baseline")
        if not vs:
            continue
        rows.append([
            r["task"], _size(r["size"]), r["estimator"], _fmt(r["fit_s"]), _fmt(vs["fit"], 2),
            _fmt(r["predict_s"]), _fmt(vs["predict"], 2), f"{r['metric']} {r['score']:.4f}",
            f"{vs['score_diff']:+.4f}", f"{r['peak_fit_mb']:.0f}", _fmt(vs["memory"], 2),
            _fmt(r["warmup_s"], 2), _fmt(r.get("latency_us"), 0), _fmt(vs.get("latency"), 2),
        ])
    header = ["task", "rows", "estimator", "fit s", f"fit x {base}", "predict s",
              f"predict x {base}", "score", f"vs {base}", "peak MB", f"memory x {base}",
              "warm-up s", "1-row us", f"1-row x {base}"]
    return _table(header, rows) if rows else ""


def explain_table(report):
    """SHAP contribution times, against the baseline where it has them too."""
    base = report.get("baseline")
    timed = {(r["task"], r["size"], r["estimator"]): r for r in _ok(report)
             if "explain_s" in r}
    rows = []
    for (task, size, est), r in sorted(timed.items(), key=lambda kv: _key(kv[1])):
        ref = timed.get((task, size, base))
        rows.append([task, _size(size), est, str(r["explain_rows"]), _fmt(r["explain_s"]),
                     _fmt(r["explain_s"] / ref["explain_s"], 2) if ref else ""])
    header = ["task", "rows", "estimator", "rows explained", "contributions s",
              f"x {base}"]
    return _table(header, rows) if rows else ""


def startup_table(report):
    rows = []
    base = next((r for r in report.get("startup", []) if r["estimator"] == report.get("baseline")
                 and r["status"] == "ok"), None)
    for r in report.get("startup", []):
        if r["status"] != "ok":
            rows.append([r["estimator"], r["status"], "-", "-", "-", "-", "-"])
            continue
        ratio = _fmt(r["wall_s"] / base["wall_s"], 2) if base else "-"
        rows.append([r["estimator"], _fmt(r["wall_s"], 2), ratio, _fmt(r["import_s"], 2),
                     _fmt(r["fit_s"], 2), _fmt(r["cold_s"], 2),
                     _fmt(r["cold_jit_s"], 2) if "cold_jit_s" in r else "-"])
    header = ["estimator", "process wall s (warm cache)", "x baseline", "import s", "fit s",
              "wall s (empty numba cache)", "same, JIT-compiled kernels only"]
    return _table(header, rows) if rows else ""


def targets_table(report):
    rows = [[t["target"], t["task"], _fmt(t["value"], 3 if t["quantity"] == "score" else 2),
             "holds" if t["holds"] else "**missed**"] for t in report.get("targets", [])]
    return _table(["target", "task", "measured", "result"], rows) if rows else ""


def results_table(report, family):
    rows = []
    for r in sorted((r for r in report["results"] if r["family"] == family), key=_key):
        if r["status"] != "ok":
            rows.append([r["task"], _size(r["size"]), r["estimator"], r["status"]]
                        + ["-"] * 8)
            continue
        inc = r.get("fit_increment_mb")
        rows.append([
            r["task"], _fmt(r["n_train"]), r["estimator"], _fmt(r["fit_s"]),
            _fmt(r["fit_ratio"], 2), _fmt(r["predict_s"]), _fmt(r.get("latency_us"), 0),
            f"{r['metric']} {r['score']:.4f}",
            f"{r['peak_fit_mb']:.0f}", f"{inc:.0f}" if inc is not None else "-",
            f"{r['rss_before_fit_mb']:.0f}" if r.get("rss_before_fit_mb") else "-",
            _fmt(r["warmup_s"], 2),
        ])
    header = ["task", "train rows", "estimator", "fit s", "fit x best", "predict s",
              "1-row predict us", "score", "peak MB", "fit +MB", "RSS before fit MB",
              "warm-up s"]
    return _table(header, rows) if rows else ""


def headline(report):
    """The short Markdown block for READMEs: the core view, or the family summary."""
    parts = []
    if report.get("startup"):
        parts += [baseline_table(report), startup_table(report)]
    elif explain_table(report):
        parts += [baseline_table(report), explain_table(report)]
    else:
        parts.append(family_summary(report))
    if report.get("targets"):
        parts.append(targets_table(report))
    m = report["machine"]
    parts.append(f"*{report['name']}, {report['created']}, {m['threads']} threads, "
                 f"{m['processor']}, {m['cpu_count']} CPUs; `{report['command']}`*")
    return "\n\n".join(p for p in parts if p)


def to_markdown(report):
    """The full Markdown report of one run."""
    m = report["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
    parts = [
        f"# Benchmark results: {report['name']}",
        f"{report['description']}.\n\nCommand: `{report['command']}`; created "
        f"{report['created']} on {m['platform']} ({m['processor']}, {m['cpu_count']} CPUs, "
        f"Python {m['python']}), {m['threads']} threads per fit, load average "
        f"{_fmt(m.get('load_start'), 1)} at the start and {_fmt(m.get('load_end'), 1)} at "
        f"the end; {versions}.",
        "Times are medians of the timed fits in one child process, after an untimed "
        "warm-up fit (2 trees on <= 500 rows) whose time is the *warm-up* column (numba "
        "compilation or cache loading for `ensembles`). *x best* divides by the fastest "
        "member of the same family on the same task. Scores: ROC AUC (binary), accuracy "
        "(multiclass), R^2 (regression), on the test part. *1-row predict us* is the median "
        "time of a prediction of one row (online serving: validation included). "
        "*peak MB* is the process's peak "
        "resident memory during the fit, *fit +MB* that peak minus the RSS just before it.",
    ]
    if report["skipped"] or report["notes"]:
        parts.append("Skipped:\n\n" + "\n".join(
            [f"- {k}: {v}" for k, v in report["skipped"].items()]
            + [f"- {n}" for n in report["notes"]]))
    parts += ["## Summary", family_summary(report)]
    if report.get("targets"):
        parts += ["## Targets", targets_table(report)]
    if report.get("startup"):
        parts += ["## Against the baseline", baseline_table(report), "## Start-up",
                  startup_table(report)]
    explain = explain_table(report)
    if explain:
        parts += ["## SHAP contributions", "Time of the fitted model's SHAP contributions "
                  "(exact path-dependent TreeSHAP) of the first test rows, median of the "
                  "repeats:", explain]
    for family in bench_estimators.FAMILIES:
        table = results_table(report, family)
        if table:
            parts += [f"## {family}", "Test score (fit time):", pivot_table(report, family),
                      "All measurements:", table]
    return "\n\n".join(p for p in parts if p) + "\n"


def summary_text(report):
    """What the command line prints at the end of a run."""
    results = report["results"]
    counts = defaultdict(int)
    for r in results:
        counts[r["status"]] += 1
    lines = [f"{len(results)} runs: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
             + f"; {report['elapsed_s']:.0f} s in all"]
    for r in results:
        if r["status"] != "ok":
            lines.append(f"  {r['status']}: {r['estimator']} on {r['task']} "
                         f"{_size(r['size'])}: {r['note']}")
    for est, why in report["skipped"].items():
        lines.append(f"  skipped {est}: {why}")
    for family in bench_estimators.FAMILIES:
        table = pivot_table(report, family)
        if table:
            lines += ["", f"{family}: test score (fit time)", table]
    if _ok(report):
        lines += ["", family_summary(report)]
    if report.get("startup"):
        lines += ["", baseline_table(report), "", startup_table(report)]
    if explain_table(report):
        lines += ["", "SHAP contributions", explain_table(report)]
    if report.get("targets"):
        lines += ["", targets_table(report)]
    return "\n".join(lines)


# --------------------------------------------------------------------------- plots

_MARKERS = "osD^v<>ph*X"


def _style(est):
    i = _EST_ORDER.get(est, 0)
    strong = est.startswith("ensembles")
    return {"color": f"C{i % 10}", "marker": _MARKERS[i % len(_MARKERS)],
            "linewidth": 2.2 if strong else 1.2, "markersize": 7 if strong else 5}


def plot_fit_time(report, path, plt):
    """Fit time against training rows on log-log axes, one line per estimator."""
    series = [t for t in bench_tasks.TASKS if bench_tasks.TASKS[t].source == "synthetic"
              and any(r["task"] == t for r in _ok(report))]
    if not series:
        return None
    fig, axes = plt.subplots(1, len(series), figsize=(6 * len(series), 4.5), squeeze=False)
    for ax, task in zip(axes[0], series, strict=True):
        lines = defaultdict(list)
        for r in sorted(_ok(report), key=_key):
            if r["task"] == task:
                lines[r["estimator"]].append((r["n_train"], r["fit_s"]))
        for est, points in lines.items():
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, label=est, **_style(est))
        ax.set(xscale="log", yscale="log", xlabel="training rows", ylabel="fit time (s)",
               title=f"{task}: fit time, {report['machine']['threads']} threads")
        _plain_log_ticks(ax.yaxis, plt)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    return _save(fig, path, plt)


def plot_scores(report, path, plt):
    """One small panel per data set: each estimator's test score, on the panel's own scale."""
    ok = sorted(_ok(report), key=_key)
    groups = list(dict.fromkeys((r["task"], r["size"]) for r in ok))
    if not groups:
        return None
    cols = min(4, len(groups))
    rows = -(-len(groups) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 0.4 + 2.6 * rows), squeeze=False)
    for ax, (task, size) in zip(axes.ravel(), groups, strict=False):
        members = [r for r in ok if (r["task"], r["size"]) == (task, size)]
        for y, r in enumerate(members):
            style = _style(r["estimator"])
            ax.plot(r["score"], y, linestyle="none", color=style["color"],
                    marker=style["marker"], markersize=style["markersize"])
        ax.set_yticks(range(len(members)), [r["estimator"] for r in members], fontsize=8)
        ax.set_ylim(-0.7, len(members) - 0.3)
        ax.set_title(f"{task} {_size(size) if size else ''} ({members[0]['metric']})",
                     fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(True, axis="x", alpha=0.3)
    for ax in axes.ravel()[len(groups):]:
        ax.set_visible(False)
    fig.suptitle("test score per data set (higher is better)")
    return _save(fig, path, plt)


def plot_memory(report, path, plt):
    """Peak RSS during the fit for every run, on a log scale."""
    ok = sorted(_ok(report), key=_key)
    groups = list(dict.fromkeys((r["task"], r["size"]) for r in ok))
    if not groups:
        return None
    estimators = sorted({r["estimator"] for r in ok}, key=_EST_ORDER.get)
    index = {g: i for i, g in enumerate(groups)}
    step = 0.8 / len(estimators)
    fig, ax = plt.subplots(figsize=(max(6, 0.8 * len(groups) + 3), 4.5))
    for j, est in enumerate(estimators):
        mine = [r for r in ok if r["estimator"] == est]
        xs = [index[(r["task"], r["size"])] + (j - (len(estimators) - 1) / 2) * step
              for r in mine]
        style = _style(est)
        ax.plot(xs, [r["peak_fit_mb"] for r in mine], linestyle="none", label=est,
                color=style["color"], marker=style["marker"], markersize=style["markersize"])
        # Hollow markers: the RSS just before the fit (interpreter, libraries, data).
        before = [(x, r["rss_before_fit_mb"]) for x, r in zip(xs, mine, strict=True)
                  if r.get("rss_before_fit_mb")]
        if before:
            ax.plot(*zip(*before, strict=True), linestyle="none", color=style["color"],
                    marker=style["marker"], markersize=style["markersize"],
                    markerfacecolor="none", alpha=0.6)
    labels = [f"{t} {_size(s)}" if s else t for t, s in groups]
    ax.set_xticks(range(len(groups)), labels, rotation=45, ha="right", fontsize=8)
    ax.set(yscale="log", ylabel="RSS (MiB)",
           title="peak RSS during the fit (filled) and just before it (hollow)")
    _plain_log_ticks(ax.yaxis, plt)
    ax.grid(True, axis="y", which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path, plt)


def _plain_log_ticks(axis, plt):
    """Label a log axis 50, 100, 200 rather than 5x10^1 ..."""
    formatter = plt.FuncFormatter(lambda v, _: f"{v:g}")
    axis.set_major_formatter(formatter)
    axis.set_minor_formatter(formatter)


def _save(fig, path, plt):
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_plots(report, folder):
    """Write the three PNG plots; returns their paths (none without matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plots", file=sys.stderr)
        return []
    folder = Path(folder)
    name = report["name"]
    paths = [
        plot_fit_time(report, folder / f"{name}-fit-time.png", plt),
        plot_scores(report, folder / f"{name}-score.png", plt),
        plot_memory(report, folder / f"{name}-memory.png", plt),
    ]
    return [p for p in paths if p is not None]


# --------------------------------------------------------------------------- files


def write_outputs(report, out_dir, plots_dir=None):
    """Write ``<name>.json`` and ``<name>.md`` to ``out_dir``, plots to ``plots_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"{report['name']}.json"
    json_path.write_text(json.dumps(report, indent=1) + "\n")
    md_path = out_dir / f"{report['name']}.md"
    md_path.write_text(to_markdown(report))
    paths = [json_path, md_path]
    if plots_dir is not None:
        paths += write_plots(report, plots_dir)
    return paths


def update_readme(path, report):
    """Replace the block between this run's markers in ``path`` with :func:`headline`.

    The markers are ``<!-- results:NAME:start -->`` and ``<!-- results:NAME:end -->``;
    they are appended to the file when missing.
    """
    path = Path(path)
    start = f"<!-- results:{report['name']}:start -->"
    end = f"<!-- results:{report['name']}:end -->"
    text = path.read_text() if path.exists() else ""
    block = f"{start}\n{headline(report)}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)
    return path


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python benchmarks/bench_report.py RESULTS.json")
    saved = json.loads(Path(sys.argv[1]).read_text())
    print(to_markdown(saved))
