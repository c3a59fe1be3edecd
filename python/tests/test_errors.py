"""Bad input raises ValueError with the command line's message (the option named by its keyword:
`lr=0: …` where the CLI says `--lr 0: …`), and never takes the interpreter down."""

import numpy as np
import pytest

import gradlens


def cli_why(cli, *args):
    """The CLI's one-line message, without its `gradlens: error: --option value: ` prefix."""
    status, _, err = cli(*args)
    assert status == 2, err
    line = err.strip().splitlines()[-1]
    assert line.startswith("gradlens: error: --")
    return line.removeprefix("gradlens: error: ").split(": ", 1)[1]


def test_a_bad_step_size(cli):
    with pytest.raises(ValueError) as e:
        gradlens.explain(lr=0)
    assert str(e.value) == "lr=0: " + cli_why(cli, "explain", "--lr", "0")


def test_a_sample_of_the_wrong_width(cli):
    with pytest.raises(ValueError) as e:
        gradlens.explain(x=[1.0, 2.0, 3.0])
    assert str(e.value) == "x: " + cli_why(cli, "explain", "--x", "1,2,3")


def test_a_class_out_of_range(cli):
    with pytest.raises(ValueError) as e:
        gradlens.explain(x=[1.0, 2.0, 3.0, 4.0], target=7)
    why = cli_why(cli, "explain", "--x", "1,2,3,4", "--target", "7")
    assert str(e.value).split(": ", 1)[1] == why


def test_a_bad_log_base(cli):
    with pytest.raises(ValueError) as e:
        gradlens.explain(log_base=1)
    assert str(e.value) == "log_base='1': " + cli_why(cli, "explain", "--log-base", "1")


def test_training_options(cli):
    with pytest.raises(ValueError) as e:
        gradlens.train(epochs=0)
    assert str(e.value) == "epochs=0: " + cli_why(cli, "train", "--epochs", "0")
    with pytest.raises(ValueError) as e:
        gradlens.train(test_fraction=1.5)
    assert str(e.value) == "test_fraction=1.5: " + cli_why(cli, "train", "--test-fraction", "1.5")
    # (the CLI's parser refuses this one itself, before the library sees it)
    with pytest.raises(ValueError, match=r"^optimizer='rmsprop': not an optimizer \(sgd, momentum, adam\)$"):
        gradlens.train(optimizer="rmsprop")
    with pytest.raises(ValueError, match=r"^train_accuracy='after': not a way to take it "
                                         r"\(after-epoch, steps\)$"):
        gradlens.train(train_accuracy="after")
    with pytest.raises(ValueError, match=r"^epoch: unknown field `epoch`, expected one of"):
        gradlens.train(epoch=3)
    with pytest.raises(ValueError, match=r"^epochs: invalid type"):
        gradlens.train(epochs="many")


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(ValueError, match="nope.json"):
        gradlens.explain(tmp_path / "nope.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"layers": [{"type": "dense", "weights": [[1, "a"]]}]}')
    with pytest.raises(ValueError, match=r"layers\[0\]\.weights"):
        gradlens.load_model(broken)
    with pytest.raises(ValueError, match="nope.csv"):
        gradlens.train(tmp_path / "nope.csv")


def test_stax_input_that_is_not_a_model():
    w = np.ones((4, 3))
    with pytest.raises(ValueError, match=r"layers\[1\] is 'Gelu'"):
        gradlens.from_stax(["Dense", "Gelu"], [(w, np.zeros(3)), ()])
    with pytest.raises(ValueError, match="2 entries for 3 layers"):
        gradlens.from_stax(["Dense", "Tanh", "Softmax"], [(w, np.zeros(3)), ()])
    with pytest.raises(ValueError, match=r"^from_stax: layers\[0\]\.bias: "):
        gradlens.from_stax(["Dense", "Softmax"], [(w, np.zeros(2)), ()])
    with pytest.raises(ValueError, match=r"params\[1\] \(Tanh\) has no parameters"):
        gradlens.from_stax(["Dense", "Tanh"], [(w, np.zeros(3)), (w, np.zeros(3))])


def test_arguments_of_the_wrong_kind():
    with pytest.raises(ValueError, match="^x: "):
        gradlens.explain(x=[[1.0, 2.0], [3.0]])
    with pytest.raises(ValueError, match="^model: "):
        gradlens.explain(model=42)



def test_steps_out_of_range(cli):
    with pytest.raises(ValueError) as e:
        gradlens.explain(steps=0)
    assert str(e.value) == "steps=0: " + cli_why(cli, "explain", "--steps", "0")
