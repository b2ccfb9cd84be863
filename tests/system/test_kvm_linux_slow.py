"""Optional, slow (about 1-2 minutes here): boots the prebuilt patched tiny Linux kernel
(../shared/guests/x86_64, see its README) through the PVH entry and, as a bzImage, through the
64-bit boot protocol, on this host's KVM, to a /init that prints a line and reboots (reboot=k ->
i8042 reset -> status 0). Run with GASANG_SLOW_TESTS=1."""
import os
import pathlib
import subprocess

import pytest

from conftest import ROOT, run_gasang

GUESTS = [ROOT.parent / "shared/guests/x86_64", pathlib.Path("/work/shared/guests/x86_64")]
APPEND = ("console=ttyS0 reboot=k panic=-1 quiet noxsave "
          "clearcpuid=popcnt,smap,fsgsbase,pcid,invpcid,rdtscp,114,379 mitigations=off "
          "percpu_alloc=page noreplace-smp 8250.nr_uarts=1")

pytestmark = pytest.mark.skipif(os.environ.get("GASANG_SLOW_TESTS") != "1",
                                reason="slow Linux smoke test: set GASANG_SLOW_TESTS=1")


def guest(name):
    for d in GUESTS:
        if (d / name).exists():
            return d / name
    pytest.skip(f"*** prebuilt {name} not found in {GUESTS}: SKIPPED ***")


def cpio_newc(entries):
    """entries: (name, mode, data, rdev_major, rdev_minor)"""
    out = b""
    for ino, (name, mode, data, ma, mi) in enumerate(entries + [("TRAILER!!!", 0, b"", 0, 0)]):
        n = name.encode() + b"\0"
        hdr = "070701" + "".join(f"{v:08x}" for v in (
            ino + 1, mode, 0, 0, 1, 0, len(data), 0, 0, ma, mi, len(n), 0))
        out += hdr.encode() + n
        out += b"\0" * (-len(out) % 4) + data
        out += b"\0" * (-len(out) % 4)
    return out


@pytest.fixture(scope="module")
def initramfs(tmp_path_factory):
    d = tmp_path_factory.mktemp("smoke")
    subprocess.run(["gcc", "-nostdlib", "-static", "-o", d / "init",
                    ROOT / "tests/guests/x86/smoke_init.S"], check=True)
    cpio = cpio_newc([("dev", 0o40755, b"", 0, 0), ("dev/console", 0o20600, b"", 5, 1),
                      ("init", 0o100755, (d / "init").read_bytes(), 0, 0)])
    (d / "initramfs.cpio").write_bytes(cpio)
    return d / "initramfs.cpio"


@pytest.mark.parametrize("image", ["vmlinux", "bzImage"])
def test_tiny_linux_reaches_init(kvm, initramfs, image):
    r = run_gasang("run", "--kernel", guest(image), "--initrd", initramfs, "--mem", "64M",
                   "--append", APPEND, timeout=400)
    assert "gasang-smoke: /init reached" in r.stdout, r.stdout[-3000:] + r.stderr
    assert r.returncode == 0, r.stderr
