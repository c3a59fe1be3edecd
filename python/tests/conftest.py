"""Shared fixtures: the repository's root and the `gradlens` command-line binary, which the
tests compare the package with (the two faces must give the same records)."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _binary():
    """$GRADLENS_BIN, else the clone's own build (release, then debug), else `gradlens` on PATH."""
    given = os.environ.get("GRADLENS_BIN")
    if given:
        return given
    for profile in ("release", "debug"):
        built = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / profile / "gradlens"
        if built.is_file():
            return str(built)
    return shutil.which("gradlens")


@pytest.fixture(scope="session")
def cli():
    """Runs `gradlens ARGS…` and returns (exit status, stdout, stderr). On CI the binary must be
    there (built by `cargo test`): a missing one fails rather than skips."""
    binary = _binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("no gradlens binary: set GRADLENS_BIN or run `cargo build` first")
        pytest.skip("no gradlens binary (cargo build, or set GRADLENS_BIN)")

    def run(*args):
        done = subprocess.run([binary, "--quiet", *args], capture_output=True, text=True, cwd=ROOT, timeout=600)
        return done.returncode, done.stdout, done.stderr

    return run


@pytest.fixture(scope="session")
def cli_json(cli):
    """`gradlens ARGS… --format json`, parsed; the run must succeed."""

    def run(*args):
        status, out, err = cli(*args, "--format", "json")
        assert status == 0, err
        return json.loads(out)

    return run
