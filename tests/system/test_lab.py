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

# The payload guests (tests/guests/x86, as in test_kvm_payloads.py on the host) on kvm-amd with
# nested paging: name -> (file, gasang run arguments, exit status, patterns in the output).
# Exit status: (v<<1)|1 for a debug-exit write of v, the HC_EXIT status, 0 after an i8042
# reset, 1 after a guest error. (Not here: --mem 4G, more than the outer VM's 2 GiB.)
PAYLOADS = {
    "pio": ("pio.elf", "--stats", 67, [r"^IO\s+1000\s"]),  # 1000 port writes -> 1000 IO exits
    "mmio": ("mmio.elf", "--stats", 33, [r"mmio read ffffffff", r"^MMIO\s+1000\s"]),
    "hcall": ("hcall.elf", "--cpus 2", 42,
              [r"version=1 cpus=2 time_s=\d+ monotonic efault=14 enosys=38",
               r"console wrote \d+ bytes", r"boot marker: guest reached it"]),
    "devices": ("devices.elf", "--cpus 2 --append foo=bar", 7,
                [r"fw_cfg sig=QEMU cpus=2 ram_mib=256 rtc_year=20\d\d",
                 r"cmdline=/lab/devices.elf foo=bar mem_upper_kib=261120 mmap_entries=4"]),
    "i8042-reset": ("devices.elf", "--append reboot", 0, [r"fw_cfg sig=QEMU"]),
    "pvpanic": ("devices.elf", "--append panic", 1,
                [r"guest error: the guest kernel panicked \(pvpanic\)"]),
    # host time: not bounded on a busy host
    "timer": ("timer.elf", "--append ticks=10", 23, [r"timer ticks=10 elapsed_ms=\d+"]),
    "smp": ("smp.elf", "--cpus 4 --stats", 25,
            [r"cpu 1 up in real mode", r"cpu 2 up in real mode", r"cpu 3 up in real mode",
             r"smp: 4 of 4 cpus up", r"4 vCPUs"]),
    "long64": ("long64.elf", "--stats", 29, [r"long mode ok", r"cpl3 loop done cpl=3",
                                             r"^IO\s+5\s"]),
    "aout": ("aout.bin", "", 11, [r"a.out kludge kernel ok"]),
    "pvh": ("pvh.elf", "--append 'hello pvh'", 15, [r"pvh ok memmap=4 cmdline=hello pvh"]),
    "triple": ("triple.elf", "", 1, [r"triple fault", r"registers"]),
    "emufail": ("emufail.elf", "", 1, [r"emulat", r"registers"]),
}
PAYLOAD_FILES = sorted({f for f, _, _, _ in PAYLOADS.values()})

SCRIPT = "".join(
    f"section payload-{name} stamp -t 120 -- /lab/gasang run --kernel /lab/{f} {args}\n"
    for name, (f, args, _, _) in PAYLOADS.items()) + f"""
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
    r = lab.run(SCRIPT, [gasang] + [payloads / f for f in PAYLOAD_FILES])
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
    _, _, status, patterns = PAYLOADS[name]
    s = lab_run.section(f"payload-{name}")
    assert not s.timed_out, s.output
    assert s.exit_status == status, f"{name}: exit {s.exit_status}, wanted {status}\n{s.output}"
    for pat in patterns:
        assert re.search(pat, s.output, re.M), f"{name}: no /{pat}/ in:\n{s.output}"
