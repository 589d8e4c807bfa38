"""Input validation shared by the estimators."""

import numpy as np


def passes_as_is(estimator, X):
    """Whether scikit-learn's ``validate_data(estimator, X, reset=False, dtype=[np.float64,
    np.float32], ensure_all_finite="allow-nan")`` would return ``X`` itself: a 2-d,
    C-contiguous float array of at least one row and the fitted number of columns,
    without infinities, for an estimator fitted without feature names.

    Prediction checks this first and skips ``validate_data`` when it holds: for a few rows
    the checks of ``validate_data`` take longer than the prediction (online serving)."""
    return (type(X) is np.ndarray and X.ndim == 2 and X.dtype in (np.float64, np.float32)
            and X.flags.c_contiguous and 0 < X.shape[0]
            and X.shape[1] == estimator.n_features_in_
            and not hasattr(estimator, "feature_names_in_") and not np.isinf(X).any())


def check_class_labels(y):
    """scikit-learn's ``check_classification_targets``, after refusing missing labels
    (None or NaN in an object array), which it reports as a comparison's TypeError."""
    from sklearn.utils.multiclass import check_classification_targets

    labels = np.asarray(y)
    if labels.dtype.kind == "O":
        # Element by element in C: None, and NaN (the one value unequal to itself).
        n_missing = int(np.count_nonzero(np.equal(labels, None) | (labels != labels)))
        if n_missing:
            raise ValueError(f"y has {n_missing} missing class label(s) (None or NaN); "
                             f"drop those rows or give them a label.")
    check_classification_targets(y)
