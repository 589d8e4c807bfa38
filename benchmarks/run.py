"""Benchmark ``ensembles`` against XGBoost, LightGBM, CatBoost and scikit-learn.

Run from the repository root::

    python benchmarks/run.py --suite quick          # under 3 minutes on 2 cores
    python benchmarks/run.py --suite full           # under an hour
    python benchmarks/run.py --suite forest-wide    # forests on 2,000 x 2,000 tables
    python benchmarks/run.py --suite core           # boosting: 10^6 x 28, vs XGBoost
    python benchmarks/run.py --suite explain        # SHAP contributions, vs XGBoost
    python benchmarks/run.py --suite dask           # boosting on a 2-worker LocalCluster
    python benchmarks/run.py --suite sparse         # boosting on a sparse CSR matrix, vs XGBoost
    python benchmarks/run.py --suite wide           # boosting on 50 x 100,000 floats, vs XGBoost
    python benchmarks/run.py --only xgboost lightgbm digits synth-clf 1e5 --threads 4

Every (estimator, task, size) runs in a fresh child process (``bench_child.py``) that
reports JSON; this parent collects the results, prints a progress line per run and a
summary, and writes JSON, Markdown and PNG plots (see ``benchmarks/README.md``).
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
# Benchmark the working tree's package even where it is not installed.
sys.path.insert(1, str(ROOT))

import bench_child  # noqa: E402
import bench_estimators  # noqa: E402
import bench_report  # noqa: E402
import bench_tasks  # noqa: E402

BOOSTING = ("ensembles-gb", "xgboost", "lightgbm", "catboost", "sklearn-hgb")
FORESTS = ("ensembles-rf", "sklearn-rf", "ensembles-et", "sklearn-et")
# LightGBM's and XGBoost's random-forest modes run in the `forest` suite only: at 10^6 rows
# LightGBM's (unbounded leaves) alone would take most of the full suite's hour.
PEER_FORESTS = ("lightgbm-rf", "xgboost-rf")
STACKING = ("ensembles-stack", "sklearn-stack")
BUNDLED = ("breast_cancer", "digits", "wine", "diabetes")
SHARED = ("higgs7k", "multiclass", "agaricus", "adult", "housing", "titanic", "machine",
          "rank")
SYNTHETIC = ("synth-clf", "synth-reg")


@dataclass(frozen=True)
class Suite:
    """What a suite runs.

    Attributes
    ----------
    tasks, estimators : tuple of str
    sizes : tuple of int
        Training rows of the synthetic series.
    caps : dict
        ``{family: {task: max_rows}}``: larger synthetic runs of that family are left out
        (scikit-learn's forests would take hours at 10^7 rows), unless ``--only`` names
        their size.
    max_repeats, min_repeats, budget_s : int, int, float
        A child repeats the timed fit while the time spent plus one more fit stays within
        ``budget_s`` seconds, between ``min_repeats`` and ``max_repeats`` times.
    timeout_s : float
        A child still running after this long is killed and recorded as a timeout.
    task_sizes : dict
        ``{task: sizes}``: synthetic tasks that use their own sizes instead of ``sizes``.
    startup : bool
        Also time fresh processes that import a library and fit 10 trees on 1,000 rows.
    baseline : str or None
        Estimator every ratio is also expressed against (issue 2's targets use XGBoost).
    explain_rows : int
        Also time SHAP contributions (TreeSHAP) of the fitted model on this many test rows
        (0: not measured); estimators without them are left out of that column.
    """

    description: str
    tasks: tuple
    estimators: tuple
    sizes: tuple = ()
    caps: dict = field(default_factory=dict)
    task_sizes: dict = field(default_factory=dict)
    max_repeats: int = 3
    min_repeats: int = 1
    budget_s: float = 10.0
    timeout_s: float = 600.0
    startup: bool = False
    baseline: str | None = None
    explain_rows: int = 0


_FOREST_CAPS = {"synth-clf": 1_000_000, "synth-reg": 100_000}

SUITES = {
    "quick": Suite(
        "scikit-learn's bundled data and 10^4-row synthetic sets; boosting and forests",
        # wine is left to the full suite: one child per run costs ~1.5 s of start-up, and
        # 45 runs keep the suite well under 3 minutes on 2 cores.
        tasks=("breast_cancer", "digits", "diabetes") + SYNTHETIC,
        estimators=BOOSTING + FORESTS,
        sizes=(10_000,),
        budget_s=1.0,
        timeout_s=120,
    ),
    "full": Suite(
        "every real data set, synthetic series 10^4..10^7 rows; all estimators",
        tasks=BUNDLED + SHARED + SYNTHETIC,
        estimators=BOOSTING + FORESTS + STACKING,
        sizes=(10_000, 100_000, 1_000_000, 10_000_000),
        # One 10^7-row boosting fit takes minutes on two cores: the classification series
        # goes to 10^7 and the regression series stops at 10^6 to stay within the hour.
        caps={
            "boosting": {"synth-reg": 1_000_000},
            "random-forest": _FOREST_CAPS,
            "extra-trees": _FOREST_CAPS,
            "stacking": {"synth-clf": 0, "synth-reg": 0},
        },
        budget_s=10,
        timeout_s=1200,
        baseline="xgboost",
    ),
    "forest": Suite(
        "forests, 100 trees, max_features sqrt: make_classification 200,000 x 28 and "
        "make_regression 100,000 x 28",
        tasks=("synth-clf", "synth-reg"),
        estimators=FORESTS + PEER_FORESTS,
        sizes=(200_000,),
        task_sizes={"synth-reg": (100_000,)},
        budget_s=60,
        timeout_s=900,
        # "First fit, empty cache": numba compiles the forest kernel on a user's first fit.
        startup=True,
    ),
    "forest-wide": Suite(
        "forests on wide tables, 100 trees, max_features sqrt: make_classification and "
        "make_regression 2,000 x 2,000",
        tasks=("synth-clf-wide", "synth-reg-wide"),
        estimators=FORESTS,
        sizes=(2_000,),
        budget_s=20,
        max_repeats=3,
        timeout_s=600,
    ),
    "forest-small": Suite(
        "forests on the data most people have, 100 trees, max_features sqrt: the shared "
        "higgs7k (binary), multiclass (5 classes), adult (binary, categorical columns) and "
        "housing (regression) sets and scikit-learn's digits (10 classes, 64 features)",
        tasks=("higgs7k", "multiclass", "adult", "housing", "digits"),
        estimators=FORESTS,
        budget_s=10,
        max_repeats=5,
        timeout_s=600,
    ),
    "small": Suite(
        "issue 12: the data most people have; boosting, 100 trees, depth 6, ratios to XGBoost",
        tasks=("synth-clf10", "breast_cancer", "digits", "synth-clf"),
        estimators=BOOSTING,
        task_sizes={"synth-clf10": (2_000,), "synth-clf": (100_000,)},
        budget_s=10,
        max_repeats=5,
        timeout_s=600,
        baseline="xgboost",
    ),
    "tiny": Suite(
        "the smallest real sets, under 700 training rows, where a fit's fixed and per-tree "
        "costs outweigh its arithmetic: scikit-learn's wine (3 classes), diabetes and "
        "breast_cancer and the shared titanic and machine sets; boosting (ratios to "
        "XGBoost) and forests, 100 trees",
        tasks=("wine", "diabetes", "breast_cancer", "titanic", "machine"),
        estimators=BOOSTING + FORESTS,
        budget_s=5,
        max_repeats=7,
        timeout_s=300,
        baseline="xgboost",
    ),
    "small-real": Suite(
        "boosting on the shared real sets most like users' data, 100 trees, depth 6, ratios "
        "to XGBoost: higgs7k (binary), multiclass (5 classes), agaricus (126 one-hot "
        "columns), adult (binary, categorical columns) and housing (regression, a "
        "categorical column, NaNs)",
        tasks=("higgs7k", "multiclass", "agaricus", "adult", "housing"),
        estimators=BOOSTING,
        budget_s=10,
        max_repeats=5,
        timeout_s=600,
        baseline="xgboost",
    ),
    "core": Suite(
        "boosting against XGBoost: make_classification 10^6 x 28, 100 trees, depth 6, lr 0.1, "
        "256 bins; also with quantized gradients (ours and LightGBM's)",
        tasks=("synth-clf",),
        estimators=("ensembles-gb", "xgboost", "lightgbm", "sklearn-hgb",
                    "ensembles-gb-quantized", "lightgbm-quantized"),
        sizes=(1_000_000,),
        budget_s=45,
        timeout_s=900,
        startup=True,
        baseline="xgboost",
    ),
    "rank": Suite(
        "learning to rank: LightGBM's lambdarank example (3,005 x 300 training rows in 201 "
        "queries), NDCG@10 on its test part; 100 trees, depth 6, lr 0.1, ratios to XGBoost",
        tasks=("rank",),
        estimators=("ensembles-gb", "xgboost", "lightgbm"),
        budget_s=10,
        max_repeats=5,
        timeout_s=600,
        baseline="xgboost",
    ),
    "explain": Suite(
        "SHAP contributions: 10,000 rows x 100 trees of depth 6 (make_classification 40,000"
        " x 28, 10,000 test rows)",
        tasks=("synth-clf",),
        estimators=("ensembles-gb", "xgboost"),
        sizes=(40_000,),
        budget_s=30,
        timeout_s=900,
        baseline="xgboost",
        explain_rows=10_000,
    ),
}


# --------------------------------------------------------------------------- selection


def parse_size(token):
    """``"1e5"``, ``"100000"``, ``"100k"`` or ``"1M"`` as an int, else ``None``."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?(?:e\d+)?)([kKmM]?)", token.strip())
    if not m:
        return None
    value = float(m.group(1)) * {"": 1, "k": 1e3, "m": 1e6}[m.group(2).lower()]
    return int(value) if value >= 1 and value == int(value) else None


def size_label(size):
    """``10000 -> "1e4"``; other sizes print as plain integers."""
    if not size:
        return "-"
    exp = len(str(size)) - 1
    return f"1e{exp}" if size == 10**exp else str(size)


def classify_tokens(tokens):
    """Sort ``--only`` tokens into estimators, tasks and sizes.

    A token may name an estimator (``xgboost``, ``sklearn-rf``), a library
    (``ensembles``, ``sklearn``), a family (``boosting``, ``random-forest``), a task
    (``digits``) or a size (``1e5``); commas separate several in one token.

    Raises
    ------
    ValueError
        For a token that names none of these.
    """
    estimators, tasks, sizes = set(), set(), set()
    for token in (t for raw in tokens for t in raw.split(",") if t):
        # An estimator's own name wins over a library of the same name ("xgboost" is the
        # boosting estimator, not also "xgboost-rf").
        matched = {token} if token in bench_estimators.ESTIMATORS else {
            name
            for name, spec in bench_estimators.ESTIMATORS.items()
            if token in (spec.library, spec.family)
        }
        if matched:
            estimators |= matched
        elif token in bench_tasks.TASKS:
            tasks.add(token)
        elif parse_size(token) is not None:
            sizes.add(parse_size(token))
        else:
            libraries = sorted({s.library for s in bench_estimators.ESTIMATORS.values()})
            raise ValueError(
                f"--only got {token!r}; accepted: estimators {sorted(bench_estimators.ESTIMATORS)}"
                f", libraries {libraries}, families {list(bench_estimators.FAMILIES)}, tasks "
                f"{sorted(bench_tasks.TASKS)}, or a size such as 1e5"
            )
    return estimators, tasks, sizes


def plan(suite, only=(), datasets_dir=None):
    """The (estimator, task, size) jobs of ``suite`` narrowed by ``--only`` tokens.

    Named estimators, tasks and sizes replace the suite's own lists (so ``--only 1e3``
    runs a tiny synthetic series); without a task token, a size token keeps only the
    synthetic tasks. A named size also lifts the suite's caps (``caps`` of
    :class:`Suite`), which only shorten its own series. Real tasks whose files are
    missing are left out.

    Returns
    -------
    jobs : list of dict
    notes : list of str
        Why some tasks were left out.
    """
    estimators, tasks, sizes = classify_tokens(only)
    if not tasks:
        tasks = {t for t in suite.tasks if not sizes or bench_tasks.TASKS[t].source == "synthetic"}
    estimators = estimators or set(suite.estimators)
    named_sizes = bool(sizes)
    sizes = sorted(sizes or suite.sizes)
    available = set(bench_tasks.available_tasks(datasets_dir))
    notes = [
        f"task {t}: data files not found, skipped" for t in sorted(tasks) if t not in available
    ]
    order = {name: i for i, name in enumerate(bench_estimators.ESTIMATORS)}
    task_order = {name: i for i, name in enumerate(bench_tasks.TASKS)}
    jobs = []
    for task in sorted(tasks & available, key=task_order.get):
        synthetic = bench_tasks.TASKS[task].source == "synthetic"
        task_sizes = sizes if named_sizes else suite.task_sizes.get(task, sizes)
        for size in task_sizes if synthetic else [None]:
            for name in sorted(estimators, key=order.get):
                if not bench_estimators.supports(name, bench_tasks.TASKS[task].kind):
                    continue
                family = bench_estimators.ESTIMATORS[name].family
                cap = suite.caps.get(family, {}).get(task)
                if size is not None and cap is not None and size > cap and not named_sizes:
                    continue
                jobs.append({"estimator": name, "task": task, "size": size})
    return jobs, notes


# --------------------------------------------------------------------------- children


def child_env(threads, numba_cache_dir=None):
    """Environment of a child: every thread pool capped at ``threads``."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMBA_NUM_THREADS"):
        env[var] = str(threads)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if numba_cache_dir:
        env["NUMBA_CACHE_DIR"] = str(numba_cache_dir)
    return env


def run_child(args, env, timeout):
    """Run ``bench_child.py`` with ``args``.

    Returns
    -------
    status : {"ok", "error", "timeout"}
    payload : dict or str
        The child's JSON result, or the reason it failed.
    wall_s : float
        Wall time of the whole child process.
    """
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, str(HERE / "bench_child.py"), *args],
            capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        return "timeout", f"killed after {timeout:.0f} s", time.perf_counter() - start
    wall = time.perf_counter() - start
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(bench_child.MARKER) and proc.returncode == 0:
            return "ok", json.loads(line[len(bench_child.MARKER):]), wall
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    reason = lines[-1].strip() if lines else f"exit status {proc.returncode}, no result"
    return "error", reason[:300], wall


def measure_startup(names, threads, repeats=5, timeout=300):
    """Issue 2's start-up check for each estimator in ``names``.

    Each estimator gets one run with an empty numba cache (``cold_s``: a first fit after
    installing, on the kernels compiled at build time where they apply, numba's JIT
    elsewhere), for this package's estimators one more with the compiled kernels turned off
    (``cold_jit_s``: what an install without them pays), one discarded run that warms the
    cache, then ``repeats`` timed runs (``wall_s``, the median).

    This package's bytecode is compiled first: an installed wheel carries it (pip compiles
    it), as the peers' installs here do, while a checkout run with
    ``PYTHONDONTWRITEBYTECODE`` set would compile every module's source again in each
    child, which no user of an install pays.
    """
    compileall.compile_dir(ROOT / "ensembles", quiet=1)
    rows = []
    for name in names:
        row = {"estimator": name}
        with tempfile.TemporaryDirectory(prefix="bench-numba-") as cache:
            status, payload, wall = run_child(
                ["startup", name, str(threads)], child_env(threads, cache), timeout
            )
        if status != "ok":
            rows.append(dict(row, status=status, note=payload))
            continue
        row["cold_s"] = wall
        if name.startswith("ensembles"):
            with tempfile.TemporaryDirectory(prefix="bench-numba-") as cache:
                env = dict(child_env(threads, cache), ENSEMBLES_AOT="0")
                status, payload, wall = run_child(["startup", name, str(threads)], env, timeout)
            if status == "ok":
                row["cold_jit_s"] = wall
        env = child_env(threads)
        run_child(["startup", name, str(threads)], env, timeout)
        walls, payloads = [], []
        for _ in range(repeats):
            status, payload, wall = run_child(["startup", name, str(threads)], env, timeout)
            if status != "ok":
                break
            walls.append(wall)
            payloads.append(payload)
        if status != "ok":
            rows.append(dict(row, status=status, note=payload))
            continue
        rows.append(dict(
            row, status="ok", wall_s=statistics.median(walls), walls=walls,
            import_s=statistics.median(p["import_s"] for p in payloads),
            fit_s=statistics.median(p["fit_s"] for p in payloads),
        ))
        print(f"  start-up {name:<15} {rows[-1]['wall_s']:.2f} s warm "
              f"(import {rows[-1]['import_s']:.2f} s, fit {rows[-1]['fit_s']:.2f} s), "
              f"{row['cold_s']:.2f} s with an empty numba cache", flush=True)
        if "cold_jit_s" in row:
            print(f"  start-up {name:<15} {row['cold_jit_s']:.2f} s with an empty numba cache "
                  f"and JIT-compiled kernels only", flush=True)
    return rows


# --------------------------------------------------------------------------- main


def _progress_prefix(i, n, job):
    return (f"[{i:>3}/{n}] {job['estimator']:<15} {job['task']:<13} "
            f"{size_label(job['size']):>5}  ")


def _progress_result(result):
    if result["status"] != "ok":
        return f"{result['status'].upper()}: {result['note']}"
    inc = result.get("fit_increment_mb")
    inc = f" (+{inc:.0f})" if inc is not None else ""
    return (f"fit {result['fit_s']:8.3f} s  predict {result['predict_s']:7.3f} s  "
            f"{result['metric']} {result['score']:.4f}  peak {result['peak_fit_mb']:.0f} MB"
            f"{inc}  warm-up {result['warmup_s']:.2f} s  x{len(result['fit_times'])}")


def _load_average():
    """One-minute load average, or ``None`` where the platform has none."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def _processor():
    """The CPU's model name where the platform tells it (``/proc/cpuinfo`` on Linux, whose
    ``platform.processor()`` is empty), else the architecture: speed ratios between
    libraries differ from one CPU model to another, so a report names its CPU."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.partition(":")[2].strip()
                    if model:
                        return f"{model}, {platform.machine()}"
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(threads):
    """Where and with what the suite ran."""
    from importlib import metadata

    versions = {}
    for dist in ("ensembles", "numpy", "numba", "scikit-learn", "xgboost", "lightgbm",
                 "catboost"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return {
        "platform": platform.platform(),
        "processor": _processor(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "threads": threads,
        "versions": versions,
    }


def build_parser():
    p = argparse.ArgumentParser(
        description="Benchmark ensembles against XGBoost, LightGBM, CatBoost and scikit-learn.",
    )
    p.add_argument("--suite", choices=sorted([*SUITES, "dask", "sparse", "wide"]), default="quick",
                   help="which suite to run (default: quick)")
    p.add_argument("--only", nargs="+", default=[], metavar="TOKEN",
                   help="estimators, libraries, families, tasks or sizes (e.g. 1e5) to run")
    p.add_argument("--threads", type=int, default=2, help="threads per fit (default: 2)")
    p.add_argument("--out", type=Path, default=HERE / "results",
                   help="folder for the JSON and Markdown results (default: benchmarks/results)")
    p.add_argument("--plots", type=Path, default=ROOT / "docs" / "_static" / "benchmarks",
                   help="folder for the PNG plots (default: docs/_static/benchmarks)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--name", help="stem of the output files (default: the suite's name, "
                                  "with '-partial' when --only, --trees or --repeats is used)")
    p.add_argument("--repeats", type=int, help="at most this many timed fits per run")
    p.add_argument("--trees", type=int, help="override n_estimators (smoke tests)")
    p.add_argument("--max-features", type=_max_features,
                   help="override the forests' max_features: sqrt, log2, a fraction in "
                        "(0, 1] or a number of features (default: sqrt); e.g. 1.0, "
                        "scikit-learn's regressors' default")
    p.add_argument("--timeout", type=float, help="seconds before a run is killed")
    p.add_argument("--numba-cache", choices=("warm", "cold"), default="warm",
                   help="cold: every child starts with an empty numba cache, so its warm-up "
                        "time is the full compile time (default: warm)")
    p.add_argument("--cache-dir", type=Path, default=HERE / "results" / "tmp",
                   help="where generated synthetic data are cached")
    p.add_argument("--datasets-dir", type=Path, default=bench_tasks.default_datasets_dir(),
                   help="the shared real data sets (default: ../shared/datasets)")
    p.add_argument("--update-readme", action="store_true",
                   help="write the headline table into benchmarks/README.md")
    p.add_argument("--list", action="store_true", help="print the runs and exit")
    return p


def _max_features(token):
    """``--max-features``: ``sqrt``, ``log2``, a fraction in (0, 1] (written with a
    point, as scikit-learn reads a float) or a number of features."""
    if token in ("sqrt", "log2"):
        return token
    if token.isdigit() and int(token) >= 1:
        return int(token)
    try:
        value = float(token)
    except ValueError:
        value = 0.0
    if "." in token and 0.0 < value <= 1.0:
        return value
    raise argparse.ArgumentTypeError(
        f"expected sqrt, log2, a fraction in (0, 1] or a positive number of features, "
        f"got {token!r}")


def _validate(args, parser):
    if args.threads < 1:
        parser.error(f"--threads must be a positive integer, got {args.threads}")
    if args.repeats is not None and args.repeats < 1:
        parser.error(f"--repeats must be a positive integer, got {args.repeats}")
    if args.trees is not None and args.trees < 1:
        parser.error(f"--trees must be a positive integer, got {args.trees}")
    if args.timeout is not None and args.timeout <= 0:
        parser.error(f"--timeout must be a positive number of seconds, got {args.timeout}")


def _run_dask_suite(args):
    """The ``dask`` suite (``bench_dask.py``): boosting on a 2-worker LocalCluster against
    one process; a size token of ``--only`` sets the rows (default 10^6)."""
    import bench_dask

    argv = ["--out", str(args.out), "--cache-dir", str(args.cache_dir)]
    sizes = [parse_size(t) for t in args.only if parse_size(t) is not None]
    if sizes:
        argv += ["--rows", str(sizes[0])]
    if args.trees:
        argv += ["--trees", str(args.trees)]
    if args.repeats:
        argv += ["--repeats", str(args.repeats)]
    partial = bool(sizes or args.trees or args.repeats)
    argv += ["--name", args.name or ("dask-partial" if partial else "dask")]
    return bench_dask.main(argv)


def _run_sparse_suite(args):
    """The ``sparse`` and ``wide`` suites (``bench_sparse.py``): boosting on a CSR matrix
    of 10^4 columns and ten entries per row (or on a dense table of 50 rows and 100,000
    columns) against XGBoost on the same matrix; a size token of ``--only`` sets the rows
    (default 10^5, or 50), estimator tokens narrow the estimators."""
    import bench_sparse

    argv = ["--out", str(args.out), "--threads", str(args.threads)]
    if args.suite == "wide":
        argv.append("--wide")
    sizes = [parse_size(t) for t in args.only if parse_size(t) is not None]
    names = [t for t in args.only if t in bench_sparse.ESTIMATORS]
    if sizes:
        argv += ["--rows", str(sizes[0])]
    if names:
        argv += ["--only", *names]
    if args.trees:
        argv += ["--trees", str(args.trees)]
    if args.repeats:
        argv += ["--repeats", str(args.repeats)]
    partial = bool(sizes or names or args.trees or args.repeats)
    argv += ["--name", args.name or (args.suite + ("-partial" if partial else ""))]
    return bench_sparse.main(argv)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    _validate(args, parser)
    if args.suite == "dask":
        return _run_dask_suite(args)
    if args.suite in ("sparse", "wide"):
        return _run_sparse_suite(args)
    suite = SUITES[args.suite]
    try:
        jobs, notes = plan(suite, args.only, args.datasets_dir)
    except ValueError as exc:
        parser.error(str(exc))
    if not jobs:
        parser.error("--only selected no runs: name at least one estimator and one task "
                     "that go together (see --list)")
    if args.list:
        for i, job in enumerate(jobs, 1):
            print(_progress_prefix(i, len(jobs), job).rstrip())
        return 0

    partial = bool(args.only or args.trees or args.repeats or args.max_features)
    name = args.name or (f"{args.suite}-partial" if partial else args.suite)
    overrides = {"n_estimators": args.trees} if args.trees else {}
    if args.max_features is not None:
        overrides["max_features"] = args.max_features
    max_repeats = args.repeats or suite.max_repeats
    timeout = args.timeout or suite.timeout_s
    started = time.perf_counter()
    print(f"suite {args.suite}: {suite.description}\n{len(jobs)} runs, {args.threads} "
          f"threads, up to {max_repeats} timed fits each", flush=True)
    load_start = _load_average()
    if load_start is not None and load_start > 0.5 * (os.cpu_count() or 1):
        # OpenMP pools that spin-wait (XGBoost, LightGBM) slow down many-fold on busy cores.
        print(f"  warning: the machine is busy (load average {load_start:.1f} on "
              f"{os.cpu_count()} CPUs); timings will be unreliable", flush=True)

    skipped = {}
    for est in dict.fromkeys(j["estimator"] for j in jobs):
        reason = bench_estimators.probe(est)
        if reason:
            skipped[est] = f"not importable ({reason})"
            print(f"  skip {est}: {skipped[est]}", flush=True)
    for note in notes:
        print(f"  {note}", flush=True)
    runnable = [j for j in jobs if j["estimator"] not in skipped]

    for task, size in dict.fromkeys((j["task"], j["size"]) for j in runnable):
        if size is not None:
            print(f"  preparing {task} {size_label(size)} ...", flush=True)
            status, payload, _ = run_child(
                ["prepare", task, str(size), str(args.cache_dir)], child_env(args.threads),
                timeout,
            )
            if status != "ok":
                raise SystemExit(f"could not generate {task} at {size} rows: {payload}")

    results = []
    for i, job in enumerate(runnable, 1):
        print(_progress_prefix(i, len(runnable), job), end="", flush=True)
        spec = dict(
            job, threads=args.threads, overrides=overrides, max_repeats=max_repeats,
            min_repeats=min(suite.min_repeats, max_repeats), budget_s=suite.budget_s,
            explain_rows=suite.explain_rows,
            datasets_dir=str(args.datasets_dir), cache_dir=str(args.cache_dir),
        )
        cache = tempfile.mkdtemp(prefix="bench-numba-") if args.numba_cache == "cold" else None
        try:
            status, payload, wall = run_child(
                ["measure", json.dumps(spec)], child_env(args.threads, cache), timeout
            )
        finally:
            if cache:
                shutil.rmtree(cache, ignore_errors=True)
        result = dict(
            job, family=bench_estimators.ESTIMATORS[job["estimator"]].family, status=status,
            wall_s=wall,
        )
        if status == "ok":
            result.update(payload)
        else:
            result["note"] = payload
        results.append(result)
        print(_progress_result(result), flush=True)

    startup = []
    if suite.startup:
        names = [e for e in suite.estimators if e in {j["estimator"] for j in runnable}]
        print("start-up: a fresh process imports the library and fits 10 trees on 1,000 rows",
              flush=True)
        startup = measure_startup(names, args.threads, timeout=timeout)

    report = {
        "name": name,
        "suite": args.suite,
        "description": suite.description,
        "created": datetime.datetime.now().isoformat(timespec="seconds"),
        "command": "python benchmarks/run.py " + " ".join(argv if argv is not None
                                                         else sys.argv[1:]),
        "machine": dict(machine_info(args.threads), load_start=load_start,
                        load_end=_load_average()),
        "params": {f: dict(p, **{k: v for k, v in overrides.items() if k in p})
                   for f, p in bench_estimators.SHARED_PARAMS.items()},
        "baseline": suite.baseline,
        "skipped": skipped,
        "notes": notes,
        "results": results,
        "startup": startup,
        "elapsed_s": None,
    }
    bench_report.add_ratios(report)
    report["targets"] = bench_report.evaluate_targets(report)
    report["elapsed_s"] = time.perf_counter() - started
    paths = bench_report.write_outputs(report, args.out, None if args.no_plots else args.plots)
    if args.update_readme:
        paths.append(bench_report.update_readme(HERE / "README.md", report))
    print()
    print(bench_report.summary_text(report))
    print("written: " + ", ".join(str(p) for p in paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
