"""`gradlens.explain` against the command line's JSON (the same library, so the same record to
the last bit) and against the published numbers of the blog and of Mazur's example."""

import numpy as np
import pytest

import gradlens

from conftest import ROOT

MAZUR = ["--model", "examples/mazur.json", "--x", "0.05,0.1", "--target", "0.01,0.99", "--loss", "quadratic",
         "--lr", "0.5", "--freeze-bias"]


def mazur(**more):
    return gradlens.explain(ROOT / "examples" / "mazur.json", x=[0.05, 0.1], target=[0.01, 0.99], loss="quadratic",
                            lr=0.5, freeze_bias=True, **more)


def printed(actual, quoted):
    """`actual` agrees with a published number to the digits it prints (half a unit in the last)."""
    decimals = len(quoted.split(".")[1])
    assert abs(actual - float(quoted)) <= 0.5 * 10.0 ** -decimals + 1e-15, (actual, quoted)


def test_no_arguments_is_the_blogs_step():
    e = gradlens.explain().to_dict()
    # loss = ln Σ_k e^{z_k} − z_1 = −ln 0.4794433 = 0.73512964066581686825774710831910921517
    # (mpmath, 40 digits, from the post's W and x), which float64 rounds to 0.7351296406658169;
    # JAX's golden blog_ln (tests/golden/explain_jax.json) has 0.7351296406658168, one ulp below.
    assert e["loss"] == 0.7351296406658169
    assert e["loss"] == pytest.approx(0.7351296406658168, rel=2.2e-16)
    dense = e["layers"][0]
    # ∂L/∂W_11 = (ŷ_1 − 1)·x_1 = (0.47944329959720844 − 1)·0.81 (the post's hand formula)
    assert dense["grad_weights"][0][0] == pytest.approx((0.47944329959720844 - 1.0) * 0.81, rel=1e-12)
    # W_11 ← 0.15 − 0.25·∂L/∂W_11 = 0.2554127318315653 (JAX golden blog_ln)
    assert dense["new_weights"][0][0] == pytest.approx(0.2554127318315653, rel=1e-12)


def test_the_blogs_step_equals_the_cli(cli_json):
    assert gradlens.explain().to_dict() == cli_json("explain")


def test_the_blogs_step_from_arrays_is_the_same_step():
    # The post's W (rows = classes) handed over as stax keeps it, in×out, without a bias.
    w = np.array([[0.15, 0.29, 0.10, 0.71], [-0.80, 0.97, 0.51, 0.67], [0.14, -0.47, -0.62, 0.21]])
    model = gradlens.from_stax(["Dense", "Softmax"], [(w.T, None), ()])
    e = gradlens.explain(model, x=np.array([0.81, 0.57, 0.28, 0.84]), target=0, lr=0.25)
    blog = gradlens.explain().to_dict()
    for key in ("loss", "new_loss", "probabilities", "logits"):
        assert e.to_dict()[key] == blog[key]
    assert e.to_dict()["layers"][0]["new_weights"] == blog["layers"][0]["new_weights"]


def test_mazurs_example_equals_the_cli_and_the_post(cli_json):
    e = mazur().to_dict()
    assert e == cli_json("explain", *MAZUR)
    hidden, _, out, o_out = e["layers"]
    printed(o_out["output"][0][0], "0.75136507")  # out_o1, the post's forward pass
    printed(e["loss"], "0.298371109")  # E_total
    printed(out["grad_weights"][0][0], "0.082167041")  # ∂E/∂w5
    printed(out["new_weights"][0][0], "0.35891648")  # w5⁺
    printed(hidden["new_weights"][0][0], "0.149780716")  # w1⁺
    assert out["new_bias"] == out["bias"]  # --freeze-bias: the post keeps b2 = 0.6


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_renderings_equal_the_cli(cli, fmt):
    status, out, err = cli("explain", *MAZUR, "--format", fmt)
    assert status == 0, err
    assert getattr(mazur(), fmt)() == out


def test_several_steps_equal_the_cli(cli_json):
    e = gradlens.explain(log_base=2, steps=3)
    assert len(e) == 3
    assert e.to_dict() == cli_json("explain", "--log-base", "2", "--steps", "3")
    # Each step starts from the weights the last one left, and the loss goes down.
    steps = e.to_dict()
    assert steps[1]["layers"][0]["weights"] == steps[0]["layers"][0]["new_weights"]
    assert steps[2]["loss"] < steps[1]["loss"] < steps[0]["loss"]
    assert e[-1].to_dict() == steps[2]


def test_several_steps_are_one_page(cli):
    status, page, err = cli("explain", "--steps", "2", "--format", "html")
    assert status == 0, err
    html = gradlens.explain(steps=2).html()
    assert html == page and html.count("<!DOCTYPE html>") == 1


def test_new_model_is_the_stepped_model():
    e = mazur(steps=2)
    again = gradlens.explain(e[0].new_model, x=[0.05, 0.1], target=[0.01, 0.99], loss="quadratic", lr=0.5,
                             freeze_bias=True)
    assert again.to_dict() == e.to_dict()[1]
    assert [l["weights"].tolist() for l in e.new_model.weights] == [
        l["new_weights"] for l in e.to_dict()[1]["layers"] if l["type"] == "dense"]


def test_a_notebook_shows_the_page_in_a_frame():
    e = gradlens.explain()
    frame = e._repr_html_()
    assert frame.startswith("<iframe") and "&lt;!DOCTYPE html&gt;" in frame
    # The page itself is the CLI's html: MathML formulas and the SVG diagram, no script.
    page = e.html()
    assert "<math" in page and "<svg" in page and "<script" not in page
    assert "0.7351296" in e.text()


FEATURES = "x1^2,x2^2,x1*x2"
STEP = ["--x", "0.5,-2", "--target", "0", "--features", FEATURES, "--weights", "1,0,0;0,1,0", "--optimizer", "adam",
        "--lr", "0.1", "--b1", "0.8", "--l2", "0.01"]


def test_the_optimizer_penalty_and_feature_keywords_equal_the_cli(cli_json):
    e = gradlens.explain(x=[0.5, -2.0], target=0, features=FEATURES, weights=[[1, 0, 0], [0, 1, 0]], optimizer="adam",
                         lr=0.1, b1=0.8, l2=0.01).to_dict()
    assert e == cli_json("explain", *STEP)
    # The features as a list are the same step.
    listed = gradlens.explain(x=[0.5, -2.0], target=0, features=FEATURES.split(","), weights=[[1, 0, 0], [0, 1, 0]],
                              optimizer="adam", lr=0.1, b1=0.8, l2=0.01).to_dict()
    assert listed == e
    # x1 = 0.5, x2 = −2: the inputs x1² = 0.25, x2² = 4, x1·x2 = −1 (by hand).
    assert e["layers"][0]["input"] == [[0.25, 4.0, -1.0]]
    # Adam's first step from a zero state: m̂ = g and v̂ = g², so each weight moves by
    # α·g/(|g| + eps), within 1e-7 of α = 0.1 for every gradient here (|g| ≫ eps = 1e-8).
    moved = np.abs(np.array(e["layers"][0]["new_weights"]) - np.array(e["layers"][0]["weights"]))
    assert np.allclose(moved, 0.1, rtol=0, atol=1e-7), moved
    # Momentum's settings reach the step too.
    m = gradlens.explain(optimizer="momentum", momentum=0.5, lr=0.25).to_dict()
    assert m == cli_json("explain", "--optimizer", "momentum", "--momentum", "0.5", "--lr", "0.25")
