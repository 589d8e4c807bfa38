"""XGBoost's everyday parameters and the objectives and metrics of issue 14: derivatives
against finite differences, errors, equivalences and persistence (the comparisons with
XGBoost's models are in test_oracle_objectives.py)."""

import warnings

import numpy as np
import pytest

from ensembles import GradientBoostingClassifier, GradientBoostingRegressor
from ensembles.boosting.metrics import make_metric
from ensembles.boosting.objectives import make_objective

xgb = pytest.importorskip("xgboost")

N = 60


def _fd(loss, y, f, h=1e-5):
    """Central first and second differences of the per-row ``loss(y, f)``."""
    grad = (loss(y, f + h) - loss(y, f - h)) / (2 * h)
    hess = (loss(y, f + 10 * h) - 2 * loss(y, f) + loss(y, f - 10 * h)) / (10 * h) ** 2
    return grad, hess


def _logistic_loss(spw):
    def loss(y, f):
        w = np.where(y == 1.0, spw, 1.0)
        return w * (np.logaddexp(0, f) - y * f)

    return loss


@pytest.mark.parametrize("name", ["binary:logistic", "binary:logitraw", "reg:logistic"])
@pytest.mark.parametrize("spw", [1.0, 3.5])
def test_logistic_family_derivatives(name, spw):
    rng = np.random.default_rng(0)
    y = (rng.random(N) < 0.4).astype(float)
    if name == "reg:logistic":
        y = rng.random(N)  # probabilities as targets: spw touches the rows equal to 1 only
        y[:5] = 1.0
    f = rng.normal(size=N)
    grad, hess = make_objective(name, scale_pos_weight=spw).gradient(y, f[:, None], None)
    fd_grad, fd_hess = _fd(_logistic_loss(spw), y, f)
    np.testing.assert_allclose(grad[:, 0], fd_grad, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(hess[:, 0], fd_hess, rtol=1e-4, atol=1e-6)


def test_hinge_derivatives():
    rng = np.random.default_rng(1)
    y = (rng.random(N) < 0.5).astype(float)
    f = rng.normal(size=N) * 2
    s = 2 * y - 1
    f[np.abs(s * f - 1) < 1e-3] += 0.01  # away from the kink

    def loss(y, f):
        return np.maximum(0.0, 1.0 - (2 * y - 1) * f)

    grad, hess = make_objective("binary:hinge").gradient(y, f[:, None], None)
    np.testing.assert_allclose(grad[:, 0], _fd(loss, y, f)[0], atol=1e-8)
    active = s * f < 1
    np.testing.assert_array_equal(hess[active, 0], 1.0)
    # Where the loss is flat XGBoost's hessian is the smallest normal float32.
    np.testing.assert_array_equal(hess[~active, 0], np.finfo(np.float32).tiny)


def test_squaredlogerror_derivatives():
    rng = np.random.default_rng(2)
    y = rng.gamma(2.0, 1.0, size=N) - 0.5
    f = y + rng.normal(size=N) * 0.3

    def loss(y, f):
        return 0.5 * (np.log1p(f) - np.log1p(y)) ** 2

    grad, hess = make_objective("reg:squaredlogerror").gradient(y, f[:, None], None)
    fd_grad, fd_hess = _fd(loss, y, f)
    np.testing.assert_allclose(grad[:, 0], fd_grad, rtol=1e-6, atol=1e-8)
    exact = fd_hess > 1e-6 + 1e-4  # elsewhere XGBoost's floor of 1e-6 holds
    np.testing.assert_allclose(hess[exact, 0], fd_hess[exact], rtol=1e-4)
    assert np.all(hess >= 1e-6)


def _cox_partial_nll(y, f):
    """Negative partial log-likelihood (no ties): sum over events of log R_i - f_i."""
    total = 0.0
    for i in np.flatnonzero(y > 0):
        at_risk = np.abs(y) >= np.abs(y[i])
        total += np.log(np.sum(np.exp(f[at_risk]))) - f[i]
    return total


def test_cox_derivatives_are_those_of_the_partial_likelihood():
    rng = np.random.default_rng(3)
    time = rng.permutation(np.arange(1, N + 1)).astype(float)  # no ties
    y = np.where(rng.random(N) < 0.7, time, -time)
    f = rng.normal(size=N) * 0.5
    grad, hess = make_objective("survival:cox").gradient(y, f[:, None], None)
    for j in range(0, N, 7):
        for h, derivative in ((1e-5, grad), (1e-3, hess)):
            step = np.zeros(N)
            step[j] = h
            up, mid, down = (_cox_partial_nll(y, f + step), _cox_partial_nll(y, f),
                             _cox_partial_nll(y, f - step))
            if derivative is grad:
                assert grad[j, 0] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-7)
            else:
                assert hess[j, 0] == pytest.approx((up - 2 * mid + down) / h**2, rel=1e-4,
                                                   abs=1e-7)
    # A shift of every margin changes nothing.
    shifted = make_objective("survival:cox").gradient(y, f[:, None] + 3.0, None)
    np.testing.assert_allclose(shifted[0], grad, atol=1e-12)


def test_cox_ties_follow_xgboosts_running_sums():
    """With tied times XGBoost's loop adds an event's 1/R to the rows from it on, in the
    stable order of |y|; a literal transcription of that loop is the reference."""
    rng = np.random.default_rng(4)
    y = rng.integers(1, 8, size=N).astype(float) * np.where(rng.random(N) < 0.6, 1, -1)
    f = rng.normal(size=N) * 0.5
    w = rng.uniform(0.5, 2.0, size=N)
    order = np.argsort(np.abs(y), kind="stable")
    e = np.exp(f)
    risk_total = e.sum()
    r = s = acc = last_e = last_t = 0.0
    ref_grad, ref_hess = np.empty(N), np.empty(N)
    for i in order:
        acc += last_e
        if last_t < abs(y[i]):
            risk_total -= acc
            acc = 0.0
        if y[i] > 0:
            r += 1.0 / risk_total
            s += 1.0 / risk_total**2
        ref_grad[i] = (e[i] * r - (y[i] > 0)) * w[i]
        ref_hess[i] = (e[i] * r - e[i] ** 2 * s) * w[i]
        last_t, last_e = abs(y[i]), e[i]
    grad, hess = make_objective("survival:cox").gradient(y, f[:, None], w)
    np.testing.assert_allclose(grad[:, 0], ref_grad, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hess[:, 0], ref_hess, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("distribution", ["normal", "logistic", "extreme"])
@pytest.mark.parametrize("sigma", [0.7, 1.0, 1.6])
def test_aft_derivatives(distribution, sigma):
    rng = np.random.default_rng(5)
    time = rng.gamma(2.0, 1.0, size=N)
    lower, upper = time.copy(), time.copy()
    upper[:15] = np.inf  # right-censored
    lower[15:25] = 0.0  # left-censored
    upper[25:40] *= 2.0  # interval-censored
    y = np.c_[lower, upper]
    f = np.log(time) + rng.normal(size=N) * 0.5
    objective = make_objective("survival:aft", aft_loss_distribution=distribution,
                               aft_loss_distribution_scale=sigma)
    grad, hess = objective.gradient(y, f[:, None], None)
    fd_grad, fd_hess = _fd(objective.loss, y, f)
    inside = np.abs(fd_grad) < 15  # XGBoost bounds |grad| by 15 and hess to [1e-16, 15]
    np.testing.assert_allclose(grad[inside, 0], fd_grad[inside], rtol=1e-5, atol=1e-7)
    inside = (fd_hess > 1e-6) & (fd_hess < 15)
    np.testing.assert_allclose(hess[inside, 0], fd_hess[inside], rtol=1e-3, atol=1e-6)
    # Far-out margins: finite, bounded derivatives (XGBoost's limits), never NaN.
    for far in (-60.0, 60.0):
        g, h = objective.gradient(y, np.full((N, 1), far), None)
        assert np.all(np.isfinite(g)) and np.all(np.abs(g) <= 15)
        assert np.all((h >= 1e-16) & (h <= 15))


def test_several_quantiles_derivatives_are_one_column_per_level():
    rng = np.random.default_rng(6)
    y = rng.normal(size=N)
    raw = rng.normal(size=(N, 3))
    many = make_objective("reg:quantileerror", quantile_alpha=[0.1, 0.5, 0.9])
    grad, hess = many.gradient(y, raw, None)
    for k, alpha in enumerate([0.1, 0.5, 0.9]):
        one = make_objective("reg:quantileerror", quantile_alpha=alpha)
        g, h = one.gradient(y, raw[:, k:k + 1], None)
        np.testing.assert_array_equal(grad[:, k:k + 1], g)
        np.testing.assert_array_equal(hess[:, k:k + 1], h)


# ---------------------------------------------------------------------------- metrics
def _xgb_eval(metric, y, margin, weight=None, **dmatrix):
    d = xgb.DMatrix(np.zeros((len(margin), 1)), label=y, weight=weight, base_margin=margin,
                    **dmatrix)
    params = {"eval_metric": metric}
    if metric == "cox-nloglik":
        params["objective"] = "survival:cox"
    elif metric == "rmsle":
        params["objective"] = "reg:squarederror"
    else:
        params["objective"] = "binary:logistic"
    booster = xgb.train(params, d, num_boost_round=0)
    return float(booster.eval(d).split(":")[1])


def test_aucpr_matches_xgboost_with_ties_and_weights():
    rng = np.random.default_rng(7)
    y = (rng.random(500) < 0.3).astype(float)
    margin = np.round(rng.normal(size=500) + y, 1)  # many ties
    w = rng.uniform(0.2, 3.0, size=500)
    prob = 1 / (1 + np.exp(-margin))
    ours = make_metric("aucpr")(y, prob, w)
    assert ours == pytest.approx(_xgb_eval("aucpr", y, margin, w), rel=1e-6)
    assert make_metric("aucpr").higher_is_better


def test_rmsle_and_cox_nloglik_match_xgboost():
    rng = np.random.default_rng(8)
    y = rng.gamma(2.0, 1.0, size=300)
    pred = y * np.exp(rng.normal(size=300) * 0.3)
    w = rng.uniform(0.2, 3.0, size=300)
    assert make_metric("rmsle")(y, pred, w) == pytest.approx(
        _xgb_eval("rmsle", y, pred, w), rel=1e-6)
    time = rng.integers(1, 50, size=300).astype(float)  # with ties
    yc = np.where(rng.random(300) < 0.6, time, -time)
    margin = rng.normal(size=300)
    assert make_metric("cox-nloglik")(yc, np.exp(margin)) == pytest.approx(
        _xgb_eval("cox-nloglik", yc, margin), rel=1e-6)


def test_interval_accuracy_matches_xgboost():
    rng = np.random.default_rng(9)
    time = rng.gamma(2.0, 1.0, size=400)
    lower, upper = time * 0.8, time * 1.25
    upper[:50] = np.inf
    margin = np.log(time) + rng.normal(size=400) * 0.4
    d = xgb.DMatrix(np.zeros((400, 1)), label_lower_bound=lower, label_upper_bound=upper,
                    base_margin=margin)
    booster = xgb.train({"objective": "survival:aft",
                         "eval_metric": "interval-regression-accuracy"}, d, 0)
    theirs = float(booster.eval(d).split(":")[1])
    ours = make_metric("interval-regression-accuracy")(np.c_[lower, upper], np.exp(margin))
    assert ours == pytest.approx(theirs, rel=1e-6)


def test_quantile_metric_averages_the_levels_like_xgboost():
    rng = np.random.default_rng(10)
    X = rng.integers(0, 5, size=(400, 2)).astype(float)
    y = X[:, 0] + rng.normal(size=400)
    alphas = [0.2, 0.5, 0.7]
    theirs = xgb.XGBRegressor(objective="reg:quantileerror", quantile_alpha=alphas,
                              n_estimators=3, eval_metric="quantile").fit(
        X, y, eval_set=[(X, y)], verbose=False)
    ours = make_metric("quantile", quantile_alpha=alphas)(y, theirs.predict(X))
    assert ours == pytest.approx(theirs.evals_result()["validation_0"]["quantile"][-1],
                                 rel=1e-5)


# ---------------------------------------------------------------------- parameters
def _regression(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = X[:, 0] - 0.5 * X[:, 1] + rng.normal(size=n) * 0.3
    return X, y


@pytest.mark.parametrize("method", ["exact", "approx", "gpu_hist"])
def test_tree_methods_other_than_hist_explain_why(method):
    X, y = _regression()
    model = GradientBoostingRegressor(tree_method=method, n_estimators=2)
    with pytest.raises(ValueError, match=f"tree_method='{method}'.*histograms"):
        model.fit(X, y)
    assert not hasattr(model, "n_iterations_")
    with pytest.raises(ValueError, match="tree_method must be one of"):
        GradientBoostingRegressor(tree_method="bogus").fit(X, y)


def test_auto_hist_and_cpu_are_the_same_model():
    X, y = _regression()
    reference = GradientBoostingRegressor(n_estimators=5).fit(X, y).predict(X)
    for params in ({"tree_method": "auto"}, {"tree_method": None}, {"device": None},
                   {"device": "cpu"}, {"verbosity": 0}, {"verbosity": 3}):
        np.testing.assert_array_equal(
            GradientBoostingRegressor(n_estimators=5, **params).fit(X, y).predict(X), reference)


@pytest.mark.parametrize("device", ["cuda", "gpu", "cuda:0"])
def test_devices_other_than_cpu_are_refused(device):
    X, y = _regression()
    with pytest.raises(ValueError, match=f"device='{device}'.*CPU only"):
        GradientBoostingRegressor(device=device).fit(X, y)


@pytest.mark.parametrize("params,match", [
    ({"verbosity": 4}, "verbosity"),
    ({"missing": "NA"}, "missing"),
    ({"num_parallel_tree": 0}, "num_parallel_tree"),
    ({"scale_pos_weight": 0.0}, "scale_pos_weight"),
    ({"aft_loss_distribution": "weibull"}, "aft_loss_distribution"),
    ({"aft_loss_distribution_scale": 0.0}, "aft_loss_distribution_scale"),
    ({"quantile_alpha": []}, "quantile_alpha"),
    ({"quantile_alpha": [0.5, 0.5]}, "quantile_alpha"),
    ({"quantile_alpha": [0.1, 1.2]}, "quantile_alpha"),
])
def test_bad_parameters_are_named(params, match):
    X, y = _regression()
    with pytest.raises((ValueError, TypeError), match=match):
        GradientBoostingRegressor(n_estimators=2, **params).fit(X, y)


def test_verbosity_zero_silences_warnings():
    X, y = _regression()
    with pytest.warns(UserWarning, match="scale_pos_weight=2.0 is ignored"):
        GradientBoostingRegressor(n_estimators=2, scale_pos_weight=2.0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        GradientBoostingRegressor(n_estimators=2, scale_pos_weight=2.0, verbosity=0).fit(X, y)


def test_scale_pos_weight_is_a_weight_on_the_positive_rows():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(500, 4))
    y = (X[:, 0] + rng.logistic(size=500) > 1.0).astype(int)
    for objective in ("binary:logistic", "binary:logitraw"):
        scaled = GradientBoostingClassifier(objective=objective, scale_pos_weight=4.0,
                                            n_estimators=5).fit(X, y)
        weighted = GradientBoostingClassifier(objective=objective, n_estimators=5).fit(
            X, y, sample_weight=np.where(y == 1, 4.0, 1.0))
        np.testing.assert_allclose(scaled.predict(X, output_margin=True),
                                   weighted.predict(X, output_margin=True), rtol=1e-12,
                                   atol=1e-12)


def test_missing_value_is_read_in_fit_predict_and_eval_sets():
    X, y = _regression()
    X[::7, 1] = 0.0
    marked = np.where(X == 0.0, np.nan, X)
    ours = GradientBoostingRegressor(n_estimators=5, missing=0.0).fit(
        X, y, eval_set=[(X, y)])
    plain = GradientBoostingRegressor(n_estimators=5).fit(marked, y, eval_set=[(marked, y)])
    np.testing.assert_array_equal(ours.predict(X), plain.predict(marked))
    np.testing.assert_array_equal(ours.predict(X[:1]), plain.predict(marked[:1]))  # fast path
    assert ours.evals_result() == plain.evals_result()
    np.testing.assert_array_equal(ours.apply(X), plain.apply(marked))
    # NaN stays missing whatever `missing` is; the caller's array is not changed.
    np.testing.assert_array_equal(ours.predict(marked), plain.predict(marked))
    assert np.sum(X == 0.0) > 0
    # Infinity as the missing value.
    X_inf = np.where(np.isnan(marked), np.inf, X)
    inf_model = GradientBoostingRegressor(n_estimators=5, missing=np.inf).fit(X_inf, y)
    np.testing.assert_array_equal(inf_model.predict(X_inf), plain.predict(marked))
    with pytest.raises(ValueError, match="infinity"):
        ours.predict(X_inf)


def test_base_margin_checks():
    X, y = _regression()
    model = GradientBoostingRegressor(n_estimators=3)
    with pytest.raises(ValueError, match=r"base_margin must have shape \(400,\)"):
        model.fit(X, y, base_margin=np.zeros(399))
    with pytest.raises(ValueError, match="base_margin_eval_set is given but eval_set"):
        model.fit(X, y, base_margin_eval_set=[np.zeros(400)])
    with pytest.raises(ValueError, match="base_margin_eval_set has 2 entries"):
        model.fit(X, y, eval_set=[(X, y)], base_margin_eval_set=[None, None])
    model.fit(X, y, base_margin=np.full(400, 10.0))
    # A constant margin m trains the trees on y - m; predicting with m adds it back.
    shifted = GradientBoostingRegressor(n_estimators=3, base_score=10.0).fit(X, y)
    np.testing.assert_allclose(model.predict(X, base_margin=np.full(400, 10.0)),
                               shifted.predict(X), rtol=1e-12)
    rng = np.random.default_rng(0)
    yc = rng.integers(0, 3, size=400)
    clf = GradientBoostingClassifier(n_estimators=2).fit(X, yc)
    with pytest.raises(ValueError, match=r"\(400, 3\)"):
        clf.predict_proba(X, base_margin=np.zeros((400, 2)))
    flat = clf.predict_proba(X, base_margin=np.arange(1200.0) / 1200)
    np.testing.assert_array_equal(
        flat, clf.predict_proba(X, base_margin=(np.arange(1200.0) / 1200).reshape(400, 3)))


def test_num_parallel_tree_rounds_early_stopping_and_continuation():
    X, y = _regression(800)
    X_val, y_val = _regression(300, seed=1)
    model = GradientBoostingRegressor(n_estimators=50, num_parallel_tree=3, subsample=0.6,
                                      colsample_bytree=0.7, random_state=0,
                                      early_stopping_rounds=3, learning_rate=0.5)
    model.fit(X, y, eval_set=[(X_val, y_val)])
    assert len(model._booster.trees) == 3 * model.n_iterations_
    assert model.apply(X).shape == (800, 3 * (model.best_iteration + 1))
    # Parallel trees of a round differ (own row and column samples).
    first = model.get_dump()[:3]
    assert len(set(first)) == 3
    staged = list(model.staged_predict(X_val))
    np.testing.assert_allclose(staged[model.best_iteration], model.predict(X_val), rtol=1e-12)
    np.testing.assert_allclose(model.predict(X_val, iteration_range=(0, 2)), staged[1],
                               rtol=1e-12)
    contribs = model.predict_contribs(X_val[:20])
    np.testing.assert_allclose(contribs.sum(axis=1),
                               model.predict(X_val[:20], output_margin=True), rtol=1e-9)
    more = GradientBoostingRegressor(n_estimators=2, num_parallel_tree=3).fit(
        X, y, xgb_model=model)
    assert more.n_iterations_ == model.n_iterations_ + 2
    with pytest.raises(ValueError, match="num_parallel_tree"):
        GradientBoostingRegressor(n_estimators=2).fit(X, y, xgb_model=model)


def test_classifier_objectives_and_probabilities():
    rng = np.random.default_rng(12)
    X = rng.normal(size=(400, 3))
    y = np.where(X[:, 0] + rng.normal(size=400) * 0.5 > 0, "yes", "no")
    hinge = GradientBoostingClassifier(objective="binary:hinge", n_estimators=5).fit(X, y)
    proba = hinge.predict_proba(X)
    assert set(np.unique(proba)) <= {0.0, 1.0}
    np.testing.assert_array_equal(hinge.classes_[proba.argmax(axis=1)], hinge.predict(X))
    raw = GradientBoostingClassifier(objective="binary:logitraw", n_estimators=5).fit(X, y)
    margin = raw.predict(X, output_margin=True)
    np.testing.assert_allclose(raw.predict_proba(X)[:, 1], 1 / (1 + np.exp(-margin)),
                               rtol=1e-12)
    np.testing.assert_array_equal(raw.predict(X), np.where(margin > 0, "yes", "no"))
    with pytest.raises(ValueError, match="does not fit 2 classes"):
        GradientBoostingClassifier(objective="multi:softmax").fit(X, y)
    y3 = rng.integers(0, 3, size=400)
    with pytest.raises(ValueError, match="does not fit 3 classes"):
        GradientBoostingClassifier(objective="binary:hinge").fit(X, y3)
    softmax = GradientBoostingClassifier(objective="multi:softmax", n_estimators=4).fit(X, y3)
    softprob = GradientBoostingClassifier(objective="multi:softprob", n_estimators=4).fit(X, y3)
    np.testing.assert_array_equal(softmax.predict_proba(X), softprob.predict_proba(X))


def test_survival_fit_errors():
    X, y = _regression()
    t = np.exp(y)
    with pytest.raises(ValueError, match="interval labels of objective='survival:aft'"):
        GradientBoostingRegressor().fit(X, t, y_lower_bound=t, y_upper_bound=t)
    aft = GradientBoostingRegressor(objective="survival:aft", n_estimators=2)
    with pytest.raises(ValueError, match="give both"):
        aft.fit(X, t, y_lower_bound=t)
    with pytest.raises(ValueError, match="y_upper_bound > 0"):
        aft.fit(X, None, y_lower_bound=t, y_upper_bound=t / 2)
    with pytest.raises(ValueError, match="y_upper_bound has 399 entries"):
        aft.fit(X, None, y_lower_bound=t, y_upper_bound=t[:-1])
    with pytest.raises(ValueError, match="at least one observed event"):
        GradientBoostingRegressor(objective="survival:cox").fit(X, -t)
    # Without bounds, y holds observed times.
    np.testing.assert_array_equal(
        aft.fit(X, t).predict(X),
        GradientBoostingRegressor(objective="survival:aft", n_estimators=2).fit(
            X, None, y_lower_bound=t, y_upper_bound=t).predict(X))


def test_aft_start_is_the_best_constant():
    rng = np.random.default_rng(13)
    t = rng.gamma(2.0, 2.0, size=500)
    lower, upper = t.copy(), t.copy()
    upper[:150] = np.inf
    objective = make_objective("survival:aft", aft_loss_distribution="logistic")
    y = np.c_[lower, upper]
    start = objective.base_margin(y, None)[0]
    grid = start + np.linspace(-0.05, 0.05, 11)
    losses = [objective.loss(y, np.full(500, g)).sum() for g in grid]
    assert np.argmin(losses) == 5


# ---------------------------------------------------------------------- persistence
def _round_trip(model, X, **predict):
    loaded = type(model)().load_model(model.save_model())
    np.testing.assert_array_equal(loaded.predict(X, **predict), model.predict(X, **predict))
    params, loaded_params = model.get_params(), loaded.get_params()
    if isinstance(params["quantile_alpha"], list):
        assert list(loaded_params.pop("quantile_alpha")) == params.pop("quantile_alpha")
    missing, loaded_missing = params.pop("missing"), loaded_params.pop("missing")
    assert missing == loaded_missing or (np.isnan(missing) and np.isnan(loaded_missing))
    assert loaded_params == params
    return loaded


@pytest.mark.parametrize("params", [
    {"objective": "reg:squaredlogerror"},
    {"objective": "reg:logistic"},
    {"objective": "survival:cox"},
    {"objective": "survival:aft", "aft_loss_distribution": "extreme",
     "aft_loss_distribution_scale": 1.7},
    {"objective": "reg:quantileerror", "quantile_alpha": [0.05, 0.5, 0.95]},
    {"num_parallel_tree": 3, "subsample": 0.7, "random_state": 1},
    {"missing": -1.0, "verbosity": 0, "tree_method": "auto", "device": "cpu"},
    {"missing": np.inf},
], ids=lambda p: "-".join(f"{k}={v}" for k, v in p.items()))
def test_regressor_round_trips(params):
    X, y = _regression()
    target = {"reg:squaredlogerror": np.exp(y), "reg:logistic": 1 / (1 + np.exp(-y)),
              "survival:cox": np.exp(y) * np.sign(y + 0.5),
              "survival:aft": np.exp(y)}.get(params.get("objective"), y)
    X = np.where(X < -1.5, params.get("missing", np.nan), X)
    model = GradientBoostingRegressor(n_estimators=4, **params).fit(X, target)
    _round_trip(model, X)
    _round_trip(model, X, base_margin=np.full((X.shape[0], model._booster.n_outputs), 0.5))


@pytest.mark.parametrize("params,n_classes", [
    ({"objective": "binary:hinge"}, 2),
    ({"objective": "binary:logitraw", "scale_pos_weight": 2.5}, 2),
    ({"objective": "multi:softmax", "num_parallel_tree": 2}, 3),
])
def test_classifier_round_trips(params, n_classes):
    rng = np.random.default_rng(14)
    X = rng.normal(size=(300, 4))
    y = rng.integers(0, n_classes, size=300)
    model = GradientBoostingClassifier(n_estimators=3, **params).fit(X, y)
    loaded = _round_trip(model, X)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_files_without_num_parallel_tree_load_and_bad_counts_are_refused():
    import json

    X, y = _regression()
    model = GradientBoostingRegressor(n_estimators=3).fit(X, y)
    doc = json.loads(model.save_model())
    del doc["booster"]["num_parallel_tree"]  # a file from before the parameter
    loaded = GradientBoostingRegressor().load_model(json.dumps(doc).encode())
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    doc["booster"]["num_parallel_tree"] = 2
    with pytest.raises(ValueError, match="num_parallel_tree trees"):
        GradientBoostingRegressor().load_model(json.dumps(doc).encode())
    doc["booster"]["num_parallel_tree"] = 1
    doc["params"]["quantile_alpha"] = [0.2, 0.8]
    doc["params"]["objective"] = "reg:quantileerror"
    with pytest.raises(ValueError, match="needs 2 output"):
        GradientBoostingRegressor().load_model(json.dumps(doc).encode())


@pytest.mark.parametrize("params,kind", [
    ({"objective": "reg:quantileerror", "quantile_alpha": [0.1, 0.5, 0.9]}, "real"),
    ({"num_parallel_tree": 3, "subsample": 0.5, "random_state": 0}, "real"),
    ({"objective": "reg:logistic"}, "probability"),
    ({"objective": "reg:squaredlogerror"}, "positive"),
    ({"objective": "survival:cox"}, "signed"),
    ({"objective": "survival:aft", "aft_loss_distribution": "logistic"}, "positive"),
    ({"objective": "binary:hinge"}, "binary"),
    ({"objective": "binary:logitraw", "scale_pos_weight": 2.0}, "binary"),
    ({"objective": "multi:softmax", "num_parallel_tree": 2}, "multiclass"),
], ids=lambda p: str(p))
def test_xgboost_format_export_of_the_new_objectives(params, kind, tmp_path):
    rng = np.random.default_rng(15)
    X, X_test = rng.normal(size=(400, 4)), rng.normal(size=(300, 4))
    s = X[:, 0] + rng.normal(size=400) * 0.3
    y = {"real": s, "probability": 1 / (1 + np.exp(-s)), "positive": np.exp(s),
         "signed": np.exp(s) * np.sign(s + 0.3), "binary": (s > 0).astype(int),
         "multiclass": np.digitize(s, [-0.5, 0.5])}[kind]
    Model = GradientBoostingClassifier if kind in ("binary", "multiclass") else \
        GradientBoostingRegressor
    model = Model(n_estimators=4, **params).fit(X, y)
    path = tmp_path / "model.json"
    model.save_model(path, format="xgboost")
    booster = xgb.Booster(model_file=str(path))
    ours = model.predict(X_test, output_margin=True)
    theirs = booster.predict(xgb.DMatrix(X_test), output_margin=True).reshape(ours.shape)
    np.testing.assert_allclose(theirs, ours, rtol=1e-5, atol=1e-5)
    if Model is GradientBoostingRegressor:
        np.testing.assert_allclose(booster.predict(xgb.DMatrix(X_test)).reshape(ours.shape),
                                   model.predict(X_test), rtol=1e-5, atol=1e-5)


def test_cox_reuses_its_time_order_within_a_fit_and_drops_it_after():
    rng = np.random.default_rng(16)
    time = rng.integers(1, 30, size=200).astype(float)
    y = np.where(rng.random(200) < 0.6, time, -time)
    f = rng.normal(size=(200, 1))
    objective = make_objective("survival:cox")
    first = objective.gradient(y, f, None)
    assert objective._time_order is not None
    y2 = y[::-1].copy()  # other labels: a new order, not the kept one
    np.testing.assert_array_equal(objective.gradient(y2, f, None)[0],
                                  make_objective("survival:cox").gradient(y2, f, None)[0])
    np.testing.assert_array_equal(objective.gradient(y, f, None)[0], first[0])
    X = rng.normal(size=(200, 3))
    model = GradientBoostingRegressor(objective="survival:cox", n_estimators=3).fit(X, y)
    assert model._objective._time_order is None  # the fitted model holds no labels


def test_a_one_level_list_is_the_single_quantile_model():
    X, y = _regression()
    params = dict(objective="reg:quantileerror", n_estimators=3)
    listed = GradientBoostingRegressor(quantile_alpha=[0.3], **params).fit(
        X, y, eval_set=[(X, y)])
    single = GradientBoostingRegressor(quantile_alpha=0.3, **params).fit(
        X, y, eval_set=[(X, y)])
    assert listed.predict(X).shape == (X.shape[0],)
    np.testing.assert_array_equal(listed.predict(X), single.predict(X))
    assert listed.evals_result() == single.evals_result()
