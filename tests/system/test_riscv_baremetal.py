"""Bare-metal RISC-V programs (tests/guests/riscv) started with --elf in M-mode with no
firmware; they report through the HTIF tohost symbol (gasang exits with status v >> 1)."""
import subprocess

import pytest

from conftest import ROOT, run_gasang
from riscv_guest import baremetal_dir


def run_elf(name, *extra):
    return run_gasang("run", "--arch", "riscv64", "--elf", baremetal_dir() / f"{name}.elf",
                      "--mem", "64M", *extra, timeout=60)


@pytest.mark.parametrize("name", ["trap", "paging", "timer", "plic"])
def test_baremetal_program_passes(name):
    r = run_elf(name)
    assert r.returncode == 0, f"{name}: exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    assert "PASS" in r.stdout


def test_baremetal_sbi_from_s_mode():
    # The program ends with SBI SRST shutdown, vendor reason 0xF000002A: exit status 42.
    r = run_elf("sbi", "--stats")
    assert r.returncode == 42, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    assert "sbi-dbcn-ok" in r.stdout
    for call in ["sbi:BASE.get_spec_version", "sbi:TIME.set_timer", "sbi:IPI.send_ipi",
                 "sbi:DBCN.console_write", "sbi:HSM.hart_get_status", "sbi:SRST.system_reset",
                 "irq:s_timer", "irq:s_soft"]:
        assert call in r.stderr, f"{call} not counted:\n{r.stderr}"


def test_baremetal_smp_harts_start_in_m_mode():
    # Every hart starts at the entry; the extra ones park in WFI and do not disturb hart 0.
    r = run_elf("timer", "--cpus", "2")
    assert r.returncode == 0, r.stdout + r.stderr


def test_baremetal_hsm_stop_and_restart():
    # Hart 1 calls hart_stop; hart 0 restarts it elsewhere with hart_start (two harts, both in
    # S-mode on the host SBI).
    for _ in range(3):
        r = run_elf("hsm", "--cpus", "2")
        assert r.returncode == 0, r.stdout + r.stderr
        assert "PASS" in r.stdout


@pytest.mark.parametrize("value,status", [(1, 0), (7, 3), (85, 42), (513, 255)])
def test_htif_tohost_exit_status(tmp_path, value, status):
    # A store of v to tohost ends gasang with v >> 1 (clamped to 255 so failures never wrap
    # to 0); before it, HTIF console putchar (device 1, command 1) prints "ok".
    src = tmp_path / "htif.S"
    src.write_text(f""".section .text.init
.globl _start
_start:
.option norelax
    la t0, tohost
    li t1, (1 << 56) | (1 << 48) | 'o'
    sd t1, 0(t0)
    li t1, (1 << 56) | (1 << 48) | 'k'
    sd t1, 0(t0)
    li t1, {value}
    sd t1, 0(t0)
1:  j 1b
.section .tohost, "aw", @progbits
.globl tohost
tohost: .dword 0
""")
    elf = tmp_path / "htif.elf"
    subprocess.run(["riscv64-unknown-elf-gcc", "-nostdlib", "-T",
                    ROOT / "tests/guests/riscv/link.ld", "-Wl,--no-warn-rwx-segments", "-o",
                    elf, src], check=True)
    r = run_gasang("run", "--arch", "riscv64", "--elf", elf, timeout=30)
    assert r.returncode == status, r.stderr
    assert r.stdout == "ok"
