"""Categorical features in gradient boosting: the partition search against a naive
reference and an exhaustive one, XGBoost's one-hot splits as an oracle, and the estimator
behaviour (encodings, unseen categories, persistence, inspection)."""

import itertools
import pickle

import numpy as np
import pytest

from ensembles import GradientBoostingClassifier, GradientBoostingRegressor
from ensembles._engine.grower import GrowthParams
from ensembles._engine.split import CAT_UNIT, find_best_split

pd = pytest.importorskip("pandas")


# --- the split search ---------------------------------------------------------------------

def _score(G, H, lam):
    return G * G / (H + lam) if H > 0 else 0.0


def _hist_of(codes, grad, hess, n_cat):
    """Compact histogram of one categorical feature (categories, then missing)."""
    hist = np.zeros((n_cat + 1, 2))
    for c, g, h in zip(codes, grad, hess, strict=True):
        hist[c if c < n_cat else n_cat] += (g, h)
    return hist


def _search(hist, n_cat, lam, mcw, onehot=4, threshold=32, smooth=0.0, penalty=0.0,
            unit=1.0):
    params = GrowthParams(max_cat_to_onehot=onehot, max_cat_threshold=threshold,
                          cat_smooth=smooth, cat_penalty=penalty).cat_arrays()
    params[CAT_UNIT] = unit
    out = np.zeros((n_cat + 31) // 32, dtype=np.uint32)
    G, H = hist.sum(axis=0)
    gain, f, b, dl, GL, HL = find_best_split(
        hist, np.array([0, n_cat + 1]), np.array([n_cat], dtype=np.int32),
        np.ones(1, dtype=np.bool_), G, H, lam, 0.0, 0.0, mcw, None,
        -np.inf, np.inf, np.ones(1, dtype=np.bool_), params, out)
    left = {c for c in range(n_cat) if (out[c >> 5] >> (c & 31)) & 1} if f == 0 else set()
    return gain, f, dl, GL, HL, left


def _naive_partition(hist, n_cat, lam, mcw, threshold, smooth):
    """The candidates of the module notes written out with plain numpy: categories with
    rows sorted by the smoothed ratio, prefixes from both ends, missing on either side."""
    G, H = hist.sum(axis=0)
    parent = _score(G, H, lam)
    present = [c for c in range(n_cat) if hist[c, 1] > 0 or hist[c, 0] != 0]
    ratio = np.array([hist[c, 0] / (hist[c, 1] + lam + smooth) for c in present])
    order = [present[i] for i in np.argsort(ratio, kind="stable")]
    best = (0.0, None, None)
    if hist[n_cat, 1] > 0:  # the missing values alone
        GL, HL = hist[n_cat]
        if min(HL, H - HL) >= max(mcw, 1e-300):
            best = (_score(GL, HL, lam) + _score(G - GL, H - HL, lam) - parent, set(), True)
    for seq in (order, order[::-1]):
        for k in range(1, min(len(order) - 1, threshold) + 1):
            for with_missing in (False, True):
                if with_missing and hist[n_cat, 1] == 0:
                    continue
                left = seq[:k]
                GL, HL = hist[left].sum(axis=0) + (hist[n_cat] if with_missing else 0)
                if HL < mcw or H - HL < mcw or HL <= 0 or H - HL <= 0:
                    continue
                gain = _score(GL, HL, lam) + _score(G - GL, H - HL, lam) - parent
                if np.float32(gain) > np.float32(best[0]):
                    best = (gain, set(left), with_missing)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_partition_search_matches_naive_reference(seed):
    rng = np.random.default_rng(seed)
    n_cat = int(rng.integers(5, 70))
    n = 600
    codes = rng.integers(0, n_cat + 1, n)
    codes[codes == n_cat] = 255 if seed % 2 else 0  # missing values in half the cases
    grad = rng.normal(size=n) + 0.3 * (codes % 3)
    hess = rng.uniform(0.2, 1.0, n)
    hist = _hist_of(codes, grad, hess, n_cat)
    lam, mcw, threshold, smooth = 1.0, 0.5, int(rng.integers(1, 12)), float(rng.uniform(0, 8))
    gain, f, dl, GL, HL, left = _search(hist, n_cat, lam, mcw, threshold=threshold,
                                        smooth=smooth)
    ref_gain, ref_left, ref_missing = _naive_partition(hist, n_cat, lam, mcw, threshold,
                                                       smooth)
    assert f == 0
    assert gain == pytest.approx(ref_gain, rel=1e-9)
    assert left == ref_left and dl == ref_missing
    assert len(left) <= threshold
    np.testing.assert_allclose([GL, HL], hist[sorted(left)].sum(axis=0)
                               + (hist[n_cat] if dl else 0), rtol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_best_prefix_is_best_partition_for_squared_loss(seed):
    # Fisher (1958): with unit hessians, no smoothing and no cap, the best prefix of the
    # order by G/H is the best of all 2**(m-1) - 1 partitions.
    rng = np.random.default_rng(seed)
    n_cat = 9
    codes = rng.integers(0, n_cat, 400)
    grad = rng.normal(size=400) + rng.normal(size=n_cat)[codes]
    hist = _hist_of(codes, grad, np.ones(400), n_cat)
    gain = _search(hist, n_cat, 0.0, 0.0, threshold=n_cat, smooth=0.0)[0]
    G, H = hist.sum(axis=0)
    best = 0.0
    for k in range(1, n_cat):
        for left in itertools.combinations(range(n_cat), k):
            GL, HL = hist[list(left)].sum(axis=0)
            best = max(best, _score(GL, HL, 0.0) + _score(G - GL, H - HL, 0.0)
                       - _score(G, H, 0.0))
    assert gain == pytest.approx(best, rel=1e-9)


def test_one_hot_candidates_are_one_category_against_the_rest():
    rng = np.random.default_rng(3)
    n_cat = 4
    codes = rng.integers(0, n_cat + 1, 300)
    codes[codes == n_cat] = 255
    grad = rng.normal(size=300) + np.array([0.0, 2.0, -1.0, 0.5, 0.3])[np.minimum(codes, 4)]
    hess = np.ones(300)
    hist = _hist_of(codes, grad, hess, n_cat)
    gain, f, dl, GL, HL, left = _search(hist, n_cat, 1.0, 1.0, onehot=5)
    G, H = hist.sum(axis=0)
    best = 0.0
    for c in range(n_cat):
        for miss in (False, True):
            GL_, HL_ = hist[c] + (hist[n_cat] if miss else 0)
            if min(HL_, H - HL_) < 1.0:
                continue
            g = _score(GL_, HL_, 1.0) + _score(G - GL_, H - HL_, 1.0) - _score(G, H, 1.0)
            if np.float32(g) > np.float32(best):
                best, ref = g, ({c}, miss)
    assert len(left) == 1
    assert gain == pytest.approx(best) and (left, dl) == ref


def _noise_node(seed, n_cat=400, n=8000, effect=0.0):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, n_cat, n)
    grad = rng.normal(size=n) + effect * rng.normal(size=n_cat)[codes]
    return _hist_of(codes, grad, np.ones(n), n_cat)


def test_selection_penalty_removes_the_optimism_of_noise_categories():
    # Without signal the best partition of 400 categories still has a large gain (the
    # search picks the luckiest order); the penalty is about that gain, so penalized
    # gains are near zero on average, while a real effect keeps most of its gain.
    plain, penalized = [], []
    for seed in range(8):
        hist = _noise_node(seed)
        plain.append(_search(hist, 400, 1.0, 1.0, threshold=32, smooth=10.0)[0])
        penalized.append(_search(hist, 400, 1.0, 1.0, threshold=32, smooth=10.0,
                                 penalty=1.0)[0])
    assert min(plain) > 50  # the optimism the penalty removes
    assert np.mean(penalized) < 0.2 * np.mean(plain)
    hist = _noise_node(0, effect=0.5)
    signal = _search(hist, 400, 1.0, 1.0, threshold=32, smooth=10.0)
    kept = _search(hist, 400, 1.0, 1.0, threshold=32, smooth=10.0, penalty=1.0)
    assert kept[1] == 0 and kept[0] > 0.5 * signal[0]
    # The penalty shifts every partition's gain alike: same split, same sums.
    assert kept[5] == signal[5] and kept[2:5] == signal[2:5]
    # It scales with the gradients' variance per unit of hessian.
    doubled = _search(hist, 400, 1.0, 1.0, threshold=32, smooth=10.0, penalty=1.0,
                      unit=2.0)
    assert signal[0] - doubled[0] > 1.5 * (signal[0] - kept[0])


# --- XGBoost as an oracle for one-hot splits -------------------------------------------

xgb = pytest.importorskip("xgboost")


def _few_category_frame(seed=0, n=3000, missing=True):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 4, n)
    b = rng.integers(0, 3, n)
    x = rng.integers(0, 9, n).astype(float)
    y = np.array([0.0, 1.5, -1.0, 0.4])[a] * (1 + 0.3 * b) + 0.2 * x + rng.normal(size=n)
    df = pd.DataFrame({
        "a": pd.Categorical.from_codes(a, ["p", "q", "r", "s"]),
        "b": pd.Categorical.from_codes(b, ["u", "v", "w"]), "x": x})
    if missing:
        df.loc[rng.random(n) < 0.1, "a"] = np.nan
        df.loc[rng.random(n) < 0.1, "x"] = np.nan
    return df, y


# One-hot: every feature has fewer categories than max_cat_to_onehot (XGBoost's rule);
# partitions: without smoothing and without missing values, our ordered-prefix search is
# XGBoost's.
MODES = {"one_hot": dict(max_cat_to_onehot=5),
         "partition": dict(max_cat_to_onehot=1, max_cat_threshold=64)}


@pytest.mark.parametrize("missing", [False, True])
@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("task", ["squarederror", "logistic"])
def test_categorical_splits_match_xgboost(task, mode, missing):
    df, y = _few_category_frame(missing=missing)
    params = dict(n_estimators=12, learning_rate=0.3, max_depth=4, reg_lambda=1.5,
                  min_child_weight=2.0, base_score=0.5, **MODES[mode])
    ours_only = dict(min_data_per_category=1, cat_smooth=0.0, cat_penalty=0.0)
    if task == "squarederror":
        ours = GradientBoostingRegressor(**params, **ours_only).fit(df, y)
        theirs = xgb.XGBRegressor(tree_method="hist", n_jobs=1, enable_categorical=True,
                                  **params).fit(df, y)
        mine, their = ours.predict(df), theirs.predict(df)
    else:
        yc = (y > np.median(y)).astype(int)
        ours = GradientBoostingClassifier(**params, **ours_only).fit(df, yc)
        theirs = xgb.XGBClassifier(tree_method="hist", n_jobs=1, enable_categorical=True,
                                   **params).fit(df, yc)
        mine, their = ours.predict_proba(df)[:, 1], theirs.predict_proba(df)[:, 1]
    assert any(t.has_categorical for t in ours._booster.trees)
    scale = np.max(np.abs(their))
    np.testing.assert_allclose(mine, their, rtol=1e-5, atol=1e-5 * scale)
    # TreeSHAP routes through the category sets as XGBoost's does.
    ours_shap = ours.predict(df.iloc[:200], pred_contribs=True)
    their_shap = theirs.get_booster().predict(
        xgb.DMatrix(df.iloc[:200], enable_categorical=True), pred_contribs=True)
    if task == "logistic":
        ours_shap = ours_shap.reshape(200, -1)
    np.testing.assert_allclose(ours_shap[:, :-1], their_shap[:, :-1], rtol=1e-4,
                               atol=1e-4 * np.abs(their_shap).max())


# --- the estimators -------------------------------------------------------------------

def _signal_frame(seed=0, n=4000, n_cat=60):
    rng = np.random.default_rng(seed)
    c = rng.integers(0, n_cat, n)
    effect = rng.normal(size=n_cat)
    x = rng.normal(size=n)
    y = effect[c] + 0.5 * x + 0.3 * rng.normal(size=n)
    df = pd.DataFrame({"c": pd.Categorical([f"level{v:03d}" for v in c]), "x": x})
    return df, y


@pytest.fixture(scope="module")
def fitted():
    df, y = _signal_frame()
    model = GradientBoostingRegressor(n_estimators=25, max_depth=4).fit(df, y)
    return model, df, y


def test_partition_splits_beat_integer_codes(fitted):
    model, df, y = fitted
    assert any(t.has_categorical for t in model._booster.trees)
    codes = df.assign(c=df["c"].cat.codes.astype(float))
    plain = GradientBoostingRegressor(n_estimators=25, max_depth=4,
                                      categorical_features=None).fit(codes, y)
    test_df, test_y = _signal_frame(seed=0, n=4000)  # same levels' effects, same rows
    rmse = np.sqrt(np.mean((model.predict(df) - y) ** 2))
    rmse_codes = np.sqrt(np.mean((plain.predict(codes) - y) ** 2))
    assert rmse < 0.9 * rmse_codes


def test_category_order_and_extra_levels_do_not_change_predictions(fitted):
    model, df, _ = fitted
    pred = model.predict(df)
    other = df.copy()
    levels = list(df["c"].cat.categories)
    other["c"] = other["c"].cat.set_categories(levels[::-1] + ["never seen"])
    np.testing.assert_array_equal(model.predict(other), pred)
    # As plain strings (an object column named as categorical) it is the same too.
    as_text = GradientBoostingRegressor(n_estimators=25, max_depth=4,
                                        categorical_features=["c"])
    y = model.predict(df)
    fitted_text = as_text.fit(df.astype({"c": object}), y)
    fitted_cat = GradientBoostingRegressor(n_estimators=25, max_depth=4).fit(df, y)
    np.testing.assert_array_equal(fitted_text.predict(df.astype({"c": object})),
                                  fitted_cat.predict(df))


def test_unseen_and_missing_categories_follow_the_missing_direction(fitted):
    model, df, _ = fitted
    rows = df.iloc[:50].copy()
    unseen = rows.copy()
    unseen["c"] = pd.Categorical(["brand new"] * 50)
    missing = rows.copy()
    missing["c"] = pd.Categorical([np.nan] * 50, categories=df["c"].cat.categories)
    np.testing.assert_array_equal(model.predict(unseen), model.predict(missing))
    assert not np.array_equal(model.predict(missing), model.predict(rows))


def test_category_codes_given_for_string_categories_are_refused(fitted):
    """The codes of a column that was a pandas category at fit can match none of its
    string categories: every row read as unseen, a wrong prediction without a word."""
    from ensembles import RandomForestRegressor

    model, df, y = fitted
    forest = RandomForestRegressor(n_estimators=3, random_state=0).fit(df, y)
    for estimator in (model, forest):
        with pytest.raises(ValueError, match="Categorical column 'c' was fitted with string "
                                             "categories"):
            estimator.predict(df.assign(c=df["c"].cat.codes))
        # The values themselves, as strings, are the categories.
        np.testing.assert_array_equal(estimator.predict(df.assign(c=df["c"].astype(str))),
                                      estimator.predict(df))


@pytest.mark.parametrize("column", [pd.date_range("2020", periods=60),
                                    pd.to_timedelta(np.arange(60), unit="s")])
def test_date_and_time_columns_are_refused_by_name(column):
    from ensembles import RandomForestRegressor

    df = pd.DataFrame({"a": np.arange(60.0), "when": column})
    for model in (GradientBoostingRegressor(n_estimators=2),
                  RandomForestRegressor(n_estimators=2)):
        with pytest.raises(ValueError, match="date or time column 'when'"):
            model.fit(df, np.arange(60.0))


def test_rare_categories_are_pooled_with_missing():
    df, y = _signal_frame(n=3000)
    df["c"] = df["c"].cat.add_categories(["rare"])
    df.loc[:4, "c"] = "rare"  # five rows, below min_data_per_category
    model = GradientBoostingRegressor(n_estimators=10, min_data_per_category=10).fit(df, y)
    assert "rare" not in model.categories_[0]
    rows = df.iloc[:5].copy()
    as_missing = rows.copy()
    as_missing["c"] = np.nan
    np.testing.assert_array_equal(model.predict(rows), model.predict(as_missing))


def test_numpy_columns_named_categorical_use_their_values():
    df, y = _signal_frame(n=2000, n_cat=12)
    labels = df["c"].cat.codes.to_numpy() * 10 + 7  # integer labels, not codes
    X = np.column_stack([labels, df["x"]]).astype(float)
    by_index = GradientBoostingRegressor(n_estimators=10, categorical_features=[0]).fit(X, y)
    by_mask = GradientBoostingRegressor(n_estimators=10,
                                        categorical_features=[True, False]).fit(X, y)
    frame = pd.DataFrame({"c": pd.Categorical(labels), "x": df["x"]})
    by_dtype = GradientBoostingRegressor(n_estimators=10).fit(frame, y)
    np.testing.assert_array_equal(by_index.predict(X), by_mask.predict(X))
    np.testing.assert_array_equal(by_index.predict(X), by_dtype.predict(frame))
    assert by_index.categories_[0] == sorted(set(labels.tolist()))
    assert any(t.has_categorical for t in by_index._booster.trees)


def test_bad_categorical_input_is_refused():
    df, y = _signal_frame(n=300)
    with pytest.raises(ValueError, match="categorical_features"):
        GradientBoostingRegressor(categorical_features=None).fit(df, y)
    with pytest.raises(ValueError, match="non-numeric column 'c'"):
        GradientBoostingRegressor().fit(df.astype({"c": object}), y)
    with pytest.raises(ValueError, match="outside"):
        GradientBoostingRegressor(categorical_features=[5]).fit(df, y)
    with pytest.raises(ValueError, match="not columns"):
        GradientBoostingRegressor(categorical_features=["nope"]).fit(df, y)
    with pytest.raises(ValueError, match="monotone_constraints"):
        GradientBoostingRegressor(monotone_constraints={"c": 1}).fit(df, y)
    with pytest.raises(ValueError, match="categorical_features"):
        GradientBoostingRegressor(categorical_features="yes").fit(df, y)
    # A frame's values as an object array: the column is named by its position, where
    # scikit-learn's conversion named only the string.
    from ensembles import BaggingRegressor, DecisionTreeRegressor

    values = df.to_numpy()
    j = list(df.columns).index("c")
    for model in (DecisionTreeRegressor(), BaggingRegressor(n_estimators=2)):
        with pytest.raises(ValueError, match=f"Feature {j} of X is not numeric and not "
                                             f"categorical"):
            model.fit(values if isinstance(model, DecisionTreeRegressor) else df, y)


def test_save_load_and_pickle_keep_predictions(fitted, tmp_path):
    model, df, _ = fitted
    pred = model.predict(df)
    path = tmp_path / "model.json"
    model.save_model(path)
    loaded = GradientBoostingRegressor().load_model(path)
    np.testing.assert_array_equal(loaded.predict(df), pred)
    assert loaded.categories_ == model.categories_
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict(df), pred)
    with pytest.raises(ValueError, match="categorical splits"):
        model.save_model(format="xgboost")


def test_version_1_files_still_load():
    import json

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = X[:, 0] + rng.normal(size=300)
    model = GradientBoostingRegressor(n_estimators=5).fit(X, y)
    doc = json.loads(model.save_model())
    assert doc["version"] == 3
    doc["version"] = 1
    del doc["categories"], doc["target_stats"]
    loaded = GradientBoostingRegressor().load_model(json.dumps(doc).encode())
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_corrupt_category_bitsets_are_refused(fitted):
    import json

    model, _, _ = fitted
    doc = json.loads(model.save_model())
    tree = next(t for t in doc["booster"]["trees"] if "cat_start" in t)
    node = next(k for k, s in enumerate(tree["cat_start"]) if s >= 0)
    tree["cat_start"][node] = len(tree["cat_bits"])
    with pytest.raises(ValueError, match="cat_bits"):
        GradientBoostingRegressor().load_model(json.dumps(doc).encode())


def test_apply_staged_importances_and_dumps(fitted):
    model, df, _ = fitted
    leaves = model.apply(df)
    margin = np.full(len(df), model._booster.base_margin[0])
    for t, tree in enumerate(model._booster.trees):
        margin += tree.value[leaves[:, t], 0]
    np.testing.assert_allclose(margin, model.predict(df), rtol=1e-12, atol=1e-12)
    stages = list(model.staged_predict(df))
    np.testing.assert_array_equal(stages[-1], model.predict(df))
    assert model.feature_importances_[0] > 0
    table = model.trees_to_dataframe()
    cat_rows = table[table["Feature"] == "c"]
    assert cat_rows["Split"].isna().all()
    levels = set(model.categories_[0])
    assert all(isinstance(v, list) and set(v) <= levels for v in cat_rows["Category"])
    assert "c:{" in model.get_dump()[0]
    contribs = model.predict(df.iloc[:100], pred_contribs=True)
    np.testing.assert_allclose(contribs.sum(axis=1), model.predict(df.iloc[:100]),
                               rtol=1e-9, atol=1e-9)


def test_dump_category_sets_route_like_predict(fitted):
    model, df, _ = fitted
    table = model.trees_to_dataframe()
    tree0 = table[table["Tree"] == 0].set_index("ID")
    rows = df.iloc[:200]
    leaves = model.apply(rows)[:, 0]
    for i in range(len(rows)):
        node = "0-0"
        while tree0.loc[node, "Feature"] != "Leaf":
            feat = tree0.loc[node, "Feature"]
            value = rows.iloc[i][feat]
            if pd.isna(value):
                node = tree0.loc[node, "Missing"]
            elif feat == "c":
                node = tree0.loc[node, "Yes" if value in tree0.loc[node, "Category"] else "No"]
            else:
                node = tree0.loc[node, "Yes" if value <= tree0.loc[node, "Split"] else "No"]
        assert int(node.split("-")[1]) == leaves[i]


def test_multiclass_and_subsample_with_categories():
    df, y = _signal_frame(n=3000)
    yc = np.digitize(y, np.quantile(y, [0.33, 0.66]))
    model = GradientBoostingClassifier(n_estimators=15, subsample=0.7, random_state=0,
                                       eval_set=None) if False else \
        GradientBoostingClassifier(n_estimators=15, subsample=0.7, random_state=0)
    model.fit(df, yc, eval_set=[(df, yc)])
    assert model.score(df, yc) > 0.7
    # The eval set's running margins (training routes rows on binned codes) agree with
    # prediction from raw values.
    from sklearn.metrics import log_loss

    assert model.evals_result()["validation_0"]["mlogloss"][-1] == pytest.approx(
        log_loss(yc, model.predict_proba(df)), rel=1e-6)
    assert sum(t.has_categorical for t in model._booster.trees) > 0


def test_many_categories_use_wide_codes():
    rng = np.random.default_rng(1)
    n_cat = 700
    c = rng.integers(0, n_cat, 20000)
    effect = rng.normal(size=n_cat)
    y = effect[c] + 0.1 * rng.normal(size=c.size)
    df = pd.DataFrame({"c": pd.Categorical(c)})
    model = GradientBoostingRegressor(n_estimators=30, min_data_per_category=1,
                                      cat_encoding="partition").fit(df, y)
    assert model._bin_mapper.n_bins_[0] == n_cat
    assert np.corrcoef(model.predict(df), effect[c])[0, 1] > 0.95


def test_model_format_page_predicts_categorical_models(fitted):
    import json
    import textwrap
    from pathlib import Path

    model, df, _ = fitted
    page = (Path(__file__).resolve().parents[1] / "docs" / "model_format.rst").read_text()
    block = page.split("Predicting from the file")[1].split(".. code-block:: python")[1]
    namespace = {}
    exec(textwrap.dedent(block.split("\nUse ``n_rounds")[0]), namespace)
    doc = json.loads(model.save_model())
    rows = df.iloc[:40]
    cats = doc["categories"][0]
    X = [[float(cats.index(c)) if c in cats else np.nan, x]
         for c, x in zip(rows["c"], rows["x"], strict=True)]
    got = [namespace["margins"](doc, x, doc["n_iterations"])[0] for x in X]
    np.testing.assert_allclose(got, model.predict(rows), rtol=0, atol=1e-12)
