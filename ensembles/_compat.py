"""The private scikit-learn helpers the library uses, imported in this one place.

scikit-learn may move or change its private modules in any release. Keeping every such
import here means one module to adapt, and an ``ImportError`` here (caught by the CI run
against the oldest supported versions, ``.ci/run``) rather than in six modules.
"""

try:
    from sklearn.utils import _safe_indexing
except ImportError:  # pragma: no cover - its older and newer homes
    from sklearn.utils._indexing import _safe_indexing
from sklearn.tree._export import _MPLTreeExporter
from sklearn.utils._param_validation import HasMethods, Interval, RealNotInt, StrOptions
from sklearn.utils.validation import _check_sample_weight

__all__ = [
    "HasMethods",
    "Interval",
    "RealNotInt",
    "StrOptions",
    "_MPLTreeExporter",
    "_check_sample_weight",
    "_safe_indexing",
]
