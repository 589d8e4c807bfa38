"""Target statistics of high-cardinality categorical features in gradient boosting.

The statistics are checked by construction on tiny data (folds, smoothing, weights) and
against scikit-learn's ``TargetEncoder`` on the same folds; the estimator's behaviour
(no leakage, category values rather than codes, unseen and missing categories,
persistence, inspection) on small tables.
"""

import json
import pickle

import numpy as np
import pytest
from sklearn.metrics import log_loss, roc_auc_score

from ensembles import GradientBoostingClassifier, GradientBoostingRegressor
from ensembles.boosting import _target_stats as ts

pd = pytest.importorskip("pandas")


# --- the statistics ------------------------------------------------------------------------

def test_fold_assignment_is_seeded_and_balanced():
    a = ts.fold_assignment(103, seed=7)
    np.testing.assert_array_equal(a, ts.fold_assignment(103, seed=7))
    assert not np.array_equal(a, ts.fold_assignment(103, seed=8))
    counts = np.bincount(a, minlength=ts.N_FOLDS)
    assert counts.max() - counts.min() <= 1 and counts.sum() == 103
    assert len(counts) == ts.N_FOLDS


def test_statistics_by_construction_with_weights():
    codes = np.array([0, 0, 1, 1, 2, -1, 0, 1])
    y = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0])
    w = np.array([1.0, 2.0, 1.0, 0.5, 3.0, 1.0, 1.0, 0.0])
    folds = np.array([0, 1, 0, 1, 0, 1, 1, 0])
    m = 2.0
    out = ts.cross_fitted(codes, y, w, 3, m, folds)
    prior = np.sum(w * y) / np.sum(w)  # of all rows, the missing category's too
    for i in range(len(codes)):
        if codes[i] < 0:
            assert np.isnan(out[i])
            continue
        same = (folds != folds[i]) & (codes == codes[i])
        expect = (np.sum(w[same] * y[same]) + m * prior) / (np.sum(w[same]) + m)
        assert out[i] == pytest.approx(expect, rel=1e-12)
    # Row 4's category (2) has no row in the other fold: it gets the prior.
    assert out[4] == pytest.approx(prior, rel=1e-12)
    full = ts.full_statistics(codes, y, w, 3, m)
    for c in range(3):
        sel = codes == c
        assert full[c] == pytest.approx(
            (np.sum(w[sel] * y[sel]) + m * prior) / (np.sum(w[sel]) + m), rel=1e-12)
    # A zero weight is the same as leaving the row out.
    keep = w > 0
    np.testing.assert_allclose(ts.full_statistics(codes[keep], y[keep], w[keep], 3, m), full)
    # No smoothing: the plain weighted means; infinite smoothing: the prior everywhere.
    np.testing.assert_allclose(ts.full_statistics(codes, y, w, 3, 0.0)[:2],
                               [(1 + 1) / 4, (1 + 0.5) / 1.5])
    np.testing.assert_allclose(ts.full_statistics(codes, y, w, 3, np.inf), prior)


def test_a_category_without_weight_gets_the_prior_even_unsmoothed():
    # With m = 0 its statistic was 0 / 0: NaN (read as a missing value) and a
    # RuntimeWarning; a rounding residue of the other folds' weight gave any value.
    import warnings

    codes = np.array([0, 0, 1, 1, 2, 2])
    y = np.array([0.1, 0.7, 0.3, 0.9, 0.2, 0.4])
    w = np.array([1.0, 1.0, 0.1, 0.2, 0.0, 0.0])
    folds = np.array([0, 1, 0, 0, 0, 1])
    prior = np.sum(w * y) / np.sum(w)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        full = ts.full_statistics(codes, y, w, 3, 0.0)
        out = ts.cross_fitted(codes, y, w, 3, 0.0, folds)
    np.testing.assert_allclose(full, [0.4, 0.3 * 0.1 / 0.3 + 0.9 * 0.2 / 0.3, prior])
    # Category 1's rows all lie in fold 0 (0.1 + 0.2 - 0.1 - 0.2 is not 0 in floats).
    np.testing.assert_allclose(out, [0.7, 0.1, prior, prior, prior, prior])


@pytest.mark.parametrize("target_type", ["continuous", "binary"])
def test_cross_fitted_values_match_sklearn_target_encoder(target_type):
    from sklearn.model_selection import KFold, StratifiedKFold
    from sklearn.preprocessing import TargetEncoder

    rng = np.random.default_rng(3)
    n, n_levels = 600, 40
    codes = rng.integers(0, n_levels, n)
    signal = rng.normal(size=n_levels)[codes]
    if target_type == "binary":
        y = (rng.random(n) < 1 / (1 + np.exp(-signal))).astype(np.float64)
        cv = StratifiedKFold(ts.N_FOLDS, shuffle=True, random_state=5)
    else:
        y = signal + rng.normal(size=n)
        cv = KFold(ts.N_FOLDS, shuffle=True, random_state=5)
    folds = np.empty(n, dtype=np.int64)
    for k, (_, test) in enumerate(cv.split(codes.reshape(-1, 1), y)):
        folds[test] = k
    enc = TargetEncoder(target_type=target_type, smooth=4.0, cv=cv)
    oracle = enc.fit_transform(codes.reshape(-1, 1), y)[:, 0]
    w = np.ones(n)
    ours = ts.cross_fitted(codes, y, w, n_levels, 4.0, folds)
    # scikit-learn shrinks each fold towards the mean of the other folds' rows, we towards
    # the mean of all rows (see cross_fitted): the same sums, a shifted prior.
    n_rest = np.array([np.sum((folds != folds[i]) & (codes == codes[i])) for i in range(n)])
    fold_prior = np.array([y[folds != folds[i]].mean() for i in range(n)])
    np.testing.assert_allclose(ours - oracle,
                               4.0 * (y.mean() - fold_prior) / (n_rest + 4.0), atol=1e-12)
    if target_type == "continuous":  # stratified folds keep the binary prior
        assert np.abs(ours - oracle).max() > 1e-6  # the shift is there
    full = ts.full_statistics(codes, y, w, n_levels, 4.0)
    np.testing.assert_allclose(full[enc.categories_[0]], enc.encodings_[0], rtol=1e-10)


def test_auto_smoothing_is_the_credibility_constant():
    rng = np.random.default_rng(0)
    n_levels = 30
    sizes = rng.integers(5, 60, n_levels)
    codes = np.repeat(np.arange(n_levels), sizes)
    y = rng.normal(scale=0.5, size=n_levels)[codes] + rng.normal(size=codes.size)
    w = np.ones(codes.size)
    # The one-way random-effects ANOVA estimates, written out per category.
    N, k = codes.size, n_levels
    means = np.array([y[codes == c].mean() for c in range(k)])
    within = sum(((y[codes == c] - means[c]) ** 2).sum() for c in range(k)) / (N - k)
    msb = sum(sizes[c] * (means[c] - y.mean()) ** 2 for c in range(k)) / (k - 1)
    n0 = (N - (sizes ** 2).sum() / N) / (k - 1)
    expect = within / ((msb - within) / n0)
    assert ts.auto_smoothing(codes, y, w, n_levels) == pytest.approx(expect, rel=1e-10)
    # Categories without effect: no variance between them beyond their noise, so every
    # category is shrunk to the prior.
    noise = rng.normal(size=codes.size)
    noise -= np.array([noise[codes == c].mean() for c in range(k)])[codes]
    assert ts.auto_smoothing(codes, noise, w, n_levels) == np.inf


# --- the estimators ------------------------------------------------------------------------

def _signal_table(n=4000, n_levels=600, seed=0, signal=1.0):
    """A binary target from a many-level column with a per-level effect (Zipf-like
    frequencies) and two numeric features."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, n_levels + 1) ** 0.8
    level = rng.choice(n_levels, size=n, p=p / p.sum())
    effect = np.random.default_rng(99).normal(scale=signal, size=n_levels)
    x = rng.normal(size=(n, 2))
    logit = effect[level] + x[:, 0] - 0.5 * x[:, 1]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    df = pd.DataFrame({"x0": x[:, 0], "x1": x[:, 1],
                       "level": pd.Categorical([f"L{v}" for v in level])})
    return df, y


def _codes_frame(df, levels):
    """The level column as integer codes of a random (fixed) order of ``levels``."""
    perm = dict(zip(levels, np.random.default_rng(1).permutation(len(levels)), strict=True))
    out = df.copy()
    out["level"] = [float(perm.get(v, np.nan)) for v in df["level"].astype(object)]
    return out


PARAMS = dict(n_estimators=60, max_depth=4, learning_rate=0.1, random_state=0)


@pytest.fixture(scope="module")
def fitted():
    df, y = _signal_table()
    model = GradientBoostingClassifier(**PARAMS).fit(df, y)
    return model, df, y


def test_auto_chooses_target_statistics_above_max_cat_to_partition(fitted):
    model, df, y = fitted
    assert model.is_categorical_.tolist() == [False, False, True]
    assert model.target_stats_[:2] == [None, None]
    levels = model.categories_[2]
    assert len(levels) == df["level"].nunique() > model.max_cat_to_partition
    assert len(model.target_stats_[2]) == len(levels)
    # The trees split the statistic by thresholds: no categorical split anywhere.
    assert not any(t.has_categorical for t in model._booster.trees)
    assert model.feature_importances_[2] > 0.2
    # Below the level count, partition splits.
    small = GradientBoostingClassifier(**PARAMS, max_cat_to_partition=10_000).fit(df, y)
    assert small.target_stats_ == [None, None, None]
    assert any(t.has_categorical for t in small._booster.trees)


def test_published_statistics_are_the_smoothed_means_of_all_rows():
    df, y = _signal_table(n=1500, n_levels=50)
    w = np.random.default_rng(2).uniform(0.5, 2.0, len(y))
    model = GradientBoostingClassifier(n_estimators=5, cat_encoding="target",
                                       target_smooth=3.0).fit(df, y, sample_weight=w)
    values = df["level"].astype(object).to_numpy()
    prior = np.sum(w * y) / np.sum(w)
    expect = []
    for v in model.categories_[2]:
        sel = values == v
        expect.append((np.sum(w[sel] * y[sel]) + 3.0 * prior) / (np.sum(w[sel]) + 3.0))
    np.testing.assert_allclose(model.target_stats_[2], expect, rtol=1e-12)


def test_gain_over_partitions_and_codes_on_signal_levels():
    df, y = _signal_table(n=16000, n_levels=2000)
    train, test = slice(0, 12000), slice(12000, None)
    params = dict(PARAMS, n_estimators=100)
    auc = {}
    for name, kw in (("target", {}), ("partition", {"cat_encoding": "partition"})):
        model = GradientBoostingClassifier(**params, **kw).fit(df[train], y[train])
        auc[name] = roc_auc_score(y[test], model.predict_proba(df[test])[:, 1])
    levels = list(df["level"].cat.categories)
    codes = _codes_frame(df, levels)
    model = GradientBoostingClassifier(**params).fit(codes[train], y[train])
    auc["codes"] = roc_auc_score(y[test], model.predict_proba(codes[test])[:, 1])
    assert auc["target"] > auc["partition"] + 0.005, auc
    assert auc["target"] > auc["codes"] + 0.02, auc


def test_noise_levels_do_not_leak():
    # A pure-noise column of 2,000 levels next to numeric signal: the cross-fitted
    # statistics carry no information the trees could overfit, so held-out AUC is that
    # of integer codes (and the column gets little importance).
    df, y = _signal_table(n=12000, n_levels=2000, signal=0.0, seed=4)
    train, test = slice(0, 9000), slice(9000, None)
    model = GradientBoostingClassifier(**PARAMS).fit(df[train], y[train])
    assert model.target_stats_[2] is not None
    auc = roc_auc_score(y[test], model.predict_proba(df[test])[:, 1])
    codes = _codes_frame(df, list(df["level"].cat.categories))
    base = GradientBoostingClassifier(**PARAMS).fit(codes[train], y[train])
    auc_codes = roc_auc_score(y[test], base.predict_proba(codes[test])[:, 1])
    assert auc >= auc_codes - 0.002, (auc, auc_codes)
    assert model.feature_importances_[2] < 0.1


def test_an_identifier_column_is_not_memorized():
    # Every row its own category: without cross-fitting the statistic would be the row's
    # own label, which the trees would read perfectly on the training rows.
    rng = np.random.default_rng(5)
    n = 3000
    x = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-x))).astype(int)
    df = pd.DataFrame({"x": x, "id": pd.Categorical([f"r{i}" for i in range(n)])})
    model = GradientBoostingClassifier(**PARAMS, cat_encoding="target",
                                       target_smooth=1.0).fit(df, y)
    assert model.feature_importances_[1] < 0.05
    # Prediction on the training rows reads their own labels through the published
    # statistics; the model must not have learned to trust them.
    with_id = roc_auc_score(y, model.predict_proba(df)[:, 1])
    numeric = GradientBoostingClassifier(**PARAMS).fit(df[["x"]], y)
    without = roc_auc_score(y, numeric.predict_proba(df[["x"]])[:, 1])
    assert with_id < without + 0.02


def test_category_order_and_extra_levels_do_not_change_predictions(fitted):
    model, df, _ = fitted
    pred = model.predict_proba(df)
    levels = list(df["level"].cat.categories)
    other = df.copy()
    other["level"] = pd.Categorical(df["level"].astype(object),
                                    categories=["extra-1", *levels[::-1], "extra-2"])
    np.testing.assert_array_equal(model.predict_proba(other), pred)
    as_strings = df.copy()
    as_strings["level"] = df["level"].astype(object)
    np.testing.assert_array_equal(
        GradientBoostingClassifier(**PARAMS, categorical_features=["level"]).fit(
            as_strings, fitted[2]).predict_proba(as_strings), pred)


def test_unseen_and_missing_categories_follow_the_missing_direction(fitted):
    model, df, _ = fitted
    rows = df.iloc[:5].copy()
    unseen = rows.copy()
    unseen["level"] = pd.Categorical(["never-seen"] * 5)
    missing = rows.copy()
    missing["level"] = pd.Categorical([None] * 5, categories=["L0"])
    np.testing.assert_array_equal(model.predict_proba(unseen), model.predict_proba(missing))
    np.testing.assert_array_equal(model.apply(unseen), model.apply(missing))
    # As numbers, the missing rows are NaN in the statistic's column.
    numeric = rows[["x0", "x1"]].to_numpy()
    X = np.column_stack([numeric, np.full(5, np.nan)])
    np.testing.assert_array_equal(
        model._booster.predict_raw(X, (0, model.n_iterations_))[:, 0],
        model.predict(missing, output_margin=True))
    # Known categories read their statistics of all training rows.
    stats = model.target_stats_[2]
    index = {v: i for i, v in enumerate(model.categories_[2])}
    X = np.column_stack([numeric, [stats[index[v]] for v in rows["level"].astype(object)]])
    np.testing.assert_array_equal(
        model._booster.predict_raw(X, (0, model.n_iterations_))[:, 0],
        model.predict(rows, output_margin=True))


def test_save_load_pickle_and_older_files(fitted, tmp_path):
    model, df, y = fitted
    pred = model.predict_proba(df)
    path = tmp_path / "model.json"
    model.save_model(path)
    doc = json.loads(path.read_text())
    assert doc["version"] == 3
    entry = doc["target_stats"][2]
    assert entry["categories"] == model.categories_[2]  # the values, not codes
    assert doc["categories"][2] is None and doc["bin_edges"][2]
    loaded = GradientBoostingClassifier().load_model(path)
    np.testing.assert_array_equal(loaded.predict_proba(df), pred)
    assert loaded.categories_ == model.categories_
    assert loaded.is_categorical_.tolist() == [False, False, True]
    np.testing.assert_array_equal(loaded.target_stats_[2], model.target_stats_[2])
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict_proba(df), pred)
    with pytest.raises(ValueError, match="target statistics"):
        model.save_model(format="xgboost")
    # A version-2 file (partition splits, no target_stats) still loads.
    part = GradientBoostingClassifier(n_estimators=5, cat_encoding="partition").fit(df, y)
    old = json.loads(part.save_model())
    old["version"] = 2
    del old["target_stats"]
    for key in ("cat_encoding", "max_cat_to_partition", "target_smooth"):
        del old["params"][key]
    again = GradientBoostingClassifier().load_model(json.dumps(old).encode())
    np.testing.assert_array_equal(again.predict_proba(df), part.predict_proba(df))
    # Inconsistent statistics are refused.
    bad = dict(doc, target_stats=[None, None, dict(entry, statistics=entry["statistics"][1:])])
    with pytest.raises(ValueError, match="target_stats"):
        GradientBoostingClassifier().load_model(json.dumps(bad).encode())
    both = dict(doc, categories=[None, None, entry["categories"]], bin_edges=[
        doc["bin_edges"][0], doc["bin_edges"][1], []])
    with pytest.raises(ValueError, match="both categories and target_stats"):
        GradientBoostingClassifier().load_model(json.dumps(both).encode())


def test_staged_prediction_early_stopping_and_eval_sets():
    df, y = _signal_table(n=3000, n_levels=400, seed=6)
    train, valid = df.iloc[:2000], df.iloc[2000:]
    model = GradientBoostingClassifier(**dict(PARAMS, n_estimators=300),
                                       early_stopping_rounds=5, eval_metric="logloss")
    model.fit(train, y[:2000], eval_set=[(valid, y[2000:])])
    assert model.best_iteration < 299
    # The eval set is read with the statistics of all training rows, as prediction is.
    curve = model.evals_result()["validation_0"]["logloss"]
    best = model.predict_proba(valid, iteration_range=(0, model.n_iterations_))
    assert curve[-1] == pytest.approx(log_loss(y[2000:], best), rel=1e-6)
    stages = list(model.staged_predict_proba(valid))
    assert len(stages) == model.n_iterations_
    np.testing.assert_allclose(stages[-1], best, rtol=1e-12)


def test_shap_and_importances_map_to_the_feature(fitted):
    model, df, _ = fitted
    rows = df.iloc[:50]
    contribs = model.predict_contribs(rows)
    assert contribs.shape == (50, 4)
    np.testing.assert_allclose(contribs.sum(axis=1), model.predict(rows, output_margin=True),
                               rtol=1e-6, atol=1e-6)
    # The statistic's column is an ordinary numeric feature of the trees: the same SHAP
    # values as for the numbers the trees see.
    stats = model.target_stats_[2]
    index = {v: i for i, v in enumerate(model.categories_[2])}
    X = np.column_stack([rows[["x0", "x1"]].to_numpy(),
                         [stats[index[v]] for v in rows["level"].astype(object)]])
    reference = GradientBoostingClassifier()
    reference.__dict__.update({k: v for k, v in model.__dict__.items()
                               if k not in ("is_categorical_", "categories_",
                                            "target_stats_", "feature_names_in_")})
    np.testing.assert_allclose(reference.predict_contribs(X), contribs, rtol=1e-12)
    inter = model.predict_interactions(rows.iloc[:5])
    np.testing.assert_allclose(inter.sum(axis=2), contribs[:5], rtol=1e-6, atol=1e-9)
    imp = model.feature_importances_
    assert imp.shape == (3,) and imp.sum() == pytest.approx(1.0)


def test_regression_uses_mean_target_and_continues_training():
    rng = np.random.default_rng(7)
    n, n_levels = 3000, 500
    level = rng.integers(0, n_levels, n)
    effect = rng.normal(size=n_levels)
    x = rng.normal(size=n)
    y = 2 * effect[level] + x + 0.3 * rng.normal(size=n)
    df = pd.DataFrame({"x": x, "level": pd.Categorical(level)})
    model = GradientBoostingRegressor(**dict(PARAMS, n_estimators=20)).fit(df, y)
    assert model.target_stats_[1] is not None
    assert np.corrcoef(model.target_stats_[1], 2 * effect[model.categories_[1]])[0, 1] > 0.9
    more = GradientBoostingRegressor(**dict(PARAMS, n_estimators=20)).fit(
        df, y, xgb_model=model)
    np.testing.assert_array_equal(more.target_stats_[1], model.target_stats_[1])
    assert more.n_iterations_ == 40
    assert np.mean((more.predict(df) - y) ** 2) < np.mean((model.predict(df) - y) ** 2)


def test_multiclass_and_survival_keep_partitions():
    df, y = _signal_table(n=2000, n_levels=400)
    y3 = y + (df["x1"].to_numpy() > 1)
    model = GradientBoostingClassifier(n_estimators=5).fit(df, y3)
    assert model.target_stats_ == [None, None, None]
    assert len(model.categories_[2]) < 400  # min_data_per_category pools the rare ones
    with pytest.raises(ValueError, match="cat_encoding='target' needs"):
        GradientBoostingClassifier(n_estimators=5, cat_encoding="target").fit(df, y3)
    t = np.exp(df["x0"].to_numpy())
    cox = GradientBoostingRegressor(n_estimators=5, objective="survival:cox").fit(df, t)
    assert cox.target_stats_ == [None, None, None]


@pytest.mark.parametrize("params, match", [
    ({"cat_encoding": "onehot"}, "cat_encoding"),
    ({"target_smooth": -1.0}, "target_smooth"),
    ({"target_smooth": "bayes"}, "target_smooth"),
    ({"max_cat_to_partition": -1}, "max_cat_to_partition"),
])
def test_bad_parameters_are_named(params, match):
    df, y = _signal_table(n=200, n_levels=20)
    with pytest.raises(ValueError, match=match):
        GradientBoostingClassifier(n_estimators=2, **params).fit(df, y)


def test_model_format_page_predicts_target_encoded_models(fitted):
    import textwrap
    from pathlib import Path

    model, df, _ = fitted
    page = (Path(__file__).resolve().parents[1] / "docs" / "model_format.rst").read_text()
    block = page.split("Predicting from the file")[1].split(".. code-block:: python")[1]
    namespace = {}
    exec(textwrap.dedent(block.split("\nUse ``n_rounds")[0]), namespace)
    doc = json.loads(model.save_model())
    entry = doc["target_stats"][2]
    rows = df.iloc[:40]
    X = [[a, b, entry["statistics"][entry["categories"].index(c)]
          if c in entry["categories"] else np.nan]
         for a, b, c in zip(rows["x0"], rows["x1"], rows["level"], strict=True)]
    got = [namespace["margins"](doc, x, doc["n_iterations"])[0] for x in X]
    np.testing.assert_allclose(got, model.predict(rows, output_margin=True), rtol=0,
                               atol=1e-12)


# --- scikit-learn's estimator checks with every column target-encoded ---------------------

# Checks that fail for any explicitly categorical column (partition splits too): they pass
# inputs that are not arrays, complex, object-typed, sparse or empty, whose error or
# conversion the categorical edge (ensembles._categorical) gives its own way.
_CATEGORICAL_EDGE = {
    "check_sample_weights_not_an_array": "categorical indices need a shaped X",
    "check_regressor_data_not_an_array": "categorical indices need a shaped X",
    "check_classifier_data_not_an_array": "categorical indices need a shaped X",
    "check_complex_data": "categories of any value type are accepted",
    "check_dtype_object": "object columns named categorical are categories",
    "check_estimators_empty_data_messages": "the categorical edge reports empty X",
    "check_estimator_sparse_tag": "categorical features need dense X",
    "check_sample_weight_equivalence_on_sparse_data": "categorical features need dense X",
}


def _expected_failures(estimator):
    failures = dict(_CATEGORICAL_EDGE)
    if isinstance(estimator, GradientBoostingRegressor):
        # Repeating a row is not the same as doubling its weight once the rows are dealt
        # into folds: the copies may land in different folds, and the cross-fitted values
        # of the rows change (the statistics of all rows, used at prediction, are equal).
        failures["check_sample_weight_equivalence_on_dense_data"] = "cross-fitted folds"
    return failures


def _target_checks():
    from sklearn.utils.estimator_checks import parametrize_with_checks

    kw = dict(n_estimators=5, categorical_features=[0], max_cat_to_partition=0)
    return parametrize_with_checks(
        [GradientBoostingRegressor(**kw), GradientBoostingClassifier(**kw)],
        expected_failed_checks=_expected_failures)


@_target_checks()
def test_sklearn_checks_with_target_statistics(estimator, check):
    check(estimator)


def test_a_statistic_equal_to_missing_reads_as_missing():
    rng = np.random.default_rng(8)
    n = 2000
    level = rng.integers(0, 300, n)
    y = rng.normal(size=300)[level] + 0.1 * rng.normal(size=n)
    y[level == 7] = 2.5  # with target_smooth=0, category 7's statistic is exactly 2.5
    df = pd.DataFrame({"level": pd.Categorical(level), "x": rng.normal(size=n)})
    model = GradientBoostingRegressor(**dict(PARAMS, n_estimators=10), missing=2.5,
                                      cat_encoding="target", target_smooth=0.0).fit(df, y)
    assert model.target_stats_[0][model.categories_[0].index(7)] == 2.5
    rows = df[df["level"] == 7].iloc[:3]
    missing = rows.copy()
    missing["level"] = pd.Categorical([None] * 3, categories=[7])
    np.testing.assert_array_equal(model.predict(rows), model.predict(missing))
