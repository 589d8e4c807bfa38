"""The ``dask`` suite: data-parallel boosting on a LocalCluster against one process.

``python benchmarks/run.py --suite dask`` (or this file directly) fits the ``core`` suite's
boosting problem, ``make_classification`` 10^6 x 28 with 100 trees of depth 6, learning
rate 0.1 and 256 bins, twice:

* single node: :class:`ensembles.GradientBoostingClassifier` with ``n_jobs=2``;
* Dask: :class:`ensembles.dask.DaskGradientBoostingClassifier` on a ``LocalCluster`` of 2
  worker processes x 1 thread, the rows in two blocks, one per worker, persisted there
  before the timer starts (loading data onto a cluster is not training).

Both fit after a small warm-up fit (numba's compilation, the workers' imports), then
alternate (``--repeats`` pairs, so that the machine's load falls on both). It reports
both median fit times and their ratio, the ratio of each pair, the largest difference
between the two models' probabilities, and what crossed the network: histogram bytes per
tree and per tree level, plan and tree bytes sent to the workers, and round trips. Results go to
``<out>/<name>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import bench_tasks  # noqa: E402

from ensembles.dask._cluster import live_workers  # noqa: E402

PARAMS = {"n_estimators": 100, "max_depth": 6, "learning_rate": 0.1, "max_bin": 256,
          "random_state": 0}


def _blocks_on_workers(client, X, y):
    """X and y as dask arrays of one row block per worker, persisted on that worker."""
    import dask.array as da

    workers = sorted(live_workers(client))
    bounds = np.linspace(0, X.shape[0], len(workers) + 1).astype(int)
    xs, ys = [], []
    for w, a, b in zip(workers, bounds[:-1], bounds[1:], strict=True):
        fx, fy = client.scatter([X[a:b], y[a:b]], workers=[w], hash=False)
        xs.append(da.from_delayed(fx, (b - a, X.shape[1]), dtype=X.dtype))
        ys.append(da.from_delayed(fy, (b - a,), dtype=y.dtype))
    return da.concatenate(xs), da.concatenate(ys)


def run(rows, trees, repeats, cache_dir):
    from distributed import Client, LocalCluster

    from ensembles import GradientBoostingClassifier
    from ensembles.dask import DaskGradientBoostingClassifier

    data = bench_tasks.load_task("synth-clf", rows, cache_dir=cache_dir)
    X, y = np.ascontiguousarray(data.X_train), data.y_train
    params = dict(PARAMS, n_estimators=trees)
    result = {"rows": int(X.shape[0]), "features": int(X.shape[1]), "params": params,
              "workers": 2, "threads_per_worker": 1, "single_node_n_jobs": 2}

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None, worker_dashboard_address=None)
    client = Client(cluster)
    try:
        start = time.perf_counter()
        dX, dy = _blocks_on_workers(client, X, y)
        result["load_s"] = time.perf_counter() - start
        # Warm-up: compilation and caches, the workers' imports, on a small slice.
        GradientBoostingClassifier(**dict(params, n_estimators=2), n_jobs=2).fit(
            X[:2000], y[:2000])
        wX, wy = _blocks_on_workers(client, X[:2000], y[:2000])
        DaskGradientBoostingClassifier(client=client, **dict(params, n_estimators=2)).fit(
            wX, wy)
        # The two fits alternate, so that a change of the machine's load between repeats
        # falls on both (the idle workers wait while the single-node fit runs).
        single_times, dask_times, loads = [], [], []
        for _ in range(repeats):
            start = time.perf_counter()
            local = GradientBoostingClassifier(**params, n_jobs=2).fit(X, y)
            single_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            model = DaskGradientBoostingClassifier(client=client, **params).fit(dX, dy)
            dask_times.append(time.perf_counter() - start)
            loads.append(os.getloadavg()[0])
        test = np.ascontiguousarray(data.X_test)
        diff = np.abs(model.to_local().predict_proba(test) - local.predict_proba(test)).max()
    finally:
        client.close()
        cluster.close()

    stats = model.transfer_stats_
    n_hist_bins = int(model._bin_mapper.n_bins_.sum() + X.shape[1])
    levels = sum(t.depth for t in model._booster.trees)
    result.update({
        "single_node_fit_s": statistics.median(single_times),
        "dask_fit_s": statistics.median(dask_times),
        "single_node_fit_all_s": single_times,
        "dask_fit_all_s": dask_times,
        "ratio_all": [d / t for d, t in zip(dask_times, single_times, strict=True)],
        "load_averages": loads,
        "max_abs_proba_difference": float(diff),
        "transfer": stats,
        "histogram_rows": n_hist_bins,
        "histogram_bytes_per_tree": stats["histogram_bytes"] / stats["trees"],
        "histogram_bytes_per_level": stats["histogram_bytes"] / max(levels, 1),
        "sent_bytes_per_tree": stats["sent_bytes"] / stats["trees"],
        "round_trips_per_tree": stats["steps"] / stats["trees"],
    })
    result["ratio"] = result["dask_fit_s"] / result["single_node_fit_s"]
    result["ratio_median_of_pairs"] = statistics.median(result["ratio_all"])
    return result


def report(result):
    mib = 1024.0 * 1024.0
    lines = [
        "# Dask suite: data-parallel boosting",
        "",
        f"`make_classification` {result['rows']:,} x {result['features']}, "
        f"{result['params']['n_estimators']} trees of depth {result['params']['max_depth']}, "
        f"learning rate {result['params']['learning_rate']}, "
        f"{result['params']['max_bin']} bins.",
        "",
        "| fit | seconds (median) |",
        "|---|---|",
        f"| single node, `n_jobs=2` | {result['single_node_fit_s']:.2f} |",
        f"| LocalCluster, 2 workers x 1 thread | {result['dask_fit_s']:.2f} |",
        f"| ratio (Dask / single node) | {result['ratio']:.2f} |",
        "",
        f"{len(result['ratio_all'])} alternating repeats; ratio of each pair: "
        f"{', '.join(f'{r:.2f}' for r in result['ratio_all'])} (median "
        f"{result['ratio_median_of_pairs']:.2f}); one-minute load average "
        f"after each pair: {', '.join(f'{v:.1f}' for v in result['load_averages'])}.",
        "",
        f"Loading the rows onto the workers (not timed in the fit): {result['load_s']:.2f} s. "
        f"Largest difference of the two models' test probabilities: "
        f"{result['max_abs_proba_difference']:.2e}.",
        "",
        "| network, per tree | |",
        "|---|---|",
        f"| histogram bytes (all workers) | {result['histogram_bytes_per_tree'] / mib:.2f} MiB |",
        f"| histogram bytes per level | {result['histogram_bytes_per_level'] / mib:.2f} MiB |",
        f"| plans and trees sent (all workers) | {result['sent_bytes_per_tree'] / 1024:.1f} KiB |",
        f"| round trips | {result['round_trips_per_tree']:.1f} |",
        f"| histogram rows (bins + missing, all features) | {result['histogram_rows']} |",
        "",
        f"Machine: {result['machine']}.",
    ]
    return "\n".join(lines) + "\n"


def build_parser():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--trees", type=int, default=PARAMS["n_estimators"])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--out", type=Path, default=HERE / "results")
    p.add_argument("--name", default="dask")
    p.add_argument("--cache-dir", type=Path, default=HERE / "results" / "tmp")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    result = run(args.rows, args.trees, args.repeats, args.cache_dir)
    result["machine"] = (f"{platform.machine()}, {os.cpu_count()} CPUs, load average "
                         f"{os.getloadavg()[0]:.1f}, Python {platform.python_version()}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(result, indent=1))
    text = report(result)
    (args.out / f"{args.name}.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
