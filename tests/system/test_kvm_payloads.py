"""x86 payload guests on KVM: port and MMIO exits counted exactly, every hypercall, the PC
devices, a timer interrupt, SMP bring-up from real mode, long mode with a CPL3 loop, and the
Multiboot (ELF and a.out kludge) and PVH loaders."""
import datetime
import re
import time

import pytest

from conftest import run_gasang
from x86_payloads import payload, stats


@pytest.fixture(autouse=True)
def _kvm(kvm):
    pass


def test_pio_exact_exit_count():
    for n in (1000, 2500):
        r = run_gasang("run", "--kernel", payload("pio.elf"), "--append", f"n={n}", "--stats",
                       check_status=(0x21 << 1) | 1)
        assert stats(r.stderr)["IO"] == n, r.stderr


def test_mmio_exact_exit_count_and_unassigned_reads_all_ones():
    r = run_gasang("run", "--kernel", payload("mmio.elf"), "--stats",
                   check_status=(0x10 << 1) | 1)
    assert "mmio read ffffffff" in r.stdout
    s = stats(r.stderr)
    assert s["MMIO"] == 1000, r.stderr
    assert s["IO"] == 2  # the report hypercall and the debug exit


def test_every_hypercall():
    before = time.time()
    r = run_gasang("run", "--kernel", payload("hcall.elf"), "--cpus", "2", check_status=42)
    line = next(l for l in r.stdout.splitlines() if l.startswith("version="))
    f = dict(kv.split("=") for kv in line.split() if "=" in kv)
    assert f["version"] == "1" and f["cpus"] == "2"
    assert abs(int(f["time_s"]) - before) < 60
    assert "monotonic" in line
    assert f["efault"] == "14" and f["enosys"] == "38"
    assert f"console wrote {len(line) + 1} bytes" in r.stdout
    assert "boot marker: guest reached it" in r.stderr


def test_pc_devices_fw_cfg_rtc_uart_multiboot_info(tmp_path):
    initrd = tmp_path / "initrd"
    initrd.write_bytes(b"Z" + b"\0" * 12344)
    k = payload("devices.elf")
    r = run_gasang("run", "--kernel", k, "--cpus", "3", "--mem", "512M", "--initrd", initrd,
                   "--append", "foo=bar", check_status=7)
    year = datetime.datetime.now(datetime.timezone.utc).year
    assert f"fw_cfg sig=QEMU cpus=3 ram_mib=512 rtc_year={year} rtc_regb=2" in r.stdout
    assert "module bytes=12345 first=Z" in r.stdout
    assert f"cmdline={k} foo=bar mem_upper_kib={511 * 1024} mmap_entries=4" in r.stdout
    assert "boot marker: guest reached it" in r.stderr


def test_console_to_file(tmp_path):
    out = tmp_path / "console.txt"
    r = run_gasang("run", "--kernel", payload("devices.elf"), "--console", f"file:{out}",
                   check_status=7)
    assert "fw_cfg sig=QEMU" not in r.stdout
    assert "fw_cfg sig=QEMU cpus=1 ram_mib=256" in out.read_text()


def test_i8042_reset_ends_with_status_0():
    r = run_gasang("run", "--kernel", payload("devices.elf"), "--append", "reboot",
                   check_status=0)
    assert "fw_cfg sig=QEMU" in r.stdout


def test_pvpanic_ends_with_a_guest_error():
    r = run_gasang("run", "--kernel", payload("devices.elf"), "--append", "panic")
    assert r.returncode == 1, r.stderr
    assert "gasang: guest error: the guest kernel panicked (pvpanic)" in r.stderr


def test_timer_interrupt_pit_through_pic():
    r = run_gasang("run", "--kernel", payload("timer.elf"), "--append", "ticks=10",
                   check_status=(0x0b << 1) | 1)
    line = next(l for l in r.stdout.splitlines() if l.startswith("timer"))
    assert "ticks=10 " in line
    ms = int(line.split("elapsed_ms=")[1])
    assert 80 <= ms <= 5000, line  # 10 ticks at 100 Hz


def test_smp_every_vcpu_reports_in_from_real_mode():
    r = run_gasang("run", "--kernel", payload("smp.elf"), "--cpus", "4", "--stats",
                   check_status=(0x0c << 1) | 1)
    assert "smp: 4 of 4 cpus up" in r.stdout
    for i in (1, 2, 3):
        assert f"cpu {i} up in real mode" in r.stdout
    assert "4 vCPUs" in r.stderr


def test_long_mode_cpu_bound_loop_at_cpl3():
    r = run_gasang("run", "--kernel", payload("long64.elf"), "--stats",
                   check_status=(0x0e << 1) | 1)
    assert "long mode ok" in r.stdout
    line = next(l for l in r.stdout.splitlines() if l.startswith("cpl3 loop done"))
    assert "cpl=3" in line
    # 200 M iterations: natively well under 10 s; emulated at CPL0 it would take hours.
    assert int(line.split("ms=")[1]) < 10000
    assert stats(r.stderr)["IO"] == 5


def test_multiboot_aout_kludge():
    r = run_gasang("run", "--kernel", payload("aout.bin"), check_status=(5 << 1) | 1)
    assert "a.out kludge kernel ok" in r.stdout


def test_pvh_entry():
    r = run_gasang("run", "--kernel", payload("pvh.elf"), "--append", "hello pvh",
                   check_status=(7 << 1) | 1)
    assert "pvh ok memmap=4 cmdline=hello pvh" in r.stdout


def test_ram_split_around_the_pci_hole():
    r = run_gasang("run", "--kernel", payload("devices.elf"), "--mem", "4G", check_status=7)
    assert "ram_mib=4096" in r.stdout
    # low RAM ends at 3 GiB; the last GiB is mapped at 4 GiB: one more map entry
    assert f"mem_upper_kib={3 * 1024 * 1024 - 1024} mmap_entries=5" in r.stdout


def test_sigterm_stops_running_and_halted_vcpus_promptly():
    import signal
    import subprocess
    from conftest import gasang_path
    # vCPU 0 waits for 100 s of timer ticks, the APs sleep in hlt with interrupts off.
    p = subprocess.Popen([gasang_path(), "run", "--kernel", payload("timer.elf"), "--cpus", "3",
                          "--append", "ticks=10000", "--stats"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    t0 = time.monotonic()
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=10)
    assert time.monotonic() - t0 < 2.0
    assert p.returncode == 128 + signal.SIGTERM, err
    assert "exit statistics" in err


def test_debug_log_is_a_startup_timeline():
    # GASANG_DEBUG=1: each debug line carries the time since launch, so the steps from the
    # kernel's mapping to the first VM entry and exit read as a timeline (docs/debugging.md)
    r = run_gasang("run", "--kernel", payload("first.elf"), check_status=65,
                   env={"GASANG_DEBUG": "1"})
    steps = ["x86 board: kernel and initrd mapped", "x86 board: RAM, console and KVM VM ready",
             "x86 board: devices created and guest loaded", "x86 board: 1 vCPUs set up",
             "vCPU 0: first KVM_RUN", "vCPU 0: first exit (IO)"]
    times = []
    for step in steps:
        m = re.search(r"gasang: debug: \[ *(\d+\.\d{3}) ms\] " + re.escape(step), r.stderr)
        assert m, f"{step!r} missing:\n{r.stderr}"
        times.append(float(m.group(1)))
    assert times == sorted(times) and times[-1] < 5000, times


def dev_rows(stderr):
    """The --stats table of exits by device: {device: count}."""
    table = stderr.split("exits by device", 1)
    assert len(table) == 2, stderr
    return {m.group(1).strip(): int(m.group(2)) for m in re.finditer(
        r"^(\S.*?)\s+(\d+)\s+[\d.]+\s+[\d.]+\s+[\d.]+$", table[1], re.M)}


def test_stats_exits_by_device():
    # --stats also says which device model each port I/O or MMIO exit reached (and, for
    # addresses where no device sits, which ones): what perf kvm stat's ioport view shows
    r = run_gasang("run", "--kernel", payload("pio.elf"), "--append", "n=500", "--stats",
                   check_status=(0x21 << 1) | 1)
    assert dev_rows(r.stderr) == {"no device: ports 0x80-0x87": 499, "debug-exit": 1}, r.stderr
    r = run_gasang("run", "--kernel", payload("mmio.elf"), "--stats",
                   check_status=(0x10 << 1) | 1)
    assert dev_rows(r.stderr) == {"no device: MMIO 0xd0000000": 1000, "hypercall port": 1,
                                  "debug-exit": 1}, r.stderr
    r = run_gasang("run", "--kernel", payload("devices.elf"), "--cpus", "2", "--stats",
                   check_status=7)
    rows = dev_rows(r.stderr)
    assert rows["fw_cfg"] > 0 and rows["rtc-cmos"] > 0 and rows["uart16550"] > 0, r.stderr
    assert sum(rows.values()) == stats(r.stderr)["IO"], r.stderr  # every IO exit has a row
    # without --stats nothing is printed (and nothing is collected)
    r = run_gasang("run", "--kernel", payload("pio.elf"), check_status=(0x21 << 1) | 1)
    assert "exits by device" not in r.stderr
