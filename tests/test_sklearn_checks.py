"""scikit-learn's own estimator checks on every public estimator of the boosting core."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from ensembles import GradientBoostingClassifier, GradientBoostingRegressor

ESTIMATORS = [
    GradientBoostingRegressor(n_estimators=10),
    GradientBoostingClassifier(n_estimators=10),
    GradientBoostingRegressor(n_estimators=10, booster="dart", rate_drop=0.2),
    GradientBoostingClassifier(n_estimators=10, booster="dart", rate_drop=0.2,
                               sample_type="weighted", one_drop=True),
    GradientBoostingRegressor(n_estimators=10, booster="gblinear"),
    GradientBoostingClassifier(n_estimators=10, booster="gblinear", updater="coord_descent",
                               feature_selector="thrifty"),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)
