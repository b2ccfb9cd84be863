"""The default x86_64 guest (guests/x86_64: Debian's stock cloud kernel + busybox initramfs) on
a host with VT-x/AMD-V: boots to /init, runs a command, powers off with status 0; a kernel
panic ends gasang non-zero through pvpanic. Skipped where the host has no hardware
virtualization (there, tests/lab runs the same guest under real KVM)."""
import subprocess

import pytest

from conftest import ROOT, run_gasang
from x86_payloads import host_has_hw_virt

pytestmark = pytest.mark.skipif(not host_has_hw_virt(),
                                reason="*** no VT-x/AMD-V here: stock kernel tests SKIPPED "
                                       "(the KVM lab, tests/lab, runs them) ***")


@pytest.fixture(scope="module")
def guest():
    out = subprocess.run([str(ROOT / "guests/x86_64/build.sh")], check=True,
                         capture_output=True, text=True).stdout
    paths = dict(l.split("=", 1) for l in out.splitlines() if "=" in l)
    return paths["KERNEL"], paths["INITRD"]


def test_boots_runs_a_command_and_powers_off(kvm, guest):
    r = run_gasang("run", "--kernel", guest[0], "--initrd", guest[1], "--cpus", "2", "--mem",
                   "512M", "--append",
                   "console=ttyS0 quiet -- uname -s; nproc; grep MemTotal /proc/meminfo",
                   timeout=300, check_status=0)
    assert "gasang-init: reached /init" in r.stdout
    assert "Linux" in r.stdout
    lines = r.stdout.splitlines()
    assert "2" in lines
    total_kib = int(next(l for l in lines if l.startswith("MemTotal")).split()[1])
    assert 400 * 1024 < total_kib <= 512 * 1024
    assert "boot marker" in r.stderr


def test_kernel_panic_is_a_guest_error(kvm, guest):
    r = run_gasang("run", "--kernel", guest[0], "--initrd", guest[1], "--append",
                   "console=ttyS0 quiet panic=-1 -- echo c > /proc/sysrq-trigger", timeout=300)
    assert r.returncode == 1
    assert "the guest kernel panicked (pvpanic)" in r.stderr
