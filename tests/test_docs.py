"""The documentation builds cleanly, runs its examples and stays true to the code.

The full build runs once per session (about a minute: most of it is the example scripts)
with the documented command, warnings as errors. The other tests read its output or check
the prose against the library: every public class and function is in the API reference,
every field that ``save_model`` writes is described, and the reference predictor printed
on the model-format page reproduces the library's margins.
"""

import importlib
import inspect
import json
import os
import pkgutil
import re
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sphinx", reason="building the docs needs Sphinx (the docs extra)")

import ensembles  # noqa: E402
from ensembles import GradientBoostingClassifier, GradientBoostingRegressor  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
BUILD_COMMAND = "python3 -m sphinx -W --keep-going -b html docs docs/_build/html"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Build the docs as the documented command does, into a temporary folder."""
    out = tmp_path_factory.mktemp("docs") / "html"
    env = {k: v for k, v in os.environ.items() if k != "ENSEMBLES_DOCS_SKIP_EXAMPLES"}
    args = BUILD_COMMAND.split()[1:-1] + [str(out)]
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=900)
    return done, out


def _inventory(out):
    """Object names of the build's ``objects.inv`` (four header lines, then zlib text)."""
    raw = (out / "objects.inv").read_bytes()
    body = raw.split(b"\n", 4)[4]
    names = set()
    for line in zlib.decompress(body).decode().splitlines():
        match = re.match(r"(\S+)\s+py:\w+\s", line)
        if match:
            names.add(match.group(1))
    return names


def _resolve(dotted):
    """The object a documented dotted name refers to, or None."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr, None)
        return obj
    return None


def _public_objects():
    """(module, name, object) for every name in the ``__all__`` of a public module."""
    modules = [ensembles]
    for info in pkgutil.walk_packages(ensembles.__path__, "ensembles."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            modules.append(importlib.import_module(info.name))
    for module in modules:
        for name in getattr(module, "__all__", []):
            yield module.__name__, name, getattr(module, name)


def test_docs_build_without_warnings(built):
    done, out = built
    assert done.returncode == 0, (
        f"docs build failed (exit {done.returncode}); warnings are errors:\n"
        f"{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    )
    for page in ["index", "getting_started", "user_guide/gradient_boosting",
                 "user_guide/averaging", "user_guide/adaboost", "user_guide/stacking",
                 "user_guide/choosing", "user_guide/explaining", "api/index", "migration",
                 "model_format", "benchmarks", "examples/index"]:
        assert (out / f"{page}.html").is_file(), f"{page}.html was not built"


def test_every_public_class_and_function_is_in_the_api_reference(built):
    done, out = built
    assert done.returncode == 0, "the docs build failed; see test_docs_build_without_warnings"
    documented = {id(_resolve(name)) for name in _inventory(out)}
    missing = [f"{module}.{name}" for module, name, obj in _public_objects()
               if id(obj) not in documented]
    assert not missing, (f"public objects missing from the API reference (add them to a "
                         f"page under docs/api/): {missing}")


def test_pages_load_no_script_from_another_host(built):
    """The built pages work offline: every script (MathJax included) ships with them."""
    done, out = built
    assert done.returncode == 0, "the docs build failed; see test_docs_build_without_warnings"
    remote, with_math = [], []
    for page in out.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        for src in re.findall(r"<script[^>]*\bsrc=[\"']([^\"']+)", html):
            if re.match(r"(https?:)?//", src):
                remote.append(f"{page.relative_to(out)}: {src}")
            elif "mathjax" in src.lower():
                with_math.append(page)
                local = (page.parent / src.split("?")[0]).resolve()
                assert local.is_file(), f"{page.relative_to(out)} loads missing {src}"
    assert not remote, f"pages load scripts from other hosts: {remote[:5]}"
    # The user guide's formulas are typeset by the shipped MathJax.
    assert out / "user_guide" / "gradient_boosting.html" in with_math


def test_examples_ran_and_show_output_and_figures(built):
    done, out = built
    assert done.returncode == 0, "the docs build failed; see test_docs_build_without_warnings"
    pages = {"early_stopping": True, "feature_importances": True,
             "forest_vs_boosting": True, "titanic_stacking": False, "plotting": True}
    for name, draws in pages.items():
        html = (out / "examples" / f"{name}.html").read_text(encoding="utf-8")
        if not DATASETS.is_dir():
            assert "did not have the data" in html
            continue
        assert "Output" in html and "The script ran in" in html, f"{name} did not run"
        if draws:
            assert f"{name}-0.png" in html, f"{name} shows no figure"
            assert (out / "_images" / f"{name}-0.png").stat().st_size > 1000
    model_page = (out / "model_format.html").read_text(encoding="utf-8")
    assert "ensembles.gradient_boosting" in model_page and "booster.trees[5]" in model_page


def test_failing_example_fails_the_build(tmp_path):
    script = '"""An example that breaks."""\nraise RuntimeError("boom")\n'
    (tmp_path / "broken.py").write_text(script)
    (tmp_path / "index.rst").write_text("Broken\n======\n\n.. example:: broken.py\n")
    (tmp_path / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(DOCS / '_ext')!r})\n"
        "extensions = ['example_runner']\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(tmp_path),
         str(tmp_path / "_build")], capture_output=True, text=True, timeout=300,
        env={k: v for k, v in os.environ.items() if k != "ENSEMBLES_DOCS_SKIP_EXAMPLES"},
    )
    assert done.returncode != 0
    assert "boom" in done.stderr


def test_build_command_is_the_documented_one():
    assert BUILD_COMMAND in (DOCS / "getting_started.rst").read_text(encoding="utf-8")
    assert BUILD_COMMAND in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("cls", [GradientBoostingClassifier, GradientBoostingRegressor])
def test_boosting_docstring_documents_every_parameter_in_order(cls):
    """The composed docstring (the class's own entries and the shared ones) has one entry
    per constructor parameter, in the signature's order, and the shared attributes."""
    from numpydoc.docscrape import ClassDoc

    doc = ClassDoc(cls)
    documented = [name.strip() for entry in doc["Parameters"]
                  for name in entry.name.split(",")]
    assert documented == list(inspect.signature(cls.__init__).parameters)[1:]
    assert sorted(documented) == sorted(cls().get_params())
    attributes = {name.strip() for entry in doc["Attributes"]
                  for name in entry.name.split(",")}
    assert {"n_iterations_", "evals_result_", "categories_"} <= attributes
    assert ("classes_" in attributes) == (cls is GradientBoostingClassifier)


def test_shared_entries_refuses_an_entry_that_names_no_parameter():
    from ensembles.boosting._docstrings import shared_entries
    from ensembles.boosting.estimators import _BaseGradientBoosting

    # Indented as a module-level class's docstring, which is what shared_entries reads.
    doc = ("A class whose docstring documents a parameter it does not take.\n\n"
           "    Parameters\n    ----------\n    n_estimator : int\n        Misspelt.\n    ")
    misspelt = type("Misspelt", (_BaseGradientBoosting,), {"__doc__": doc})

    with pytest.raises(ValueError, match=r"\['n_estimator'\], which are not parameters"):
        shared_entries(misspelt)


def _saved(model, path):
    model.save_model(path)
    return json.loads(Path(path).read_text(encoding="utf-8"))


def test_model_format_page_describes_every_field(tmp_path):
    from ensembles.forest import RandomForestClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    docs = [
        _saved(GradientBoostingClassifier(n_estimators=2).fit(X, y), tmp_path / "c.json"),
        _saved(GradientBoostingRegressor(n_estimators=2).fit(X, X[:, 1]), tmp_path / "r.json"),
        _saved(RandomForestClassifier(n_estimators=2, random_state=0).fit(X, y),
               tmp_path / "f.json"),
    ]
    page = (DOCS / "model_format.rst").read_text(encoding="utf-8")
    for doc in docs:
        assert f'``"{doc["format"]}"``' in page
        trees = doc["booster"]["trees"] if "booster" in doc else doc["trees"]
        fields = set(doc) | set(doc.get("booster", {})) | set(trees[0])
        undocumented = sorted(f for f in fields if f"``{f}``" not in page)
        assert not undocumented, f"fields of {doc['format']} missing from the page"


def test_model_format_reference_predictor_matches_the_library(tmp_path):
    page = (DOCS / "model_format.rst").read_text(encoding="utf-8")
    block = page.split("Predicting from the file")[1].split(".. code-block:: python")[1]
    code = textwrap.dedent(block.split("\nUse ``n_rounds")[0])
    namespace = {}
    exec(code, namespace)  # the page's own code, nothing else

    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 4))
    X[rng.random(X.shape) < 0.1] = np.nan
    y = np.digitize(np.nan_to_num(X[:, 0]) + 0.3 * rng.normal(size=120), [-0.5, 0.5])
    model = GradientBoostingClassifier(n_estimators=4, max_depth=3).fit(X, y)
    doc = _saved(model, tmp_path / "m.json")
    got = np.array([namespace["margins"](doc, row, doc["n_iterations"]) for row in X])
    np.testing.assert_allclose(got, model.predict(X, output_margin=True), rtol=0, atol=1e-12)
