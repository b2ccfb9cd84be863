"""virtio on the x86_64 KVM board: bad virtio arguments give one error line; with
GASANG_SLOW_TESTS=1, the tiny x86 Linux guest (about a minute to boot on kvm-pvm hosts) finds
the virtio-mmio devices from virtio_mmio.device= (--virtio-transport mmio) or the virtio-pci
functions on the PCI host (default; this kernel has no ACPI and no MSI: conf1 probing and INTx)
and writes an ext4 file through virtio-blk, over the ioeventfd fast path."""
import os
import pathlib
import secrets
import shutil
import socket
import subprocess

import pytest

from conftest import run_gasang
from virtio_guest import _cpio_entry, guests_dir
from x86_payloads import payload

TINY_APPEND = ("console=ttyS0 reboot=k panic=-1 quiet noxsave "
               "clearcpuid=popcnt,smap,fsgsbase,pcid,invpcid,rdtscp,114,379 mitigations=off "
               "percpu_alloc=page noreplace-smp 8250.nr_uarts=1")


def x86_kernel():
    k = guests_dir() / "x86_64" / "vmlinux"
    if not k.exists():
        pytest.skip("*** no prebuilt x86_64 tiny kernel: SKIPPED ***")
    return k


def bad_run(*args):
    # Device set-up fails before the kernel would run: any loadable kernel will do, so one of
    # the project's own payloads, not a prebuilt Linux.
    r = run_gasang("run", "--kernel", payload("first.elf"), *args, timeout=60)
    assert r.returncode != 0
    lines = [l for l in r.stderr.splitlines() if "no VT-x/AMD-V" not in l]
    assert len(lines) == 1 and lines[0].startswith("gasang: "), r.stderr
    return lines[0]


def test_x86_missing_disk(kvm, tmp_path):
    err = bad_run("--disk", tmp_path / "nope.img")
    assert "nope.img" in err and "No such file" in err


def test_x86_directory_as_disk(kvm, tmp_path):
    assert "Is a directory" in bad_run("--disk", tmp_path)


def test_x86_bad_virtio_transport(kvm):
    assert "--virtio-transport" in bad_run("--virtio-transport", "isa")


def test_x86_host_port_in_use(kvm):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        err = bad_run("--net", f"user,hostfwd=tcp:127.0.0.1:{port}-:80")
    assert str(port) in err and "in use" in err


@pytest.mark.parametrize("transport", ["mmio", "pci"])
def test_x86_linux_ext4_on_virtio_blk(kvm, gasang, tmp_path, transport):
    if not os.environ.get("GASANG_SLOW_TESTS"):
        pytest.skip("*** slow (tiny x86 Linux on KVM, ~1-3 min): set GASANG_SLOW_TESTS=1 ***")
    if not shutil.which("mkfs.ext4") or not os.path.exists("/bin/busybox"):
        pytest.skip("*** needs e2fsprogs and busybox-static: SKIPPED ***")
    token = secrets.token_hex(8)
    script = f"""#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mount -t ext4 /dev/vda /mnt && echo {token} > /mnt/x.txt && sync && umount /mnt && echo X86-WROTE
echo RNG=$(dd if=/dev/hwrng bs=16 count=1 2>/dev/null | hexdump -v -e '16/1 "%02x"')
reboot -f
"""
    blob = b"".join(_cpio_entry(d, 0o040755) for d in ("bin", "dev", "proc", "sys", "mnt"))
    blob += _cpio_entry("bin/busybox", 0o100755, pathlib.Path("/bin/busybox").read_bytes())
    blob += _cpio_entry("init", 0o100755, script.encode()) + _cpio_entry("TRAILER!!!", 0)
    (tmp_path / "initrd.cpio").write_bytes(blob)
    img = tmp_path / "disk.img"
    with open(img, "wb") as f:
        f.truncate(32 << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", str(img)], check=True)
    r = run_gasang("run", "--kernel", x86_kernel(), "--initrd", tmp_path / "initrd.cpio",
                   "--mem", "256M", "--disk", img, "--rng", "--append", TINY_APPEND,
                   "--stats", "--virtio-transport", transport, timeout=900)
    assert "X86-WROTE" in r.stdout, r.stdout + r.stderr
    # Queue notifications arrived through ioeventfds on the event loop, not MMIO exits.
    notify = "virtio:ioeventfd-notify" if transport == "mmio" else "virtio-pci:ioeventfd-notify"
    assert notify in r.stderr, r.stderr
    rng = next(l for l in r.stdout.splitlines() if l.startswith("RNG="))[4:].strip()
    assert len(rng) == 32 and rng != "0" * 32
    out = subprocess.run(["debugfs", "-R", "cat /x.txt", str(img)], capture_output=True,
                         text=True).stdout
    assert out.strip() == token
