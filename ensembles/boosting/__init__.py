"""Gradient boosting: objectives, metrics, the boosting loop and its estimators."""
