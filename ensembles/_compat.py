"""The private scikit-learn helpers the library uses, imported in this one place, what the
oldest supported numpy lacks, and numpy's private list of the CPU's features.

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


def spawn_generator(rng):
    """``rng.spawn(1)[0]``: an independent child stream of a numpy ``Generator``, which
    leaves ``rng`` unmoved. ``Generator.spawn`` is numpy 1.25's; before it, the same child
    comes from the bit generator's seed sequence."""
    if hasattr(rng, "spawn"):
        return rng.spawn(1)[0]
    child = rng.bit_generator._seed_seq.spawn(1)[0]  # pragma: no cover - numpy < 1.25
    return type(rng)(type(rng.bit_generator)(child))  # pragma: no cover


def cpu_features():
    """The CPU features numpy detected at import, by name (``"AVX2": True``; numpy's
    private ``__cpu_features__``, which names more features in newer releases), or an
    empty dict where numpy keeps no such list."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # pragma: no cover - numpy < 2
        try:
            from numpy.core._multiarray_umath import __cpu_features__
        except ImportError:
            return {}
    return dict(__cpu_features__)


__all__ = [
    "HasMethods",
    "Interval",
    "RealNotInt",
    "StrOptions",
    "_MPLTreeExporter",
    "_check_sample_weight",
    "_safe_indexing",
    "cpu_features",
    "spawn_generator",
]
