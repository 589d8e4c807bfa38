"""Tests of the benchmark harness in ``benchmarks/`` (not of the libraries it times).

The harness is a set of scripts, not a package, so it is imported by path. Runs use tiny
sizes, few trees and scikit-learn's HistGradientBoosting, which is always installed.
"""

import importlib.util
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def _load(name, filename):
    spec = importlib.util.spec_from_file_location(name, BENCH / filename)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


run = _load("bench_run", "run.py")
# run.py puts benchmarks/ on sys.path, so these are the modules it uses itself.
import bench_child  # noqa: E402
import bench_estimators  # noqa: E402
import bench_report  # noqa: E402
import bench_tasks  # noqa: E402

needs_datasets = pytest.mark.skipif(
    not DATASETS.is_dir(), reason=f"shared data sets not found at {DATASETS}"
)


# --------------------------------------------------------------------------- selection


@pytest.mark.parametrize(
    "token, expected",
    [("1e5", 100_000), ("10000", 10_000), ("100k", 100_000), ("2M", 2_000_000),
     ("1.5e3", 1500), ("abc", None), ("0", None), ("1e-3", None)],
)
def test_parse_size(token, expected):
    assert run.parse_size(token) == expected


def test_size_label_round_trips_powers_of_ten():
    for size in (10_000, 1_000_000, 10_000_000):
        assert run.parse_size(run.size_label(size)) == size
    assert run.size_label(300) == "300"


def test_only_tokens_name_estimators_libraries_families_tasks_and_sizes():
    estimators, tasks, sizes = run.classify_tokens(["sklearn", "random-forest,digits", "1e4"])
    assert estimators == {"sklearn-hgb", "sklearn-rf", "sklearn-et", "sklearn-stack",
                          "ensembles-rf", "lightgbm-rf", "xgboost-rf"}
    assert tasks == {"digits"}
    assert sizes == {10_000}


def test_only_rejects_unknown_token_with_the_accepted_values():
    with pytest.raises(ValueError, match=r"--only got 'xgbost'.*xgboost.*breast_cancer"):
        run.classify_tokens(["xgbost"])


def test_plan_of_each_suite_respects_its_lists_and_caps():
    for name, suite in run.SUITES.items():
        jobs, _ = run.plan(suite, datasets_dir=DATASETS)
        assert jobs, name
        assert {j["estimator"] for j in jobs} <= set(suite.estimators)
        for job in jobs:
            family = bench_estimators.ESTIMATORS[job["estimator"]].family
            cap = suite.caps.get(family, {}).get(job["task"])
            if job["size"] is not None and cap is not None:
                assert job["size"] <= cap, (name, job)
    full, _ = run.plan(run.SUITES["full"], datasets_dir=DATASETS)
    assert not [j for j in full if j["estimator"] == "sklearn-rf" and j["size"] == 10_000_000]
    assert max(j["size"] or 0 for j in full if j["estimator"] == "xgboost") == 10_000_000
    core, _ = run.plan(run.SUITES["core"])
    assert {(j["task"], j["size"]) for j in core} == {("synth-clf", 1_000_000)}


def test_a_named_size_lifts_the_caps_of_the_suite():
    # The full suite caps the regression forests at 10^5 rows; 10^6 named in --only runs.
    full = run.SUITES["full"]
    assert full.caps["random-forest"]["synth-reg"] < 1_000_000
    unnamed, _ = run.plan(full, ["sklearn-rf", "synth-reg"], DATASETS)
    assert 1_000_000 not in {j["size"] for j in unnamed}
    named, _ = run.plan(full, ["sklearn-rf", "synth-reg", "1e6"], DATASETS)
    assert [(j["estimator"], j["task"], j["size"]) for j in named] == [
        ("sklearn-rf", "synth-reg", 1_000_000)]


def test_plan_size_token_keeps_only_synthetic_tasks():
    jobs, _ = run.plan(run.SUITES["quick"], ["xgboost", "1e3"])
    assert {(j["estimator"], j["task"], j["size"]) for j in jobs} == {
        ("xgboost", "synth-clf", 1000), ("xgboost", "synth-reg", 1000)}


def test_plan_notes_missing_data_files(tmp_path):
    jobs, notes = run.plan(run.SUITES["quick"], ["xgboost", "adult", "digits"], tmp_path)
    assert [j["task"] for j in jobs] == ["digits"]
    assert any("adult" in n for n in notes)


# --------------------------------------------------------------------------- tasks


def test_ordinal_encoding_is_sorted_and_keeps_missing():
    codes = bench_tasks._ordinal(["b", "a", "", "b", "c"])
    np.testing.assert_array_equal(codes[[0, 1, 3, 4]], [1, 0, 1, 2])
    assert np.isnan(codes[2])


def _check_data(data, spec):
    assert data.kind == spec.kind
    assert data.X_train.dtype == np.float64 and data.X_test.dtype == np.float64
    assert data.X_train.shape[1] == data.X_test.shape[1]
    assert len(data.X_train) == len(data.y_train) and len(data.X_test) == len(data.y_test)
    if spec.kind == "regression":
        assert np.isfinite(data.y_train).all()
    else:
        classes = np.unique(data.y_train)
        np.testing.assert_array_equal(classes, np.arange(len(classes)))
        assert (len(classes) == 2) == (spec.kind == "binary")
        assert set(np.unique(data.y_test)) <= set(classes)


@pytest.mark.parametrize("name", ["breast_cancer", "digits", "wine", "diabetes"])
def test_bundled_tasks_load(name):
    _check_data(bench_tasks.load_task(name), bench_tasks.TASKS[name])


@needs_datasets
@pytest.mark.parametrize("name", list(run.SHARED))
def test_shared_tasks_load(name):
    data = bench_tasks.load_task(name, datasets_dir=DATASETS)
    _check_data(data, bench_tasks.TASKS[name])
    assert len(data.X_train) > len(data.X_test) > 0


@needs_datasets
def test_shared_tasks_encode_categoricals_and_keep_missing_values():
    adult = bench_tasks.load_task("adult", datasets_dir=DATASETS)
    sex = np.concatenate([adult.X_train[:, -2], adult.X_test[:, -2]])  # 'sex' column
    assert set(np.unique(sex)) == {0.0, 1.0}
    housing = bench_tasks.load_task("housing", datasets_dir=DATASETS)
    n_missing = np.isnan(housing.X_train).sum() + np.isnan(housing.X_test).sum()
    assert n_missing == 207  # total_bedrooms, as the data set's README says
    titanic = bench_tasks.load_task("titanic", datasets_dir=DATASETS)
    assert np.isnan(titanic.X_train).any()


def test_synthetic_task_is_cached_and_identical(tmp_path):
    first = bench_tasks.load_task("synth-clf", 400, cache_dir=tmp_path)
    folder = bench_tasks.synthetic_cache_path("synth-clf", 400, tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == [
        "X_test.npy", "X_train.npy", "y_test.npy", "y_train.npy"]
    again = bench_tasks.load_task("synth-clf", 400, cache_dir=tmp_path)
    fresh = bench_tasks.load_task("synth-clf", 400)
    for a, b, c in [(first.X_train, again.X_train, fresh.X_train),
                    (first.y_test, again.y_test, fresh.y_test)]:
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    assert first.X_train.shape == (400, bench_tasks.SYNTH_FEATURES)
    assert len(first.X_test) == bench_tasks.n_test_rows(400) == 1000


def test_load_task_rejects_bad_names_and_sizes():
    with pytest.raises(ValueError, match="task must be one of"):
        bench_tasks.load_task("iris2")
    with pytest.raises(ValueError, match="size must be an integer"):
        bench_tasks.load_task("synth-reg")


# --------------------------------------------------------------------------- estimators


def test_shared_parameters_translate_to_each_library():
    p = bench_estimators.params_for("xgboost")
    kw = {n: bench_estimators.ESTIMATORS[n].translate(p, "binary", 3, 7)
          for n in ("xgboost", "lightgbm", "catboost", "sklearn-hgb", "ensembles-gb")}
    assert kw["xgboost"]["tree_method"] == "hist" and kw["xgboost"]["n_jobs"] == 3
    assert kw["lightgbm"]["num_leaves"] == 2 ** p["max_depth"]
    assert kw["lightgbm"]["n_estimators"] == p["n_estimators"]
    assert kw["catboost"]["iterations"] == p["n_estimators"]
    assert kw["catboost"]["depth"] == p["max_depth"]
    assert kw["catboost"]["thread_count"] == 3
    assert kw["sklearn-hgb"]["max_iter"] == p["n_estimators"]
    assert kw["sklearn-hgb"]["early_stopping"] is False
    assert kw["ensembles-gb"] == dict(p, n_jobs=3, random_state=7)
    for k in kw.values():
        assert p["learning_rate"] in k.values()


def test_params_override_only_known_keys():
    p = bench_estimators.params_for("sklearn-rf", {"n_estimators": 7, "learning_rate": 9})
    assert p["n_estimators"] == 7 and "learning_rate" not in p


def test_build_gives_configured_sklearn_estimators():
    est = bench_estimators.build("sklearn-hgb", "regression",
                                 bench_estimators.params_for("sklearn-hgb"), 2)
    assert type(est).__name__ == "HistGradientBoostingRegressor"
    assert est.max_iter == 100 and est.max_depth == 6 and est.max_leaf_nodes is None


def test_probe_reports_missing_library(monkeypatch):
    fake = bench_estimators.EstimatorSpec(
        "fake", "no_such_library_for_bench", "boosting", "A", "B", lambda *a: {})
    monkeypatch.setitem(bench_estimators.ESTIMATORS, "fake", fake)
    assert "no_such_library_for_bench" in bench_estimators.probe("fake")
    assert bench_estimators.probe("sklearn-hgb") is None


# --------------------------------------------------------------------------- child


_PEAK_CHECK = """
import sys
import numpy as np
sys.path.insert(0, sys.argv[1])
import bench_child
block = np.ones(40 * 2**20 // 8)  # a 40 MiB peak, then freed
del block
before = bench_child.current_rss_mb()
assert bench_child.reset_peak()
assert bench_child.peak_since_reset_mb() < before + 20
block = np.ones(60 * 2**20 // 8)
assert bench_child.peak_since_reset_mb() - before > 50
del block
assert bench_child.process_peak_mb() >= bench_child.peak_since_reset_mb() - 1
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_peak_memory_covers_only_what_follows_the_reset():
    # In a fresh process: a test worker that has run other tests may hold freed memory
    # its allocator hands out again without the resident size growing.
    done = subprocess.run([sys.executable, "-c", _PEAK_CHECK, str(BENCH)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_score_uses_the_headline_metric_per_kind():
    y = np.array([0, 1, 1, 0])
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.7, 0.3]])
    metric, scores = bench_child.score("binary", y, proba)
    assert metric == "roc_auc" and scores["roc_auc"] == 1.0 and scores["accuracy"] == 1.0
    metric, scores = bench_child.score("multiclass", np.array([0, 1, 2]), np.eye(3)[[0, 2, 2]])
    assert metric == "accuracy" and math.isclose(scores["accuracy"], 2 / 3)
    metric, scores = bench_child.score("regression", np.array([1.0, 2, 3]), np.array([1, 2, 3]))
    assert metric == "r2" and scores["r2"] == 1.0 and scores["rmse"] == 0.0


def test_child_failure_and_timeout_are_recorded_not_raised():
    env = run.child_env(1)
    status, reason, _ = run.run_child(
        ["measure", json.dumps({"estimator": "sklearn-hgb", "task": "nope", "threads": 1})],
        env, timeout=120)
    assert status == "error" and "task must be one of" in reason
    status, reason, _ = run.run_child(["prepare", "synth-clf", "10", "/nonexistent"], env,
                                      timeout=0.01)
    assert status == "timeout" and "killed" in reason


def test_child_env_caps_every_thread_pool():
    env = run.child_env(3, "/tmp/x")
    for var in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        assert env[var] == "3"
    assert env["NUMBA_CACHE_DIR"] == "/tmp/x"
    assert env["PYTHONPATH"].split(":")[0] == str(ROOT)


# --------------------------------------------------------------------------- end to end


def test_tiny_run_writes_json_markdown_and_plots(tmp_path, capsys):
    argv = ["--only", "sklearn-hgb", "breast_cancer", "synth-reg", "300", "--trees", "3",
            "--repeats", "2", "--threads", "1", "--out", str(tmp_path / "res"),
            "--plots", str(tmp_path / "plots"), "--cache-dir", str(tmp_path / "cache"),
            "--name", "tiny"]
    # A size token drops real tasks unless a task token names them: here both are named.
    assert run.main(argv) == 0
    out = capsys.readouterr().out
    assert "[  1/2] sklearn-hgb" in out and "[  2/2] sklearn-hgb" in out
    assert "2 runs: 2 ok" in out
    assert "boosting: test score (fit time)" in out
    assert re.search(r"\| breast_cancer \| roc_auc \| 0\.9\d+ \(\d+\.\d\d s\) \|", out)

    report = json.loads((tmp_path / "res" / "tiny.json").read_text())
    assert report["machine"]["threads"] == 1
    assert report["params"]["boosting"]["n_estimators"] == 3
    results = {r["task"]: r for r in report["results"]}
    assert set(results) == {"breast_cancer", "synth-reg"}
    for r in results.values():
        assert r["status"] == "ok"
        assert 1 <= len(r["fit_times"]) <= 2 and r["fit_s"] > 0 and r["predict_s"] > 0
        assert r["params"]["n_estimators"] == 3
        assert r["fit_ratio"] == 1.0  # the only member of its group
        assert r["peak_fit_mb"] >= r["rss_before_fit_mb"] > 0
        assert r["warmup_s"] > 0
    assert results["synth-reg"]["n_train"] == 300 and results["synth-reg"]["metric"] == "r2"
    assert results["breast_cancer"]["metric"] == "roc_auc"
    assert results["breast_cancer"]["score"] > 0.9

    md = (tmp_path / "res" / "tiny.md").read_text()
    assert "| breast_cancer | 426 | sklearn-hgb |" in md
    for kind in ("fit-time", "score", "memory"):
        png = tmp_path / "plots" / f"tiny-{kind}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_machine_info_names_the_cpu_model(tmp_path, monkeypatch):
    # Ratios between libraries differ from one CPU model to another: the report says which
    # CPU ran it, read from /proc/cpuinfo where platform.processor() is empty (Linux).
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Some CPU 9000\nflags\t: fpu\n")
    real_open = open
    monkeypatch.setattr(run, "open", lambda path, *a, **k: real_open(
        cpuinfo if path == "/proc/cpuinfo" else path, *a, **k), raising=False)
    monkeypatch.setattr(run.platform, "processor", lambda: "")
    info = run.machine_info(2)
    assert info["processor"].startswith("Some CPU 9000")
    assert info["threads"] == 2 and info["cpu_count"] >= 1


def test_unavailable_estimator_is_skipped_with_a_note(tmp_path, monkeypatch, capsys):
    fake = bench_estimators.EstimatorSpec(
        "fakeboost", "no_such_library_for_bench", "boosting", "A", "B", lambda *a: {})
    monkeypatch.setitem(bench_estimators.ESTIMATORS, "fakeboost", fake)
    argv = ["--only", "fakeboost", "wine", "--out", str(tmp_path), "--no-plots",
            "--name", "skip"]
    assert run.main(argv) == 0
    assert "skip fakeboost: not importable" in capsys.readouterr().out
    report = json.loads((tmp_path / "skip.json").read_text())
    assert report["results"] == []
    assert "no_such_library_for_bench" in report["skipped"]["fakeboost"]
    assert "fakeboost" in (tmp_path / "skip.md").read_text()


def test_list_prints_runs_without_running(tmp_path, capsys):
    assert run.main(["--suite", "core", "--list", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.count("synth-clf") == len(run.SUITES["core"].estimators)
    assert not list(tmp_path.iterdir())


def test_max_features_reaches_the_forests_parameters(tmp_path):
    # --max-features overrides the forests' shared "sqrt" (e.g. scikit-learn's regressor
    # default, all features); the report records it with each run.
    argv = ["--only", "sklearn-et", "synth-reg", "300", "--trees", "2", "--repeats", "1",
            "--max-features", "1.0", "--threads", "1", "--out", str(tmp_path / "res"),
            "--no-plots", "--cache-dir", str(tmp_path / "cache"), "--name", "allfeat"]
    assert run.main(argv) == 0
    report = json.loads((tmp_path / "res" / "allfeat.json").read_text())
    assert report["params"]["extra-trees"]["max_features"] == 1.0
    assert [r["params"]["max_features"] for r in report["results"]] == [1.0]
    parser = run.build_parser()
    assert parser.parse_args(["--max-features", "7"]).max_features == 7
    assert parser.parse_args(["--max-features", "log2"]).max_features == "log2"


@pytest.mark.parametrize("argv, message", [
    (["--max-features", "1.5"], "expected sqrt, log2, a fraction in (0, 1]"),
    (["--max-features", "0"], "expected sqrt, log2, a fraction in (0, 1]"),
    (["--threads", "0"], "--threads must be a positive integer"),
    (["--only", "bogus"], "--only got 'bogus'"),
    (["--suite", "huge"], "invalid choice"),
])
def test_bad_command_lines_exit_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        run.main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


# --------------------------------------------------------------------------- report


def _result(est, fit, score=0.9, predict=1.0, mem=100.0, task="synth-clf", size=1_000_000):
    return {"estimator": est, "task": task, "size": size, "status": "ok", "n_train": size,
            "family": bench_estimators.ESTIMATORS[est].family, "fit_s": fit,
            "predict_s": predict, "score": score, "metric": "roc_auc", "peak_fit_mb": mem,
            "rss_before_fit_mb": mem / 2, "fit_increment_mb": mem / 2, "warmup_s": 0.1,
            "fit_times": [fit]}


def _report(results, startup=()):
    return {"name": "t", "suite": "core", "description": "test", "created": "now",
            "command": "x", "baseline": "xgboost", "skipped": {}, "notes": [],
            "results": results, "startup": list(startup), "elapsed_s": 1.0,
            "machine": {"threads": 2, "processor": "cpu", "cpu_count": 2, "platform": "p",
                        "python": "3", "versions": {}}}


def test_ratios_compare_within_family_task_and_size():
    report = _report([
        _result("xgboost", 2.0), _result("ensembles-gb", 3.0, score=0.95),
        _result("sklearn-rf", 10.0),  # another family: not compared with boosting
        _result("xgboost", 5.0, size=10_000), _result("lightgbm", 1.0, size=10_000),
    ])
    bench_report.add_ratios(report)
    by = {(r["estimator"], r["size"]): r for r in report["results"]}
    assert by[("xgboost", 1_000_000)]["fit_ratio"] == 1.0
    assert by[("ensembles-gb", 1_000_000)]["fit_ratio"] == 1.5
    assert by[("sklearn-rf", 1_000_000)]["fit_ratio"] == 1.0
    assert by[("xgboost", 10_000)]["fit_ratio"] == 5.0
    assert math.isclose(by[("xgboost", 1_000_000)]["score_gap"], 0.05)
    assert by[("ensembles-gb", 1_000_000)]["vs_baseline"]["fit"] == 1.5
    assert "vs_baseline" not in by[("sklearn-rf", 1_000_000)]


def test_targets_hold_or_miss_at_their_limits():
    startup = [{"estimator": "xgboost", "status": "ok", "wall_s": 1.0},
               {"estimator": "ensembles-gb", "status": "ok", "wall_s": 2.5}]
    report = _report([_result("xgboost", 2.0, score=0.9, predict=1.0, mem=100),
                      _result("ensembles-gb", 2.0, score=0.896, predict=2.0, mem=101)],
                     startup)
    verdict = {t["target"].split(" (")[0].split(" <=")[0]: t["holds"]
               for t in bench_report.evaluate_targets(report)}
    assert verdict == {"boosting fit time": True, "ROC AUC within 0.003 of XGBoost": False,
                       "predict time": True, "peak memory": False, "start-up": False}


def test_small_data_targets_use_each_task_at_its_suite_size():
    """The small suite's targets: fit ratios per task and one-row latency, where a target
    without a size takes the task at the size the suite ran."""
    results = [
        dict(_result("xgboost", 1.0, task="synth-clf10", size=2_000), latency_us=100.0),
        dict(_result("ensembles-gb", 0.9, task="synth-clf10", size=2_000), latency_us=60.0),
        dict(_result("xgboost", 1.0, task="digits", size=None), latency_us=100.0),
        dict(_result("ensembles-gb", 1.4, task="digits", size=None), latency_us=40.0),
    ]
    targets = bench_report.evaluate_targets(_report(results))
    got = {(t["target"], t["task"]): (round(t["value"], 2), t["holds"]) for t in targets}
    assert got == {
        ("boosting fit time <= 1.0x XGBoost at 2,000 x 10", "synth-clf10"): (0.9, True),
        ("boosting fit time <= 1.3x XGBoost on digits (10 classes)", "digits"): (1.4, False),
        ("one-row predict latency <= 0.5x XGBoost", "synth-clf10"): (0.6, False),
    }


def test_update_readme_replaces_its_block_only(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("intro\n")
    report = _report([_result("xgboost", 2.0), _result("ensembles-gb", 3.0)])
    bench_report.add_ratios(report)
    report["targets"] = bench_report.evaluate_targets(report)
    bench_report.update_readme(readme, report)
    report["results"][1]["fit_s"] = 4.0
    bench_report.add_ratios(report)
    bench_report.update_readme(readme, report)
    text = readme.read_text()
    assert text.startswith("intro\n")
    assert text.count("<!-- results:t:start -->") == 1
    assert "| boosting | ensembles-gb | 1 | 0 | 2.00 |" in text


def test_pivot_table_puts_data_sets_down_and_estimators_across():
    failed = dict(_result("lightgbm", 1.0, size=10_000), status="timeout")
    report = _report([_result("xgboost", 2.0, score=0.91), _result("ensembles-gb", 3.0),
                      _result("xgboost", 1.0, size=10_000), failed])
    lines = bench_report.pivot_table(report, "boosting").splitlines()
    assert lines[0] == "| task | score | ensembles-gb | xgboost | lightgbm |"
    assert lines[2] == "| synth-clf 1e4 | roc_auc | - | 0.9000 (1.00 s) | timeout |"
    assert lines[3] == "| synth-clf 1e6 | roc_auc | 0.9000 (3.00 s) | 0.9100 (2.00 s) | - |"
    assert bench_report.pivot_table(report, "stacking") == ""


def test_explain_suite_times_contributions_against_xgboost():
    suite = run.SUITES["explain"]
    assert suite.explain_rows == 10_000 and suite.baseline == "xgboost"
    jobs, _ = run.plan(suite)
    assert {j["estimator"] for j in jobs} == {"ensembles-gb", "xgboost"}
    assert bench_tasks.n_test_rows(jobs[0]["size"]) >= suite.explain_rows
    results = [dict(_result("xgboost", 2.0, size=40_000), explain_s=4.0, explain_rows=10_000),
               dict(_result("ensembles-gb", 3.0, size=40_000), explain_s=1.0,
                    explain_rows=10_000)]
    report = _report(results)
    bench_report.add_ratios(report)
    targets = [t for t in bench_report.evaluate_targets(report)
               if t["quantity"] == "explain_s"]
    assert [(t["value"], t["holds"]) for t in targets] == [(0.25, True)]
    lines = bench_report.explain_table(report).splitlines()
    assert lines[0].startswith("| task | rows | estimator | rows explained | contributions s")
    assert "| ensembles-gb | 10000 | 1.000 | 0.25 |" in bench_report.explain_table(report)
    assert "## SHAP contributions" in bench_report.to_markdown(report)


# --- the categorical benchmark (benchmarks/bench_categorical.py) ------------------------

bench_categorical = _load("bench_categorical", "bench_categorical.py")


def test_synthetic_categorical_task_has_signal_in_its_levels():
    pytest.importorskip("pandas")
    X, y = bench_categorical.synthetic_cat(n_train=6000, n_levels=300)
    assert X.shape == (8000, 7) and X["level"].dtype.name == "category"
    # Level means of the target spread far more than chance would (the levels carry
    # signal), and the level frequencies are skewed (rare levels exist).
    counts = X["level"].value_counts()
    frame = X.assign(y=y).groupby("level", observed=True)["y"].agg(["mean", "size"])
    big = frame[frame["size"] >= 40]
    assert big["mean"].std() > 2 * np.sqrt(0.25 / 40)
    assert counts.max() > 20 * counts.min()


@needs_datasets
def test_adult_categorical_task_keeps_strings_as_categories():
    pytest.importorskip("pandas")
    X_train, y_train, X_test, y_test = bench_categorical.load("adult-cat")
    cats = [c for c in X_train.columns if X_train[c].dtype.name == "category"]
    assert cats == bench_categorical.ADULT_CATEGORICAL
    assert len(X_train) + len(X_test) == 30162 and set(y_train) == {0, 1}
    codes_train, codes_test = bench_categorical._codes(X_train, X_test)
    # Integer codes: one permutation of the levels for both parts, missing kept.
    for c in cats:
        a = dict(zip(X_train[c].astype(str), codes_train[c], strict=True))
        b = dict(zip(X_test[c].astype(str), codes_test[c], strict=True))
        assert all(np.isnan(a[k]) and np.isnan(b[k]) or a[k] == b[k]
                   for k in set(a) & set(b))


def test_categorical_render_shows_ratios_and_errors():
    rows = [{"estimator": "xgboost", "task": "adult-cat", "fit_s": 2.0, "auc": 0.9},
            {"estimator": "ensembles-gb", "task": "adult-cat", "fit_s": 1.0, "auc": 0.91},
            {"estimator": "sklearn-hgb", "task": "adult-cat", "error": "ValueError: x"}]
    text = bench_categorical.render(rows)
    assert "| adult-cat | ensembles-gb | 0.9100 | 1.00 | 0.50 |" in text
    assert "ValueError: x" in text
    # Forest rows are timed against scikit-learn's forest on integer codes.
    rows += [{"estimator": "sklearn-rf-codes", "task": "adult-cat", "fit_s": 4.0, "auc": 0.9},
             {"estimator": "ensembles-rf", "task": "adult-cat", "fit_s": 1.0, "auc": 0.92}]
    text = bench_categorical.render(rows)
    assert "| adult-cat | ensembles-rf | 0.9200 | 1.00 | 0.25 x sklearn-rf |" in text
    assert "| adult-cat | ensembles-gb | 0.9100 | 1.00 | 0.50 |" in text


def test_sparse_suite_runs_and_reports_time_and_memory_against_the_matrix(tmp_path):
    bench_sparse = _load("bench_sparse", "bench_sparse.py")
    X, y = bench_sparse.make_matrix(500)
    assert X.shape == (500, bench_sparse.N_FEATURES) and X.has_canonical_format
    assert np.all(np.diff(X.indptr) <= bench_sparse.PER_ROW) and set(np.unique(y)) == {0, 1}
    run.main(["--suite", "sparse", "--only", "3000", "ensembles-gb", "--trees", "2",
              "--repeats", "1", "--out", str(tmp_path)])
    (result,) = json.loads((tmp_path / "sparse-partial.json").read_text())
    assert result["estimator"] == "ensembles-gb" and result["rows"] == 3000
    assert result["fit_s"] > 0 and 0.5 <= result["auc"] <= 1.0
    assert result["matrix_mb"] > 0
    table = (tmp_path / "sparse-partial.md").read_text()
    assert "fit +MB / matrix" in table and "| 3,000 | ensembles-gb |" in table


def test_wide_suite_runs_and_compares_time_and_memory_with_xgboost(tmp_path):
    bench_sparse = _load("bench_sparse", "bench_sparse.py")
    X, y = bench_sparse.make_wide(30, 500)
    assert X.shape == (30, 500) and X.dtype == np.float32 and set(np.unique(y)) == {0, 1}
    bench_sparse.main(["--wide", "--rows", "40", "--features", "3000", "--trees", "2",
                       "--repeats", "1", "--out", str(tmp_path)])
    results = json.loads((tmp_path / "wide-partial.json").read_text())
    assert [r["estimator"] for r in results] == ["ensembles-gb", "xgboost"]
    for result in results:
        assert result["rows"] == 40 and result["fit_s"] > 0
        assert result["matrix_mb"] == pytest.approx(40 * 3000 * 4 / 2**20)
    table = (tmp_path / "wide-partial.md").read_text()
    assert "fit +MB x xgboost" in table and "| 40 | ensembles-gb |" in table


def test_sparse_forest_run_compares_forests_with_scikit_learn(tmp_path):
    bench_sparse = _load("bench_sparse", "bench_sparse.py")
    bench_sparse.main(["--forest", "--rows", "3000", "--trees", "2", "--repeats", "1",
                       "--only", "ensembles-et", "sklearn-et", "--out", str(tmp_path)])
    results = json.loads((tmp_path / "sparse-forest-partial.json").read_text())
    assert [r["estimator"] for r in results] == ["ensembles-et", "sklearn-et"]
    for result in results:
        assert result["rows"] == 3000 and result["fit_s"] > 0 and result["predict_s"] > 0
        assert 0.4 <= result["auc"] <= 1.0 and result["nodes_per_tree"] >= 1
    table = (tmp_path / "sparse-forest-partial.md").read_text()
    assert "fit x sklearn" in table and "| 3,000 | ensembles-et |" in table
    # The reference row is its own reference.
    assert "| 3,000 | sklearn-et |" in table and " | 1.00 | " in table
