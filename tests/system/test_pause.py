"""Pausing a running machine: SIGUSR1 takes every vCPU out of the guest and parks it, SIGUSR2
lets them run again, on both engines; devices, timers and the event loop keep going, and a
stop (SIGTERM) still ends a paused machine promptly."""
import pathlib
import re
import signal
import subprocess
import time

import pytest

from conftest import gasang_path, have_kvm
from riscv_guest import initramfs, kernel
from x86_payloads import payload


def start(*args):
    return subprocess.Popen([gasang_path(), "run", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for(path, text, timeout=90):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.05)
    seen = path.read_text(errors="replace")[-2000:] if path.exists() else "(no file)"
    pytest.fail(f"{text!r} never appeared in:\n{seen}")


def stop_while_paused(p, twice=False):
    """Pauses p (twice: a second SIGUSR1 on the paused machine), then SIGTERM: it must end at
    once with 128+SIGTERM. Returns its stderr."""
    try:
        p.send_signal(signal.SIGUSR1)
        time.sleep(0.3)
        if twice:
            p.send_signal(signal.SIGUSR1)
        t0 = time.monotonic()
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=10)
    finally:
        p.kill()
    assert time.monotonic() - t0 < 3.0, err
    assert p.returncode == 128 + signal.SIGTERM, err
    return err


def test_pause_and_resume_riscv_linux(tmp_path):
    # The guest prints a tick every 50 ms; while paused, nothing more reaches the console.
    con = tmp_path / "console"
    cmd = "i=0; while [ $i -lt 30 ]; do echo tick-$i; i=$((i+1)); sleep 0.05; done"
    p = start("--arch", "riscv64", "--kernel", kernel(), "--initrd", initramfs(), "--mem",
              "256M", "--cpus", "2", "--console", f"file:{con}",
              "--append", f'console=ttyS0 quiet gasang.run="{cmd}"')
    try:
        wait_for(con, "tick-3")
        p.send_signal(signal.SIGUSR1)
        time.sleep(0.5)  # output already on its way settles
        before = con.read_text(errors="replace")
        time.sleep(1.5)
        assert p.poll() is None, "gasang ended on SIGUSR1"
        assert con.read_text(errors="replace") == before, "the guest ran while paused"
        assert "tick-29" not in before
        p.send_signal(signal.SIGUSR2)
        out, err = p.communicate(timeout=90)
    finally:
        p.kill()
    assert p.returncode == 0, err
    text = con.read_text(errors="replace")
    assert "tick-29" in text and "gasang-init: exit status 0" in text, text[-2000:]
    assert "paused (SIGUSR1)" in err and "resumed (SIGUSR2)" in err, err


def test_stop_while_paused_riscv(tmp_path):
    con = tmp_path / "console"
    p = start("--arch", "riscv64", "--kernel", kernel(), "--initrd", initramfs(), "--mem",
              "256M", "--console", f"file:{con}",
              "--append", 'console=ttyS0 quiet gasang.run="while true; do echo x; sleep 1; done"')
    wait_for(con, "gasang-init: up")
    err = stop_while_paused(p, twice=True)
    assert err.count("paused (SIGUSR1)") == 1, err  # the second SIGUSR1 changed nothing


@pytest.mark.skipif(not have_kvm(), reason="*** no /dev/kvm: KVM pause test SKIPPED ***")
def test_pause_and_resume_kvm_payload():
    # The payload waits for 100 PIT ticks (1 s) and reports the host time that took (an
    # hypercall). Paused for 2 s from 0.3 s on, it reports at least 2.2 s: the in-kernel PIT
    # keeps counting during the pause and KVM reinjects the missed ticks at once afterwards, as
    # it does for a descheduled vCPU, so the 100 ticks end soon after the resume.
    p = start("--kernel", payload("timer.elf"), "--append", "ticks=100", "--stats")
    try:
        time.sleep(0.3)
        p.send_signal(signal.SIGUSR1)
        time.sleep(2.0)
        assert p.poll() is None, "gasang ended on SIGUSR1"
        p.send_signal(signal.SIGUSR2)
        out, err = p.communicate(timeout=30)
    finally:
        p.kill()
    assert p.returncode == (0x0b << 1) | 1, err
    m = re.search(r"timer ticks=(\d+) elapsed_ms=(\d+)", out)
    assert m and int(m.group(1)) == 100 and int(m.group(2)) >= 2200, out + err
    assert "paused (SIGUSR1)" in err and "resumed (SIGUSR2)" in err, err
    # A paused KVM machine still stops at once.
    p = start("--kernel", payload("timer.elf"), "--cpus", "2", "--append", "ticks=10000")
    time.sleep(0.3)
    stop_while_paused(p)
