"""The KVM lab (tests/lab): gasang boots a stock Debian cloud kernel under real KVM.

This host's /dev/kvm (kvm-pvm) cannot boot x86 Linux, so the lab boots Debian's generic kernel
in QEMU TCG with an emulated AMD CPU that has SVM; inside, kvm-amd gives a real /dev/kvm with
nested paging. All checks share ONE outer boot (about a minute on 2 cores): gasang runs the
KVM payload guests (tests/guests/x86) on real KVM semantics, QEMU boots the cloud guest (the
reference: it validates the lab itself), then gasang boots it twice with different --cpus/--mem,
once ending through the guest's own `poweroff`.
"""
import pathlib
import re
import subprocess
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "lab"))
import lab  # noqa: E402

MiB = 1024 * 1024
APPEND = "console=ttyS0 quiet panic=-1"
REPORT = "uname -r; nproc; grep MemTotal /proc/meminfo"

ROOT = pathlib.Path(__file__).resolve().parents[2]

# The payload guests (tests/guests/x86, Multiboot ELF32) run with --cpus 2: exit status
# ((v<<1)|1 for a debug-exit write of v, the HC_EXIT status, 1 for a guest error) and what
# they print, as on the host's kvm-pvm but here on kvm-amd with nested paging.
PAYLOADS = {
    "pio": (67, [r"^IO\s+1000\s"]),  # exactly 1000 port writes -> 1000 IO exits
    "mmio": (33, [r"mmio read ffffffff", r"^MMIO\s+1000\s"]),
    "hcall": (42, [r"version=1 cpus=2 time_s=\d+ monotonic efault=14 enosys=38",
                   r"console wrote \d+ bytes", r"boot marker: guest reached it"]),
    "devices": (7, [r"fw_cfg sig=QEMU cpus=2 ram_mib=256 rtc_year=20\d\d",
                    r"cmdline=/lab/devices.elf mem_upper_kib=261120"]),
    "timer": (23, [r"timer ticks=10 elapsed_ms=\d+"]),  # host time: not bounded on a busy host
    "smp": (25, [r"cpu 1 up in real mode", r"smp: 2 of 2 cpus up"]),
    "long64": (29, [r"long mode ok", r"cpl3 loop done cpl=3"]),
    "triple": (1, [r"triple fault", r"registers"]),
    "emufail": (1, [r"emulat", r"registers"]),
}

SCRIPT = "".join(
    f"section payload-{p} stamp -t 120 -- /lab/gasang run --kernel /lab/{p}.elf --cpus 2 --stats\n"
    for p in PAYLOADS) + f"""
APPEND='{APPEND}'
REPORT='{REPORT}'
section qemu inner qemu-system-x86_64 -M microvm,rtc=on -accel kvm -cpu host -m 512M -smp 2 \\
	-nodefaults -no-user-config -display none -serial stdio -no-reboot \\
	-kernel $GUEST_KERNEL -initrd $GUEST_INITRD -append "$APPEND -- $REPORT"
section gasang inner /lab/gasang run --kernel $GUEST_KERNEL --initrd $GUEST_INITRD \\
	--append "$APPEND -- $REPORT" --cpus 2 --mem 512M --stats
section gasang-poweroff inner /lab/gasang run --kernel $GUEST_KERNEL --initrd $GUEST_INITRD \\
	--append "$APPEND -- $REPORT; echo before-poweroff; poweroff -f; sleep 30; echo after" \\
	--cpus 1 --mem 384M
"""


@pytest.fixture(scope="module")
def lab_run(gasang):
    why = lab.unavailable()
    if why:
        pytest.skip(f"*** KVM lab SKIPPED: {why} ***")
    images = lab.build()
    payloads = lab.cache_dir() / "payloads"
    subprocess.run([str(ROOT / "tests/guests/x86/build.sh"), str(payloads)], check=True,
                   stdout=subprocess.DEVNULL)
    r = lab.run(SCRIPT, [gasang] + [payloads / f"{p}.elf" for p in PAYLOADS])
    r.images = images
    return r


def report(section):
    """(uname -r, nproc, MemTotal in bytes) from the inner guest's REPORT output."""
    out = section.output
    assert section.time_to_init is not None, f"the guest never reached /init:\n{out}"
    m = re.search(r"@@INNER-CMD-BEGIN@@\n(\S+)\n(\d+)\nMemTotal:\s+(\d+) kB", out)
    assert m, f"no uname/nproc/MemTotal report from the guest:\n{out}"
    return m.group(1), int(m.group(2)), int(m.group(3)) * 1024


def test_lab_has_real_kvm(lab_run):
    assert lab_run.kvm_ok, f"kvm-amd did not give a /dev/kvm:\n{lab_run.output}"
    assert lab_run.script_rc == 0, lab_run.output


def test_lab_reference_qemu_boots_cloud_kernel(lab_run):
    s = lab_run.section("qemu")
    uname, nproc, mem = report(s)
    assert uname == lab_run.images["INNER_VERSION"]
    assert nproc == 2
    assert 448 * MiB < mem <= 512 * MiB
    assert s.exit_status == 0 and not s.timed_out, s.output


def test_lab_gasang_boots_cloud_kernel_to_init(lab_run):
    s = lab_run.section("gasang")
    assert s.time_to_init is not None, f"gasang: the guest never reached /init:\n{s.output}"
    assert s.cmd_rc == 0, s.output


def test_lab_gasang_uname_is_the_cloud_kernel(lab_run):
    uname, _, _ = report(lab_run.section("gasang"))
    assert uname == lab_run.images["INNER_VERSION"]
    assert uname.endswith("-cloud-amd64")


def test_lab_gasang_nproc_equals_cpus(lab_run):
    assert report(lab_run.section("gasang"))[1] == 2
    assert report(lab_run.section("gasang-poweroff"))[1] == 1


def test_lab_gasang_memtotal_matches_mem(lab_run):
    # MemTotal is RAM minus what the kernel keeps for itself (its image, page structs, the
    # initramfs until freed...): between 85% and 100% of --mem for a stock cloud kernel.
    for name, size in (("gasang", 512 * MiB), ("gasang-poweroff", 384 * MiB)):
        mem = report(lab_run.section(name))[2]
        assert 0.85 * size < mem <= size, f"{name}: MemTotal {mem} for --mem {size}"


def test_lab_gasang_guest_poweroff_exits_zero(lab_run):
    s = lab_run.section("gasang-poweroff")
    assert "before-poweroff" in s.output, s.output
    assert "after" not in s.output.split("before-poweroff", 1)[1].replace("@@STAMP", "")
    assert not s.timed_out, f"gasang did not end after the guest's poweroff:\n{s.output}"
    assert s.exit_status == 0, s.output
    # The normal path too: /init's own poweroff after the command.
    g = lab_run.section("gasang")
    assert not g.timed_out and g.exit_status == 0, g.output


def test_lab_gasang_stats_table(lab_run):
    # stats_print(): "reason count total_ms mean_us p99_us", one row per exit reason, "total".
    out = lab_run.section("gasang").output
    assert re.search(r"^reason\s+count\s+total_ms\s+mean_us\s+p99_us$", out, re.M), out
    io = re.search(r"^\S*io\S*\s+(\d+)\s", out, re.M | re.I)
    assert io and int(io.group(1)) > 0, f"no port I/O exits counted:\n{out}"
    total = re.search(r"^total\s+(\d+)", out, re.M)
    assert total and int(total.group(1)) >= int(io.group(1)), out


@pytest.mark.parametrize("name", PAYLOADS)
def test_lab_payload(lab_run, name):
    status, patterns = PAYLOADS[name]
    s = lab_run.section(f"payload-{name}")
    assert not s.timed_out, s.output
    assert s.exit_status == status, f"{name}: exit {s.exit_status}, wanted {status}\n{s.output}"
    for pat in patterns:
        assert re.search(pat, s.output, re.M), f"{name}: no /{pat}/ in:\n{s.output}"
