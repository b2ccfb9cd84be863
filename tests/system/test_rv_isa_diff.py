"""Differential ISA check of the software engine against QEMU: the same bare-metal RV64GC
program (tests/guests/riscv/isa_diff) runs on `gasang --elf` and on `qemu-system-riscv64 -M virt
-bios none`; both print one hash per instruction group (ALU/M, loads/stores, AMO/LR/SC, F/D in
every rounding mode with fflags, trap causes and tval, Sv39 paging with A/D bits and faults,
CSRs, delegation of exceptions and interrupts to S-mode with SRET to U-mode). Every line must
be equal."""
import shutil
import subprocess

import pytest

from conftest import ROOT, run_gasang

SRC = ROOT / "tests" / "guests" / "riscv" / "isa_diff"
GROUPS = ["alu", "mem", "amo", "fp", "traps", "paging", "csr", "deleg"]


@pytest.fixture(scope="module")
def isa_elf(tmp_path_factory):
    if not shutil.which("riscv64-unknown-elf-gcc"):
        pytest.skip("*** riscv64-unknown-elf-gcc missing (gcc-riscv64-unknown-elf): SKIPPED ***")
    out = tmp_path_factory.mktemp("isa") / "isa_diff.elf"
    subprocess.run([str(SRC / "build.sh"), str(out)], check=True)
    return out


def hashes(text):
    lines = [l.strip() for l in text.replace("\r", "").splitlines() if l.strip()]
    got = dict(l.split() for l in lines if len(l.split()) == 2 and l.split()[0] in GROUPS)
    assert list(got) == GROUPS, f"missing groups in output:\n{text}"
    return got


def test_isa_program_runs_on_gasang(isa_elf):
    r = run_gasang("run", "--arch", "riscv64", "--elf", isa_elf, "--mem", "64M",
                   timeout=60, check_status=0)
    hashes(r.stdout)


def test_isa_matches_qemu(isa_elf):
    qemu = shutil.which("qemu-system-riscv64")
    if not qemu:
        pytest.skip("*** qemu-system-riscv64 missing (qemu-system-misc): comparison SKIPPED ***")
    q = subprocess.run([qemu, "-M", "virt", "-m", "64M", "-nographic", "-bios", "none",
                        "-kernel", str(isa_elf)], capture_output=True, text=True, timeout=60)
    g = run_gasang("run", "--arch", "riscv64", "--elf", isa_elf, "--mem", "64M",
                   timeout=60, check_status=0)
    want, got = hashes(q.stdout), hashes(g.stdout)
    diff = [f"{k}: qemu {want[k]} gasang {got[k]}" for k in GROUPS if want[k] != got[k]]
    assert not diff, "gasang differs from QEMU:\n" + "\n".join(diff)
