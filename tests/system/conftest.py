"""Shared fixtures for system tests: the gasang binary and the guests it boots."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def gasang_path():
    p = os.environ.get("GASANG") or str(ROOT / "build" / "src" / "gasang")
    if not os.access(p, os.X_OK):
        pytest.fail(f"gasang binary not found at {p}: run scripts/build.sh first")
    return p


@pytest.fixture(scope="session")
def gasang():
    return gasang_path()


def run_gasang(*args, timeout=60, input=None, check_status=None, env=None):
    """Runs gasang with args (and env added to the environment); returns CompletedProcess with
    text stdout/stderr."""
    r = subprocess.run([gasang_path(), *map(str, args)], capture_output=True,
                       timeout=timeout, input=input, text=True, errors="replace",
                       env={**os.environ, **env} if env else None)
    if check_status is not None:
        assert r.returncode == check_status, (
            f"exit {r.returncode}, wanted {check_status}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}")
    return r


def have_kvm():
    return os.access("/dev/kvm", os.R_OK | os.W_OK)


@pytest.fixture
def kvm():
    if not have_kvm():
        pytest.skip("*** /dev/kvm is missing or not accessible: KVM tests SKIPPED ***")
