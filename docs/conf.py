"""Sphinx configuration of the ensembles documentation.

Build from the repository root with warnings as errors::

    python -m sphinx -W --keep-going -b html docs docs/_build/html
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The library from this checkout, even where it is not installed; the example runner.
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE / "_ext"))

import ensembles  # noqa: E402

project = "ensembles"
author = "the ensembles developers"
copyright = "the ensembles developers"
release = ensembles.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax shipped with the pages (in _static/mathjax) instead of loaded from a CDN,
    # so that formulas render in a browser without a network connection.
    "sphinx-mathjax-offline",
    "numpydoc",
    "myst_parser",
    "example_runner",
    "benchmark_figures",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}

exclude_patterns = ["_build"]
templates_path = []
html_static_path = ["_static"]
html_css_files = ["custom.css"]

# API reference: the class docstrings are numpydoc; autodoc lists the methods, so numpydoc
# need not add its own member tables (which would want a page per method).
autosummary_generate = False
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
# Every cross-reference must resolve, so that a docstring naming a class or method that
# does not exist fails the build. Other projects' objects are exempt (their inventories
# would have to be downloaded), and so are private modules.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(sklearn|numpy|scipy|pandas|matplotlib|joblib|numba)(\..*)?"),
    (r"py:.*", r"ensembles\._.*"),
]
# Object names in the page's table of contents without their class prefix.
toc_object_entries_show_parents = "hide"

html_theme = "pydata_sphinx_theme"
html_title = f"ensembles {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "getting_started": [], "migration": [], "model_format": [],
                 "guarantees": [], "benchmarks": []}
html_show_sourcelink = False


def _skip_foreign_members(app, what, name, obj, skip, options):
    """Document inherited methods only where this library defines them.

    Estimators inherit ``get_params``, ``score``, metadata-routing and ``set_output``
    methods from scikit-learn; those are scikit-learn's to document (and their docstrings
    point into scikit-learn's own docs), so they are left out of ours.
    """
    if what != "class":
        return skip
    target = obj.fget if isinstance(obj, property) else obj
    module = getattr(target, "__module__", None) or ""
    if not module.startswith("ensembles"):
        return True
    return skip


def _public_name(app, env, node, contnode):
    """Find this library's objects under the names the reference documents them by.

    Docstrings name classes by the module that defines them
    (``ensembles.stacking.StackingClassifier``) or by their bare name within it
    (``FoldAveragedEstimator``), while the reference documents most of them under the
    name users import (``ensembles.StackingClassifier``). A dotted ``ensembles.`` name is
    retried without its submodules; a bare name is looked up by its last components among
    this library's documented objects.
    """
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or target.startswith(("ensembles._", "sklearn.")):
        return None
    domain = env.get_domain("py")
    parts = target.split(".")
    if parts[0] == "ensembles":
        candidates = [".".join(["ensembles", *parts[cut:]]) for cut in range(2, len(parts))]
    else:
        suffix = "." + target
        candidates = sorted(name for name in domain.objects
                            if name.startswith("ensembles.") and name.endswith(suffix))
        if len(candidates) > 1:  # ambiguous: leave it unresolved rather than guess
            return None
    for name in candidates:
        found = domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], name,
                                    node, contnode)
        if found is not None:
            return found
    return None


def setup(app):
    """Hook the member filter into autodoc and the public-name resolver into references."""
    app.connect("autodoc-skip-member", _skip_foreign_members)
    app.connect("missing-reference", _public_name)
