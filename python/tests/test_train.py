"""`gradlens.train` and `gradlens.predict` against `gradlens train|predict --format json` with the
same settings: the same library pipeline, so the same report to the last bit."""

import json
import sys
import threading
import time

import numpy as np
import pytest

import gradlens

from conftest import ROOT


def without_arrays(report):
    return {k: v for k, v in report.items() if k not in ("curves", "weights")}


def test_a_run_equals_the_cli(cli_json):
    options = dict(hidden=[8], activation="relu", optimizer="adam", lr=0.01, batch_size=16, epochs=60, seed=7)
    report = gradlens.train(**options)
    expected = cli_json("train", "--hidden", "8", "--activation", "relu", "--optimizer", "adam", "--lr", "0.01",
                        "--batch-size", "16", "--epochs", "60", "--seed", "7")
    assert without_arrays(report) == expected
    # The numpy views hold the same numbers.
    assert np.array_equal(report["curves"]["loss"], [e["loss"] for e in expected["epochs"]])
    assert np.array_equal(report["curves"]["test_accuracy"], [e["test_accuracy"] for e in expected["epochs"]])
    dense = [l for l in expected["model"]["layers"] if l["type"] == "dense"]
    for arrays, layer in zip(report["weights"], dense):
        assert arrays["weights"].shape == (len(layer["weights"]), len(layer["weights"][0]))
        assert np.array_equal(arrays["weights"], layer["weights"]) and np.array_equal(arrays["bias"], layer["bias"])


@pytest.mark.parametrize("engine", [["--engine", "tape"], ["--dtype", "f32"]])
def test_each_engine_equals_the_cli(cli_json, engine):
    keyword = {"engine": "tape"} if engine[0] == "--engine" else {"dtype": "float32"}
    report = gradlens.train(epochs=30, **keyword)
    assert without_arrays(report) == cli_json("train", "--epochs", "30", *engine)


def test_the_accuracy_counted_by_the_steps_equals_the_cli(cli_json):
    report = gradlens.train(epochs=30, batch_size=16, train_accuracy="steps")
    assert report["config"]["train_accuracy"] == "steps"
    assert without_arrays(report) == cli_json("train", "--epochs", "30", "--batch-size", "16", "--train-accuracy",
                                              "steps")
    # The default takes it after each epoch: another figure on the same run.
    after = gradlens.train(epochs=30, batch_size=16)
    assert after["config"]["train_accuracy"] == "after-epoch"
    assert [e["loss"] for e in after["epochs"]] == [e["loss"] for e in report["epochs"]]
    assert [e["train_accuracy"] for e in after["epochs"]] != [e["train_accuracy"] for e in report["epochs"]]


def test_arrays_train_as_the_npz_file_does(cli_json):
    with np.load(ROOT / "examples" / "iris.npz") as f:
        x, y = f["x"], f["y"]
    report = gradlens.train((x, y), hidden=[4], epochs=40, scale="minmax", test_fraction=0.25, seed=3)
    expected = cli_json("train", "--data", "examples/iris.npz", "--hidden", "4", "--epochs", "40", "--scale",
                        "minmax", "--test-fraction", "0.25", "--seed", "3")
    assert report["data"]["source"] == "arrays"
    report["data"]["source"] = expected["data"]["source"]
    assert without_arrays(report) == expected


def test_a_csv_with_value_targets_equals_the_cli(cli_json):
    data = ROOT / "examples" / "iris_measurements.csv"
    report = gradlens.train(data, label="petal_length,petal_width", lr=0.1, epochs=50)
    expected = cli_json("train", "--data", "examples/iris_measurements.csv", "--label", "petal_length,petal_width",
                        "--lr", "0.1", "--epochs", "50")
    report["data"]["source"] = expected["data"]["source"]
    assert without_arrays(report) == expected
    assert np.isnan(report["curves"]["train_accuracy"]).all()


def test_a_generated_set_equals_the_cli(cli_json):
    report = gradlens.train("spiral", points=120, noise=0.1, hidden=[8], epochs=20, seed=2)
    expected = cli_json("train", "--data", "spiral", "--points", "120", "--noise", "0.1", "--hidden", "8",
                        "--epochs", "20", "--seed", "2")
    assert without_arrays(report) == expected


def test_predict_equals_the_cli(cli_json, tmp_path):
    model = gradlens.train(epochs=200)["model"]
    saved = tmp_path / "model.json"
    saved.write_text(json.dumps(model))
    rows = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]])
    got = gradlens.predict(model, rows)
    expected = cli_json("predict", "--model", str(saved), "--x", "5.1,3.5,1.4,0.2", "--x", "6.7,3.0,5.2,2.3")
    assert {k: v for k, v in got.items() if k != "outputs"} == expected
    assert np.array_equal(got["outputs"], [p["probabilities"] for p in expected["predictions"]])
    # …and the trained model explains one more step of itself.
    step = gradlens.explain(model, x=rows[0], target="setosa").to_dict()
    assert step["class_names"] == ["setosa", "versicolor", "virginica"]


def test_training_releases_the_gil():
    """While one thread trains, another runs Python. With the GIL held for the whole run the
    main thread would stall for all of it; released, it keeps counting at a good share of its
    own speed (the ratio, not a time, is checked: the machine may be busy)."""
    sys.setswitchinterval(0.001)

    def rate(seconds):
        n, end = 0, time.perf_counter() + seconds
        while time.perf_counter() < end:
            n += 1
        return n / seconds

    alone = rate(0.2)
    started = threading.Event()

    def run():
        started.set()
        gradlens.train(hidden=[64, 64], epochs=3000, engine="tape")

    worker = threading.Thread(target=run)
    worker.start()
    started.wait()
    n, t0 = 0, time.perf_counter()
    while worker.is_alive():
        n += 1
        time.perf_counter()
    seconds = time.perf_counter() - t0
    worker.join()
    assert seconds > 0.2, "the run was too short to tell"
    assert n / seconds > 0.05 * alone, (n / seconds, alone)
