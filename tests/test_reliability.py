"""Failure paths: a fit that raises or is interrupted leaves the estimator as it was, a
concurrent prediction never sees half a model, Ctrl-C reaches the caller."""

import itertools
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression

import ensembles.forest
import ensembles.tree
from ensembles import (
    AdaBoostClassifier,
    AdaBoostRegressor,
    BaggingClassifier,
    BaggingRegressor,
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from ensembles.boosting.callbacks import TrainingCallback
from ensembles.selection import EnsembleSelectionClassifier
from ensembles.stacking import StackingClassifier, StackingRegressor, VotingClassifier

ROOT = Path(__file__).resolve().parents[1]


def _data(n=300, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5) * (n_classes - 2)
    return X, y


def _state(est):
    """The estimator's attributes by identity, to check that nothing was replaced."""
    return {k: id(v) for k, v in est.__dict__.items()}


class _Interrupt(KeyboardInterrupt):
    """A Ctrl-C raised on purpose (a subclass, so the test cannot catch a real one)."""


class _RaiseAt(TrainingCallback):
    def __init__(self, round_, exc):
        self.round_, self.exc = round_, exc

    def after_iteration(self, model, iteration, evals_log):
        if iteration == self.round_:
            raise self.exc
        return False


# --------------------------------------------------------------------------- boosting
@pytest.mark.parametrize("exc", [ValueError("bug"), _Interrupt()])
def test_boosting_failed_first_fit_leaves_estimator_unfitted(exc):
    X, y = _data()
    model = GradientBoostingClassifier(n_estimators=10, callbacks=[_RaiseAt(3, exc)])
    with pytest.raises(type(exc)):
        model.fit(X, y)
    with pytest.raises(NotFittedError):
        model.predict(X)
    assert not hasattr(model, "n_iterations_") and not hasattr(model, "classes_")


def test_boosting_failed_refit_keeps_previous_model():
    """The segfault of issue 18: a refit that fails before its first round completed."""
    X, y = _data(n_classes=2)
    X = X.astype(np.float64)
    model = GradientBoostingRegressor(n_estimators=20).fit(X, y)
    before, state = model.predict(X), _state(model)

    def bad(y_true, y_pred):
        raise ValueError("bug")

    with pytest.raises(ValueError, match="bug"):
        model.set_params(objective=bad).fit(X, y)
    model.set_params(objective=None)
    assert _state(model) == state
    assert_array_equal(model.predict(X), before)
    assert model.n_iterations_ == 20


def test_boosting_interrupted_refit_keeps_previous_model_and_classes():
    X, y = _data(n_classes=2)
    model = GradientBoostingClassifier(n_estimators=15).fit(X, y)
    model.set_params(callbacks=[_RaiseAt(4, _Interrupt())])
    before, state = model.predict_proba(X), _state(model)
    with pytest.raises(_Interrupt):
        model.fit(X, np.where(y == 1, "b", "a").astype(object) + "x")
    assert _state(model) == state
    assert_array_equal(model.predict_proba(X), before)
    assert_array_equal(model.classes_, [0, 1])


def test_boosting_failed_refit_keeps_early_stopping_results():
    X, y = _data(n_classes=2)
    model = GradientBoostingClassifier(n_estimators=200, learning_rate=0.5,
                                       early_stopping_rounds=3)
    model.fit(X[:200], y[:200], eval_set=[(X[200:], y[200:])])
    best = model.best_iteration
    model.set_params(callbacks=[_RaiseAt(0, _Interrupt())], early_stopping_rounds=None)
    with pytest.raises(_Interrupt):
        model.fit(X, y)
    assert model.best_iteration == best


def test_boosting_callbacks_see_the_model_under_construction():
    """Callbacks get a model that predicts with the rounds grown so far."""
    X, y = _data(n_classes=2)
    seen = []

    class Probe(TrainingCallback):
        def after_iteration(self, model, iteration, evals_log):
            seen.append((model.n_iterations_, model.predict_proba(X)))
            return False

    model = GradientBoostingClassifier(n_estimators=3, callbacks=[Probe()]).fit(X, y)
    assert [n for n, _ in seen] == [1, 2, 3]
    assert_array_equal(seen[-1][1], model.predict_proba(X))
    assert_array_equal(seen[0][1], model.predict_proba(X, iteration_range=(0, 1)))


def test_concurrent_predict_during_refits_sees_whole_models():
    """A thread predicting while another refits with other classes and sizes gets the old
    or the new model's predictions, never an error or a crash."""
    X, y = _data(n=400)
    y2 = np.where(y == 0, 0, 1)
    models = [GradientBoostingClassifier(n_estimators=n, max_depth=3, n_jobs=1)
              for n in (5, 40)]
    expected = [m.fit(X, t).predict_proba(X) for m, t in zip(models, (y, y2), strict=True)]
    shared = GradientBoostingClassifier(n_estimators=5, max_depth=3, n_jobs=1).fit(X, y)
    errors, outcomes, done = [], set(), threading.Event()

    def reader():
        try:
            while not done.is_set():
                proba = shared.predict_proba(X)
                outcomes.update(i for i, e in enumerate(expected)
                                if e.shape == proba.shape and np.array_equal(e, proba))
                if not any(e.shape == proba.shape and np.array_equal(e, proba)
                           for e in expected):
                    errors.append("a prediction matching neither model")
        except Exception as exc:  # noqa: BLE001 - any exception is the failure here
            errors.append(repr(exc))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(6):
            if i % 2:
                shared.set_params(n_estimators=5).fit(X, y)
            else:
                shared.set_params(n_estimators=40).fit(X, y2)
            # The next refit starts once the reader has seen this model (a slow reader
            # could otherwise miss one model's whole lifetime), or after a generous wait.
            deadline = time.monotonic() + 60
            while (i + 1) % 2 not in outcomes and not errors and time.monotonic() < deadline:
                time.sleep(0.001)
    finally:
        done.set()
        thread.join()
    assert errors == []
    assert outcomes == {0, 1}


# --------------------------------------------------------------------------- trees
def _failing_after(module, monkeypatch, n_calls, exc):
    real = module.grow_tree
    counter = itertools.count()

    def grow_tree(*args, **kwargs):
        if next(counter) >= n_calls:
            raise exc
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "grow_tree", grow_tree)


@pytest.mark.parametrize("Forest", [RandomForestClassifier, ExtraTreesClassifier])
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_forest_failed_refit_keeps_previous_forest(Forest, n_jobs, monkeypatch):
    X, y = _data(n_classes=3)
    model = Forest(n_estimators=6, n_jobs=n_jobs, random_state=0).fit(X, y)
    before, state = model.predict_proba(X), _state(model)
    _failing_after(ensembles.forest, monkeypatch, 3, _Interrupt())
    with pytest.raises(_Interrupt):
        model.fit(X[:, :4], np.where(y == 2, 1, y) + 10)  # other features and classes
    assert _state(model) == state
    assert_array_equal(model.predict_proba(X), before)
    assert_array_equal(model.classes_, [0, 1, 2])
    assert model.n_features_in_ == 5


def test_forest_failed_first_fit_and_warm_start(monkeypatch):
    X, y = _data()
    _failing_after(ensembles.forest, monkeypatch, 2, RuntimeError("boom"))
    model = RandomForestRegressor(n_estimators=5, random_state=0)
    with pytest.raises(RuntimeError):
        model.fit(X, y)
    assert set(model.__dict__) == set(RandomForestRegressor().get_params())
    monkeypatch.undo()
    model.set_params(n_estimators=2, warm_start=True).fit(X, y)
    members, before = list(model.estimators_), model.predict(X)
    _failing_after(ensembles.forest, monkeypatch, 1, RuntimeError("boom"))
    with pytest.raises(RuntimeError):
        model.set_params(n_estimators=6).fit(X, y)
    assert model.estimators_ == members  # the warm start appended nothing
    assert_array_equal(model.predict(X), before)


@pytest.mark.parametrize("Tree", [DecisionTreeClassifier, DecisionTreeRegressor])
def test_tree_failed_refit_keeps_previous_tree(Tree, monkeypatch):
    X, y = _data()
    model = Tree(random_state=0).fit(X, y)
    before, state = model.predict(X), _state(model)
    _failing_after(ensembles.tree, monkeypatch, 0, _Interrupt())
    with pytest.raises(_Interrupt):
        model.fit(X[:, :3], y + 1)
    assert _state(model) == state
    assert_array_equal(model.predict(X), before)


# --------------------------------------------------------------------------- meta-estimators
_FITS = itertools.count()
_FAIL_AT = [None]


class _Flaky(BaseEstimator):
    """Fits a real model but raises a (test) Ctrl-C at the globally counted fit
    ``_FAIL_AT[0]``, so that an ensemble fails halfway through its members."""

    def __init__(self, inner=None):
        self.inner = inner

    def fit(self, X, y, sample_weight=None):
        if next(_FITS) == _FAIL_AT[0]:
            raise _Interrupt()
        self.model_ = self.inner.fit(X, y, sample_weight=sample_weight)
        self.n_features_in_ = X.shape[1]
        if hasattr(self.model_, "classes_"):
            self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


class _FlakyClassifier(ClassifierMixin, _Flaky):
    pass


class _FlakyRegressor(RegressorMixin, _Flaky):
    pass


def _clf():
    return _FlakyClassifier(LogisticRegression())


def _reg():
    return _FlakyRegressor(LinearRegression())


META = [
    pytest.param(lambda: BaggingClassifier(_clf(), n_estimators=6, random_state=0), True,
                 id="BaggingClassifier"),
    pytest.param(lambda: BaggingRegressor(_reg(), n_estimators=6, random_state=0), False,
                 id="BaggingRegressor"),
    pytest.param(lambda: AdaBoostClassifier(_clf(), n_estimators=6, random_state=0), True,
                 id="AdaBoostClassifier"),
    pytest.param(lambda: AdaBoostRegressor(_reg(), n_estimators=6, random_state=0), False,
                 id="AdaBoostRegressor"),
    pytest.param(lambda: StackingClassifier([("a", _clf()), ("b", _clf())], cv=3), True,
                 id="StackingClassifier"),
    pytest.param(lambda: StackingRegressor([("a", _reg()), ("b", _reg())], cv=3), False,
                 id="StackingRegressor"),
    pytest.param(lambda: VotingClassifier([("a", _clf()), ("b", _clf())], voting="soft"),
                 True, id="VotingClassifier"),
    pytest.param(lambda: EnsembleSelectionClassifier([("a", _clf()), ("b", _clf())], cv=3),
                 True, id="EnsembleSelectionClassifier"),
]


@pytest.mark.parametrize(("make", "classify"), META)
def test_meta_estimator_failed_fits_leave_it_as_before(make, classify):
    X, y = _data(n_classes=3)
    if not classify:
        y = X[:, 0] + X[:, 1]
    model = make()
    _FAIL_AT[0] = next(_FITS) + 2  # the third member fit of the first fit
    with pytest.raises(_Interrupt):
        model.fit(X, y)
    assert set(model.__dict__) == set(make().__dict__)
    _FAIL_AT[0] = None
    model.fit(X, y)
    method = model.predict_proba if classify else model.predict
    before, state = method(X), _state(model)
    _FAIL_AT[0] = next(_FITS) + 2
    with pytest.raises(_Interrupt):
        model.fit(X[:, :4], y[::-1] if not classify else np.where(y == 2, 0, y) + 5)
    _FAIL_AT[0] = None
    assert _state(model) == state
    assert_array_equal(method(X), before)


def _lock_race(*args):
    """What a Ctrl-C inside a thread pool's ``submit`` can raise: a RuntimeError while
    the KeyboardInterrupt was being handled."""
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt:
        raise RuntimeError("release unlocked lock") from None


def _kernel_boxing(*args):
    """What a Ctrl-C while numba boxes a kernel's results raises: a SystemError caused by
    the KeyboardInterrupt."""
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt as exc:
        raise SystemError("returned a result with an exception set") from exc


@pytest.mark.parametrize("surfaced", [_lock_race, _kernel_boxing])
def test_an_interrupt_surfacing_as_another_error_is_a_keyboard_interrupt(monkeypatch,
                                                                       surfaced):
    X, y = _data()
    model = RandomForestClassifier(n_estimators=4, n_jobs=2, random_state=0).fit(X, y)
    before = model.predict_proba(X)
    monkeypatch.setattr(RandomForestClassifier, "_grow_members", surfaced)
    with pytest.raises(KeyboardInterrupt):
        model.set_params(n_estimators=8).fit(X, y)
    monkeypatch.undo()
    assert len(model.estimators_) == 4
    assert_array_equal(model.predict_proba(X), before)


def test_other_runtime_errors_pass_through_the_fit(monkeypatch):
    def fails(*args):
        raise RuntimeError("a genuine failure")

    X, y = _data()
    monkeypatch.setattr(RandomForestClassifier, "_grow_members", fails)
    with pytest.raises(RuntimeError, match="a genuine failure"):
        RandomForestClassifier(n_estimators=4).fit(X, y)


# --------------------------------------------------------------------------- real Ctrl-C
_SIGINT_SCRIPT = textwrap.dedent("""
    import os, signal, sys, threading, time
    import numpy as np
    from ensembles import {cls}

    # A process started in the background by a non-interactive shell ignores SIGINT, and
    # Python then installs no KeyboardInterrupt handler: restore the usual one.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 20))
    y = (X[:, 0] + rng.normal(size=20_000) > 0).astype(int)
    # Compiles what the refit runs (2,000 rows: boosting grows them with a team of
    # threads, as it does the 20,000).
    model = {cls}(n_estimators=3, n_jobs={n_jobs}).fit(X[:2000], y[:2000])
    before = model.predict_proba(X)
    sent = []

    def interrupt():
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    model.set_params(n_estimators=100_000)
    threading.Timer({delay}, interrupt).start()
    try:
        model.fit(X, y)
    except KeyboardInterrupt:
        latency = time.perf_counter() - sent[0]
        unchanged = model.n_estimators == 100_000 and np.array_equal(
            model.predict_proba(X), before)
        print("interrupted", f"{{latency:.3f}}", unchanged)
    else:
        print("not interrupted")
""")


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or sys.platform == "win32",
                    reason="POSIX signals")
@pytest.mark.parametrize(("cls", "n_jobs"), [
    ("RandomForestClassifier", 1), ("RandomForestClassifier", 2),
    ("ExtraTreesClassifier", 1), ("GradientBoostingClassifier", 1),
    ("GradientBoostingClassifier", 2),
])
def test_real_sigint_during_fit(cls, n_jobs):
    """A real SIGINT during a refit raises KeyboardInterrupt (not SystemError) within a
    second, and the previous model is intact."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    script = _SIGINT_SCRIPT.format(cls=cls, n_jobs=n_jobs, delay=1.0)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    words = out.stdout.split()
    assert words[0] == "interrupted", out.stdout + out.stderr[-3000:]
    assert float(words[1]) < 1.0
    assert words[2] == "True"


# --------------------------------------------------------------------------- determinism
def test_same_data_gives_the_same_bins_and_model_by_default():
    """Above the binning subsample's 200,000 rows the bin edges used to come from a fresh
    random subsample on every fit when random_state is None."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(210_000, 2))
    y = X[:, 0] + X[:, 1] ** 2
    fits = [GradientBoostingRegressor(n_estimators=2, max_depth=3).fit(X, y)
            for _ in range(2)]
    assert_array_equal(fits[0]._bin_mapper.edges_, fits[1]._bin_mapper.edges_)
    assert_array_equal(fits[0].predict(X[:1000]), fits[1].predict(X[:1000]))
    trees = [DecisionTreeRegressor(max_depth=2).fit(X, y) for _ in range(2)]
    assert_array_equal(trees[0].tree_._edges, trees[1].tree_._edges)
    # An explicit random_state still chooses the subsample.
    other = GradientBoostingRegressor(n_estimators=2, max_depth=3, random_state=5).fit(X, y)
    assert not np.array_equal(other._bin_mapper.edges_, fits[0]._bin_mapper.edges_)


# --------------------------------------------------------------------------- magnitudes
@pytest.mark.parametrize(("make", "y_scale", "w_scale", "match"), [
    (lambda: GradientBoostingRegressor(n_estimators=2), 1e60, 1.0, "y has values"),
    (lambda: GradientBoostingRegressor(n_estimators=2), 1.0, 1e300, "sample_weight"),
    (lambda: GradientBoostingClassifier(n_estimators=2), 1.0, 1e100, "sample_weight"),
    (lambda: RandomForestRegressor(n_estimators=2), 1e300, 1.0, "y has values"),
    (lambda: DecisionTreeRegressor(), 1e10, 1e150, "y has values|sample_weight"),
    (lambda: RandomForestClassifier(n_estimators=2), 1.0, 1e300, "sample_weight"),
])
def test_huge_targets_and_weights_are_refused(make, y_scale, w_scale, match):
    """They used to give a constant model without a word."""
    X, y = _data(n_classes=2)
    if isinstance(make(), RegressorMixin):
        y = (X[:, 0] + 0.1 * X[:, 1]) * y_scale
    with pytest.raises(ValueError, match=match):
        make().fit(X, y, sample_weight=np.full(len(y), w_scale))


@pytest.mark.parametrize(("params", "fit_params", "match"), [
    ({"base_score": 1e300}, {}, "base_score gives starting margins"),
    ({}, {"base_margin": 1e300}, "base_margin gives starting margins"),
    ({"learning_rate": 1e300}, {}, "Training diverged.*learning_rate"),
    ({"learning_rate": 1e300, "booster": "dart"}, {}, "Training diverged"),
])
def test_boosting_refuses_starting_margins_and_steps_that_overflow(params, fit_params, match):
    """They gave a model predicting NaN, or saturated garbage, without a word."""
    X, y = _data(n_classes=2)
    y = X[:, 0] + 0.1 * X[:, 1]
    fit_params = {k: np.full(len(y), v) for k, v in fit_params.items()}
    model = GradientBoostingRegressor(n_estimators=5, **params)
    with pytest.raises(ValueError, match=match):
        model.fit(X, y, **fit_params)
    assert not hasattr(model, "n_iterations_")


@pytest.mark.parametrize("make", [lambda: GradientBoostingClassifier(n_estimators=2),
                                  lambda: RandomForestClassifier(n_estimators=2),
                                  DecisionTreeClassifier])
def test_missing_class_labels_are_value_errors(make):
    """None among object labels failed in np.unique with a comparison's TypeError."""
    X, _ = _data(n_classes=2)
    y = np.array(["a", "b", None] * (len(X) // 3) + ["a"] * (len(X) % 3), dtype=object)
    with pytest.raises(ValueError, match=r"y has \d+ missing class label\(s\) \(None or NaN\)"):
        make().fit(X, y)


def test_an_aft_scale_whose_square_underflows_is_a_value_error():
    """The derivatives divide by the scale's square: 1e-200 raised ZeroDivisionError from
    the kernel."""
    X, _ = _data(n_classes=2)
    y = np.abs(X[:, 0]) + 0.1
    params = {"objective": "survival:aft", "aft_loss_distribution_scale": 1e-200}
    with pytest.raises(ValueError, match="aft_loss_distribution_scale must be between"):
        GradientBoostingRegressor(n_estimators=2, **params).fit(X, y)
    near = dict(params, aft_loss_distribution_scale=1e-150)
    model = GradientBoostingRegressor(n_estimators=2, **near).fit(X, y)
    assert np.all(np.isfinite(model.predict(X)))


@pytest.mark.parametrize("make", [lambda: RandomForestClassifier(n_estimators=2,
                                                                 random_state=0),
                                  lambda: DecisionTreeRegressor(random_state=0)])
def test_float32_weights_fit_without_warnings_as_float64_ones(make):
    """The magnitude check compared their float32 sum with 1e153, which numpy cast to
    float32: an overflow warning at every fit."""
    import warnings

    X, y = _data(n_classes=2)
    weight = np.random.RandomState(0).randint(1, 4, len(y))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = make().fit(X, y, sample_weight=weight.astype(np.float32))
    reference = make().fit(X, y, sample_weight=weight.astype(np.float64))
    assert_array_equal(model.predict(X), reference.predict(X))


def test_large_targets_below_the_limits_fit_like_small_ones():
    """Squared error is scale-equivariant: y * 1e20 gives the model of y, times 1e20."""
    X, _ = _data()
    y = X[:, 0] + np.sin(3 * X[:, 1])
    small = GradientBoostingRegressor(n_estimators=10).fit(X, y).predict(X)
    large = GradientBoostingRegressor(n_estimators=10).fit(X, y * 1e20).predict(X)
    np.testing.assert_allclose(large / 1e20, small, rtol=1e-9, atol=1e-12)
    tree_small = DecisionTreeRegressor(random_state=0).fit(X, y).predict(X)
    tree_large = DecisionTreeRegressor(random_state=0).fit(X, y * 1e100).predict(X)
    np.testing.assert_allclose(tree_large / 1e100, tree_small, rtol=1e-9)


# --------------------------------------------------------------------------- read-only install
_READ_ONLY_SCRIPT = textwrap.dedent("""
    import os, tempfile, warnings
    import numpy as np
    from numba.core import caching

    # Every cache location numba tries is unwritable (a read-only install, no writable
    # home), except the temporary directory (the package itself stays read-only even when
    # it was checked out under the temporary directory).
    allowed = os.path.realpath(tempfile.gettempdir()) + os.sep
    package = os.path.realpath(os.getcwd()) + os.sep
    real = caching._CacheLocator.ensure_cache_path

    def ensure_cache_path(self):
        path = os.path.realpath(self.get_cache_path()) + os.sep
        if not path.startswith(allowed) or path.startswith(package):
            raise PermissionError("read-only file system")
        return real(self)

    caching._CacheLocator.ensure_cache_path = ensure_cache_path
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import ensembles
        from ensembles._engine.binning import BinMapper

        # Two of the kernels (compiling every kernel of a fit takes minutes here).
        X = np.random.default_rng(0).normal(size=(200, 3))
        codes = BinMapper(16).fit(X).transform(X)
    messages = [str(w.message) for w in caught if "NUMBA_CACHE_DIR" in str(w.message)]
    import numba
    cached = [name for _, _, names in os.walk(numba.config.CACHE_DIR) for name in names
              if name.endswith(".nbc")]
    print(len(messages), int(codes.max()) == 15, len(cached) >= 2)
""")


def test_import_and_fit_work_without_a_writable_cache_location():
    """Issue 18: "cannot cache function 'sort_floats': no locator available" at import."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["PYTHONPATH"] = str(ROOT)
    # The kernels compiled ahead of time would run these without numba's cache.
    env["ENSEMBLES_AOT"] = "0"
    out = subprocess.run([sys.executable, "-c", _READ_ONLY_SCRIPT], capture_output=True,
                         text=True, env=env, timeout=600, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    # One warning; the kernels work, and are cached in the temporary directory.
    assert out.stdout.split() == ["1", "True", "True"]


# --------------------------------------------------------------------------- compat
def test_private_scikit_learn_helpers_are_imported_in_one_module():
    """A scikit-learn release that moves a private helper breaks ensembles._compat only."""
    import ast

    offenders = []
    for path in sorted((ROOT / "ensembles").rglob("*.py")):
        if path.name == "_compat.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sklearn"):
                private_module = any(part.startswith("_") for part in node.module.split("."))
                private_name = any(alias.name.startswith("_") for alias in node.names)
                if private_module or private_name:
                    offenders.append(f"{path.relative_to(ROOT)}: {node.module}")
            elif isinstance(node, ast.Import):
                offenders += [f"{path.relative_to(ROOT)}: {a.name}" for a in node.names
                              if a.name.startswith("sklearn") and "._" in a.name]
    assert offenders == []
