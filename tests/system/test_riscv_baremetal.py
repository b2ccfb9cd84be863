"""Bare-metal RISC-V programs (tests/guests/riscv) started with --elf in M-mode with no
firmware; they report through the HTIF tohost symbol (gasang exits with status v >> 1)."""
import pytest

from conftest import run_gasang
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
