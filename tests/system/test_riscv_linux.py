"""The default riscv64 Linux guest on the software engine: boots to /init, runs busybox
commands given on the kernel command line, and powers off with status 0."""
import base64
import os
import re
import select
import subprocess
import time

import pytest

from conftest import gasang_path, run_gasang
from riscv_guest import initramfs, kernel

END = re.compile(r"gasang-init: exit status (\d+)")


def boot(cmd, cpus=1, extra=(), timeout=120):
    return run_gasang("run", "--arch", "riscv64", "--kernel", kernel(), "--initrd", initramfs(),
                      "--mem", "256M", "--cpus", cpus,
                      "--append", f'console=ttyS0 quiet gasang.run="{cmd}"', *extra,
                      timeout=timeout)


def end_status(out):
    m = END.search(out)
    assert m, f"no end marker in the guest output:\n{out[-3000:]}"
    return int(m.group(1))


@pytest.mark.parametrize("cpus", [1, 2])
def test_linux_boots_and_runs_busybox(cpus):
    r = boot("cat /proc/cpuinfo; echo nproc=$(nproc); echo gasang-$((6*7)) > /tmp/f; "
             "cat /tmp/f; date -u +date-ok-%Y", cpus=cpus, extra=["--stats"])
    out = r.stdout
    assert r.returncode == 0, r.stderr
    assert "gasang-init: up" in out
    assert end_status(out) == 0
    # One "processor" entry per hart, with the ISA and MMU from gasang's device tree.
    assert len(re.findall(r"^processor\s*:", out, re.M)) == cpus
    assert re.search(r"^isa\s*:\s*rv64imafdc", out, re.M)
    assert re.search(r"^mmu\s*:\s*sv48", out, re.M)
    assert f"nproc={cpus}" in out
    assert "gasang-42" in out  # written to tmpfs and read back
    # User mode reads the time CSR (vDSO: scounteren set up); the wall clock comes from the
    # goldfish RTC.
    m = re.search(r"date-ok-(\d+)", out)
    assert m and int(m.group(1)) >= 2025, out
    # --stats: the SBI calls Linux made, by extension and function, and the guest's traps.
    assert re.search(r"^sbi:SRST\.system_reset\s+1\s", r.stderr, re.M)
    assert re.search(r"^exc:ecall_u\s+\d+", r.stderr, re.M)
    if cpus == 2:
        assert re.search(r"^sbi:HSM\.hart_start\s+1\s", r.stderr, re.M)


def test_command_status_and_poweroff():
    # The command's failure is reported by /init; poweroff from the guest still exits 0.
    r = boot("false")
    assert r.returncode == 0
    assert end_status(r.stdout) == 1
    # poweroff inside the command: no end marker, status 0.
    r = boot("echo before-poweroff; poweroff -f")
    assert r.returncode == 0, r.stderr
    assert "before-poweroff" in r.stdout
    assert not END.search(r.stdout)


def test_interactive_shell_on_the_uart():
    # No gasang.run: /init gives a shell on ttyS0; what we type reaches it through the UART
    # (typed once the shell is up: like a real 16550, input before the driver opens is lost).
    p = subprocess.Popen([gasang_path(), "run", "--arch", "riscv64", "--kernel", kernel(),
                          "--initrd", initramfs(), "--mem", "256M",
                          "--append", "console=ttyS0 quiet"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = b""
    try:
        deadline = time.monotonic() + 120
        while b"starting a shell" not in out and time.monotonic() < deadline:
            if not select.select([p.stdout], [], [], 1)[0]:
                continue
            chunk = os.read(p.stdout.fileno(), 4096)
            if not chunk:
                break
            out += chunk
        assert b"starting a shell" in out, out.decode(errors="replace")
        time.sleep(0.5)
        rest, err = p.communicate(b"echo typed-$((40+2))\npoweroff -f\n", timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    out += rest
    assert p.returncode == 0, err
    assert b"typed-42" in out


def test_sbi_console_and_earlycon():
    # earlycon=sbi prints through the legacy SBI console putchar, before the UART driver.
    r = run_gasang("run", "--arch", "riscv64", "--kernel", kernel(), "--initrd", initramfs(),
                   "--mem", "256M", "--stats",
                   "--append", 'earlycon=sbi console=ttyS0 gasang.run="true"', timeout=120)
    assert r.returncode == 0, r.stderr
    assert "earlycon: sbi0" in r.stdout
    assert re.search(r"^sbi:legacy\.console_putchar\s+\d{3,}", r.stderr, re.M)


def test_init_command_forms():
    # gasang.run64 carries any command (here with double quotes), base64-encoded.
    cmd = 'echo "run64: $((6*7))"'
    r = run_gasang("run", "--arch", "riscv64", "--kernel", kernel(), "--initrd", initramfs(),
                   "--append", "console=ttyS0 quiet gasang.run64=" +
                   base64.b64encode(cmd.encode()).decode(), timeout=120)
    assert r.returncode == 0, r.stderr
    assert "run64: 42" in r.stdout and end_status(r.stdout) == 0
