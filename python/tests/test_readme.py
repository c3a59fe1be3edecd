"""The README's "From Python" block runs as written, and says what it computes."""

import re

from conftest import ROOT


def test_the_readme_block_runs():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## From Python", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    scope = {}
    exec(compile(block, "README.md (From Python)", "exec"), scope)
    # loss = −ln 0.4794433 = 0.735129640665816868… (mpmath), whose nearest float64 the comment quotes
    assert scope["step"].to_dict()["loss"] == 0.7351296406658169
    assert "# 0.7351296406658169" in block
    report = scope["report"]
    assert report["curves"]["loss"].shape == (1000,) and report["weights"][0]["weights"].shape == (16, 4)
    assert scope["gradlens"].predict(report["model"], [[5.1, 3.5, 1.4, 0.2]])["predictions"][0]["class"] == "setosa"
