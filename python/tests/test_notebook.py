"""examples/blog.ipynb runs top to bottom under `jupyter nbconvert --execute`, and its HTML shows
JAX's step, gradlens's agreement with it, and the walk-through page."""

import html
import os
import subprocess
import sys

import pytest

from conftest import ROOT

pytest.importorskip("nbconvert")
pytest.importorskip("jax")


def test_the_blog_notebook_executes_and_shows_the_walk_through(tmp_path):
    out = tmp_path / "blog.html"
    # GRADLENS_NOTEBOOK_HTML keeps the page (for a screenshot); by default it lives in tmp_path.
    keep = os.environ.get("GRADLENS_NOTEBOOK_HTML")
    done = subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--execute", "--to", "html",
         "--ExecutePreprocessor.timeout=300", "--output-dir", str(tmp_path), "--output", "blog",
         str(ROOT / "examples" / "blog.ipynb")],
        capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    page = out.read_text()
    if keep:
        with open(keep, "w") as f:
            f.write(page)
    # JAX's loss and gradlens's: the exact value is 0.73512964066581686826 (mpmath, 40 digits);
    # gradlens prints its nearest float64, JAX's golden blog_ln is one ulp below.
    assert "JAX loss: 0.7351296406658168" in page
    assert "gradlens loss: 0.7351296406658169" in page
    assert "same loss as JAX (1e-12 relative): True" in page
    assert "same new W as JAX (1e-12 relative): True" in page
    # The last cell renders the walk-through page in a frame: its MathML, diagram and numbers.
    assert '<iframe class="gradlens"' in page
    frame = page.split('<iframe class="gradlens"', 1)[1].split("</iframe>", 1)[0]
    srcdoc = html.unescape(frame.split('srcdoc="', 1)[1].split('"', 1)[0])
    assert srcdoc.startswith("<!DOCTYPE html>")
    assert "<math" in srcdoc and 'class="network shows-' in srcdoc
    assert "0.2554127" in srcdoc  # W₁₁ ← 0.15 − 0.25·(−0.4216509), JAX golden blog_ln
    assert "Traceback" not in page
