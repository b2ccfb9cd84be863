"""Builds gasang's x86 test payloads (tests/guests/x86) once per test session."""
import atexit
import functools
import os
import pathlib
import re
import shutil
import subprocess
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]


@functools.lru_cache(maxsize=None)
def payload_dir():
    out = pathlib.Path(tempfile.mkdtemp(prefix="gasang-x86-payloads-"))
    atexit.register(shutil.rmtree, out, True)
    subprocess.run([str(ROOT / "tests/guests/x86/build.sh"), str(out)], check=True,
                   capture_output=True)
    return out


def payload(name):
    return str(payload_dir() / name)


def stats(stderr):
    """Parses gasang's --stats table: {reason: count}."""
    out = {}
    for line in stderr.splitlines():
        m = re.match(r"^([A-Z_0-9]+)\s+(\d+)\s+[\d.]+\s+[\d.]+\s+[\d.]+$", line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


def host_has_hw_virt():
    with open("/proc/cpuinfo") as f:
        return bool(re.search(r"^flags\s*:.*\b(vmx|svm)\b", f.read(), re.M))


def is_root():
    return os.geteuid() == 0
