"""Helpers for the riscv64 system tests: the default guest (kernel + initramfs) and the
bare-metal test programs, built or fetched by the project's own scripts."""
import functools
import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _script(path, *args):
    r = subprocess.run([str(ROOT / path), *args], capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, f"{path} failed:\n{r.stderr}"
    return r.stdout.strip().splitlines()[-1]


@functools.lru_cache(maxsize=None)
def kernel():
    return _script("guests/riscv64/build-kernel.sh")


@functools.lru_cache(maxsize=None)
def initramfs():
    return _script("guests/riscv64/build-initramfs.sh")


@functools.lru_cache(maxsize=None)
def busybox():
    """The static riscv64 busybox of the guest initramfs: the prebuilt one when
    ../shared/guests has it, else the one guests/riscv64/build-initramfs.sh cross-built from
    Debian's source into the cache."""
    initramfs()  # builds busybox first when there is none
    for p in (os.environ.get("GASANG_SHARED_GUESTS"), "/work/shared/guests",
              ROOT.parent / "shared" / "guests"):
        if p and not os.environ.get("GASANG_NO_SHARED") and (
                pathlib.Path(p) / "riscv64" / "busybox").is_file():
            return pathlib.Path(p) / "riscv64" / "busybox"
    cache = os.environ.get("GASANG_CACHE", os.path.expanduser("~/.cache/gasang"))
    return pathlib.Path(cache) / "riscv64" / "busybox"


@functools.lru_cache(maxsize=None)
def baremetal_dir():
    cache = os.environ.get("GASANG_CACHE", os.path.expanduser("~/.cache/gasang"))
    return pathlib.Path(_script("tests/guests/riscv/build.sh", os.path.join(cache, "riscv-tests")))
