"""Training callbacks seen through the estimators: user callbacks, early stopping, logging."""

import re

import numpy as np
import pytest

from ensembles import (
    EarlyStopping,
    EvaluationMonitor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    TrainingCallback,
)


def _noisy_regression(seed=0):
    """Little signal and much noise, so deep fast trees overfit within a few rounds."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, 4))
    y = X[:, 0] + 2.0 * rng.normal(size=300)
    return X[:150], y[:150], X[150:], y[150:]


def _noisy_classification(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] + 1.5 * rng.normal(size=300) > 0).astype(int)
    return X[:150], y[:150], X[150:], y[150:]


OVERFIT = {"n_estimators": 60, "max_depth": 6, "learning_rate": 0.8, "min_child_weight": 0.1}


class Recorder(TrainingCallback):
    """Records every hook call and optionally stops after a given round."""

    def __init__(self, stop_after=None):
        self.stop_after = stop_after
        self.calls = []

    def before_training(self, model):
        self.calls.append(("before", None))

    def after_iteration(self, model, iteration, evals_log):
        lengths = {len(v) for metrics in evals_log.values() for v in metrics.values()}
        self.calls.append(("iteration", iteration, model.n_iterations_, lengths))
        return self.stop_after is not None and iteration >= self.stop_after

    def after_training(self, model):
        self.calls.append(("after", None))


# --------------------------------------------------------------------------- user callbacks
def test_user_callback_sees_every_iteration():
    X, y, X_val, y_val = _noisy_regression()
    recorder = Recorder()
    model = GradientBoostingRegressor(n_estimators=5, max_depth=2, callbacks=[recorder])
    model.fit(X, y, eval_set=[(X_val, y_val)])
    assert recorder.calls[0] == ("before", None)
    assert recorder.calls[-1] == ("after", None)
    iterations = recorder.calls[1:-1]
    # Round i is reported once, after the model holds i + 1 rounds and the log i + 1 values.
    assert iterations == [("iteration", i, i + 1, {i + 1}) for i in range(5)]
    assert model.n_iterations_ == 5


def test_user_callback_runs_without_eval_set():
    X, y, _, _ = _noisy_regression()
    recorder = Recorder()
    GradientBoostingRegressor(n_estimators=3, max_depth=2, callbacks=[recorder]).fit(X, y)
    assert [c[:3] for c in recorder.calls[1:-1]] == [("iteration", i, i + 1) for i in range(3)]
    assert all(c[3] == set() for c in recorder.calls[1:-1])


def test_user_callback_can_stop_training():
    X, y, X_val, y_val = _noisy_regression()
    recorder = Recorder(stop_after=3)
    stopped = GradientBoostingRegressor(n_estimators=20, max_depth=3, callbacks=[recorder])
    stopped.fit(X, y, eval_set=[(X_val, y_val)])
    assert stopped.n_iterations_ == 4
    assert len(stopped.evals_result()["validation_0"]["rmse"]) == 4
    assert recorder.calls[-1] == ("after", None)
    assert sum(c[0] == "iteration" for c in recorder.calls) == 4
    short = GradientBoostingRegressor(n_estimators=4, max_depth=3).fit(X, y)
    np.testing.assert_array_equal(stopped.predict(X_val), short.predict(X_val))


def test_every_callback_runs_even_when_an_earlier_one_stops():
    X, y, _, _ = _noisy_regression()
    stopper, watcher = Recorder(stop_after=1), Recorder()
    model = GradientBoostingRegressor(n_estimators=10, max_depth=2,
                                      callbacks=[stopper, watcher]).fit(X, y)
    assert model.n_iterations_ == 2
    assert [c[1] for c in watcher.calls if c[0] == "iteration"] == [0, 1]
    assert watcher.calls[-1] == ("after", None)


def test_callbacks_must_be_training_callbacks():
    X, y, _, _ = _noisy_regression()
    with pytest.raises(TypeError, match="TrainingCallback"):
        GradientBoostingRegressor(n_estimators=2, callbacks=[print]).fit(X, y)
    with pytest.raises(ValueError, match="callbacks"):
        GradientBoostingRegressor(n_estimators=2, callbacks=print).fit(X, y)


# --------------------------------------------------------------------------- early stopping
def test_early_stopping_sets_best_iteration_and_predicts_with_it():
    X, y, X_val, y_val = _noisy_regression()
    rounds = 4
    model = GradientBoostingRegressor(early_stopping_rounds=rounds, **OVERFIT)
    model.fit(X, y, eval_set=[(X_val, y_val)])
    log = np.asarray(model.evals_result()["validation_0"]["rmse"])
    assert model.n_iterations_ < OVERFIT["n_estimators"]
    assert model.best_iteration == int(np.argmin(log))
    assert model.best_score == log[model.best_iteration]
    # Training ran exactly `rounds` rounds past the best one.
    assert model.n_iterations_ == model.best_iteration + rounds + 1 == log.size
    best = model.predict(X_val, iteration_range=(0, model.best_iteration + 1))
    np.testing.assert_array_equal(model.predict(X_val), best)
    every_round = model.predict(X_val, iteration_range=(0, model.n_iterations_))
    assert not np.array_equal(every_round, best)
    assert np.sqrt(np.mean((best - y_val) ** 2)) == pytest.approx(model.best_score, rel=1e-9)


def test_early_stopping_watches_the_last_metric_of_the_last_eval_set():
    X, y, X_val, y_val = _noisy_regression()
    model = GradientBoostingRegressor(early_stopping_rounds=3, eval_metric=["rmse", "mae"],
                                      **OVERFIT)
    # The first eval set is the training data, whose loss keeps falling: it must be ignored.
    model.fit(X, y, eval_set=[(X, y), (X_val, y_val)])
    result = model.evals_result()
    watched = np.asarray(result["validation_1"]["mae"])
    assert model.best_iteration == int(np.argmin(watched))
    assert model.best_score == watched[model.best_iteration]
    assert model.n_iterations_ == model.best_iteration + 4
    train_rmse = np.asarray(result["validation_0"]["rmse"])
    assert np.all(np.diff(train_rmse) < 0)


def test_early_stopping_maximizes_auc():
    X, y, X_val, y_val = _noisy_classification()
    model = GradientBoostingClassifier(early_stopping_rounds=3, eval_metric=["logloss", "auc"],
                                       **OVERFIT)
    model.fit(X, y, eval_set=[(X_val, y_val)])
    auc = np.asarray(model.evals_result()["validation_0"]["auc"])
    assert model.best_iteration == int(np.argmax(auc))
    assert model.best_score == auc.max()
    assert model.n_iterations_ == model.best_iteration + 4
    np.testing.assert_array_equal(
        model.predict_proba(X_val),
        model.predict_proba(X_val, iteration_range=(0, model.best_iteration + 1)))


def test_early_stopping_honours_higher_is_better_of_a_callable_metric():
    X, y, X_val, y_val = _noisy_regression()

    def neg_rmse(y_true, y_pred, sample_weight=None):
        return -float(np.sqrt(np.average((y_true - y_pred) ** 2, weights=sample_weight)))

    neg_rmse.higher_is_better = True
    model = GradientBoostingRegressor(early_stopping_rounds=4, eval_metric=neg_rmse, **OVERFIT)
    model.fit(X, y, eval_set=[(X_val, y_val)])
    log = np.asarray(model.evals_result()["validation_0"]["neg_rmse"])
    assert model.best_iteration == int(np.argmax(log))
    reference = GradientBoostingRegressor(early_stopping_rounds=4, **OVERFIT)
    reference.fit(X, y, eval_set=[(X_val, y_val)])
    assert model.best_iteration == reference.best_iteration
    assert model.best_score == pytest.approx(-reference.best_score, rel=1e-12)


def test_a_new_fit_without_early_stopping_forgets_the_best_iteration():
    X, y, X_val, y_val = _noisy_regression()
    model = GradientBoostingRegressor(early_stopping_rounds=3, **OVERFIT)
    model.fit(X, y, eval_set=[(X_val, y_val)])
    assert hasattr(model, "best_iteration")
    model.set_params(early_stopping_rounds=None, n_estimators=5).fit(X, y)
    assert not hasattr(model, "best_iteration")
    assert not hasattr(model, "best_score")
    assert model.n_iterations_ == 5


def test_early_stopping_needs_an_eval_set():
    X, y, _, _ = _noisy_regression()
    with pytest.raises(ValueError, match="eval_set"):
        GradientBoostingRegressor(n_estimators=3, early_stopping_rounds=2).fit(X, y)
    with pytest.raises(ValueError, match="eval_set"):
        GradientBoostingRegressor(n_estimators=3, callbacks=[EarlyStopping(2)]).fit(X, y)


def test_early_stopping_callback_options():
    X, y, X_val, y_val = _noisy_regression()
    evals = [(X, y), (X_val, y_val)]

    def fit(callback, **params):
        model = GradientBoostingRegressor(callbacks=[callback], eval_metric=["rmse", "mae"],
                                          **{**OVERFIT, **params})
        return model.fit(X, y, eval_set=evals)

    # Watching the training set's rmse, which always falls, never stops.
    chosen = fit(EarlyStopping(3, metric_name="rmse", data_name="validation_0"), n_estimators=15)
    assert chosen.n_iterations_ == 15
    assert chosen.best_iteration == 14

    # Treating a falling loss as a score to maximize makes round 0 the best.
    flipped = fit(EarlyStopping(3, metric_name="rmse", data_name="validation_0", maximize=True))
    assert flipped.best_iteration == 0
    assert flipped.n_iterations_ == 4

    # An improvement smaller than min_delta does not count.
    strict = fit(EarlyStopping(2, metric_name="rmse", data_name="validation_0", min_delta=1e6))
    assert strict.best_iteration == 0
    assert strict.n_iterations_ == 3

    # One callback object serves several fits: its state is reset before each.
    callback = EarlyStopping(3)
    first, second = fit(callback), fit(callback)
    assert first.best_iteration == second.best_iteration
    assert first.n_iterations_ == second.n_iterations_ < OVERFIT["n_estimators"]

    with pytest.raises(ValueError, match="validation_7"):
        fit(EarlyStopping(2, data_name="validation_7"))
    with pytest.raises(ValueError, match="auc"):
        fit(EarlyStopping(2, metric_name="auc"))


def test_a_nan_metric_warns_and_is_no_improvement():
    """Issue 18: early stopping used to halt silently at the first NaN; XGBoost carries on.
    A NaN is no improvement, so the rounds without one count on from the last best."""
    X, y, X_val, y_val = _noisy_regression()
    values = iter([float("nan"), 2.0, 1.0, float("nan"), 0.5] + [float("nan")] * 50)

    def metric(y_true, y_pred, sample_weight=None):
        return next(values)

    model = GradientBoostingRegressor(n_estimators=30, early_stopping_rounds=4,
                                      eval_metric=metric)
    with pytest.warns(RuntimeWarning, match="NaN") as record:
        model.fit(X, y, eval_set=[(X_val, y_val)])
    assert len([w for w in record if "NaN" in str(w.message)]) == 1  # once per fit
    assert model.best_iteration == 4
    assert model.best_score == 0.5
    assert model.n_iterations_ == 9  # rounds 5..8 brought no improvement


def test_a_metric_nan_at_every_round_stops_as_xgboost_does():
    # The first round is the best until one scores (XGBoost's best_iteration 0, best_score
    # NaN); the rounds after it count as no improvement.
    xgboost = pytest.importorskip("xgboost")
    X, y, X_val, y_val = _noisy_regression()

    def undefined(y_true, y_pred, sample_weight=None):
        return float("nan")

    ours = GradientBoostingRegressor(n_estimators=30, early_stopping_rounds=2,
                                     eval_metric=undefined)
    with pytest.warns(RuntimeWarning, match="NaN"):
        ours.fit(X, y, eval_set=[(X_val, y_val)])
    theirs = xgboost.XGBRegressor(n_estimators=30, early_stopping_rounds=2,
                                  eval_metric=undefined)
    theirs.fit(X, y, eval_set=[(X_val, y_val)], verbose=False)
    assert ours.n_iterations_ == theirs.get_booster().num_boosted_rounds() == 3
    assert ours.best_iteration == theirs.best_iteration == 0
    assert np.isnan(ours.best_score) and np.isnan(theirs.best_score)
    np.testing.assert_array_equal(ours.predict(X_val),
                                  ours.predict(X_val, iteration_range=(0, 1)))
    loaded = GradientBoostingRegressor().load_model(ours.save_model())
    assert loaded.best_iteration == 0 and np.isnan(loaded.best_score)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: EarlyStopping(0), ValueError, "early_stopping_rounds"),
        (lambda: EarlyStopping(-3), ValueError, "early_stopping_rounds"),
        (lambda: EarlyStopping(np.nan), TypeError, "early_stopping_rounds"),
        (lambda: EarlyStopping("3"), TypeError, "early_stopping_rounds"),
        (lambda: EarlyStopping(3, min_delta=-0.1), ValueError, "min_delta"),
        (lambda: EarlyStopping(3, min_delta=np.nan), ValueError, "min_delta"),
        (lambda: EvaluationMonitor(0), ValueError, "period"),
        (lambda: EvaluationMonitor(2.5), TypeError, "period"),
        (lambda: EvaluationMonitor(printer=None), TypeError, "printer must be callable"),
    ],
)
def test_callback_arguments_are_validated(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("verbose", ["x", 0.5, -1])
def test_verbose_must_be_a_bool_or_a_count_of_rounds(verbose):
    X, y, X_val, y_val = _noisy_regression()
    model = GradientBoostingRegressor(n_estimators=2)
    with pytest.raises(TypeError, match="verbose must be a bool"):
        model.fit(X, y, eval_set=[(X_val, y_val)], verbose=verbose)


# --------------------------------------------------------------------------- logging
LINE = re.compile(r"^\[(\d+)\]((?:\t[\w-]+-[\w@.-]+:-?\d+\.\d{5})+)$")


def _parse(out):
    """{iteration: {"data-metric": value}} from the printed lines."""
    parsed = {}
    for line in out.strip().splitlines():
        match = LINE.match(line)
        assert match, f"unexpected log line {line!r}"
        fields = dict(field.rsplit(":", 1) for field in match.group(2).strip("\t").split("\t"))
        parsed[int(match.group(1))] = {k: float(v) for k, v in fields.items()}
    return parsed


@pytest.mark.parametrize(("verbose", "expected"),
                         [(True, [0, 1, 2, 3, 4]), (2, [0, 2, 4]), (3, [0, 3, 4])])
def test_verbose_prints_every_period_and_the_last_round(verbose, expected, capsys):
    X, y, X_val, y_val = _noisy_classification()
    model = GradientBoostingClassifier(n_estimators=5, max_depth=2)
    model.fit(X, y, eval_set=[(X_val, y_val)], verbose=verbose)
    out = capsys.readouterr().out
    assert all(line.startswith(f"[{i}]\tvalidation_0-logloss:")
               for i, line in zip(expected, out.strip().splitlines(), strict=True))
    parsed = _parse(out)
    assert sorted(parsed) == expected
    log = model.evals_result()["validation_0"]["logloss"]
    for i in expected:
        assert parsed[i]["validation_0-logloss"] == pytest.approx(log[i], abs=5e-6)


def test_verbose_lists_every_eval_set_and_metric_in_order(capsys):
    X, y, X_val, y_val = _noisy_regression()
    model = GradientBoostingRegressor(n_estimators=2, max_depth=2, eval_metric=["rmse", "mae"])
    model.fit(X, y, eval_set=[(X, y), (X_val, y_val)], verbose=True)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    keys = [field.split(":")[0] for field in lines[0].split("\t")[1:]]
    assert keys == ["validation_0-rmse", "validation_0-mae", "validation_1-rmse",
                    "validation_1-mae"]
    parsed = _parse("\n".join(lines))
    result = model.evals_result()
    for i in (0, 1):
        for key, value in parsed[i].items():
            data, metric = key.split("-")
            assert value == pytest.approx(result[data][metric][i], abs=5e-6)


def test_silent_unless_verbose_and_eval_set(capsys):
    X, y, X_val, y_val = _noisy_regression()
    GradientBoostingRegressor(n_estimators=3, max_depth=2).fit(X, y, eval_set=[(X_val, y_val)])
    GradientBoostingRegressor(n_estimators=3, max_depth=2).fit(X, y, verbose=True)
    assert capsys.readouterr().out == ""


def test_evaluation_monitor_with_a_custom_printer(capsys):
    X, y, X_val, y_val = _noisy_regression()
    lines = []
    monitor = EvaluationMonitor(period=4, printer=lines.append)
    model = GradientBoostingRegressor(n_estimators=6, max_depth=2, callbacks=[monitor])
    model.fit(X, y, eval_set=[(X_val, y_val)])
    assert capsys.readouterr().out == ""
    assert sorted(_parse("\n".join(lines))) == [0, 4, 5]
