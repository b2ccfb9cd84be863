"""The KVM lab (tests/lab): gasang boots a stock Debian cloud kernel under real KVM.

This host's /dev/kvm (kvm-pvm) cannot boot x86 Linux, so the lab boots Debian's generic kernel
in QEMU TCG with an emulated AMD CPU that has SVM; inside, kvm-amd gives a real /dev/kvm with
nested paging. All checks share ONE outer boot (about a minute on 2 cores): gasang runs the
KVM payload guests (tests/guests/x86) on real KVM semantics, QEMU boots the cloud guest (the
reference: it validates the lab itself), then gasang boots it twice with different --cpus/--mem
(the default boot, the bzImage's payload decompressed on the host, and --boot-protocol
bzimage, the kernel decompressing itself), once ending through the guest's own `poweroff`, and
once with a virtio-blk disk, virtio-rng and virtio-net (user mode) over virtio-pci (the stock
kernel's own virtio modules, MSI-X interrupts): the guest writes a file on the ext4 disk, the host reads it back with debugfs; in
the same boot a read-only second disk refuses writes, vsock echoes both ways (stock vsock
modules, Firecracker-style Unix sockets in the outer VM) and TCP goes both ways through slirp.
"""
import base64
import gzip
import pathlib
import re
import secrets
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
    "vm64": ("vm64.elf", "--append 'hello vm64'", 19,
             [r"vm64 ok e820=4 ramend=10000000 initrd=none cmd=hello vm64"]),
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
section gasang inner env GASANG_DEBUG=1 /lab/gasang run --kernel $GUEST_KERNEL \\
	--initrd $GUEST_INITRD --append "$APPEND -- $REPORT" --cpus 2 --mem 512M --stats
section gasang-poweroff inner env GASANG_DEBUG=1 /lab/gasang run --kernel $GUEST_KERNEL \\
	--initrd $GUEST_INITRD \\
	--append "$APPEND -- $REPORT; echo before-poweroff; poweroff -f; sleep 30; echo after" \\
	--cpus 1 --mem 384M --boot-protocol bzimage
ip link set lo up
mkdir -p /tmp/www && echo {{TCP_UP}} >/tmp/www/t && httpd -p 127.0.0.1:8000 -h /tmp/www
/lab/vsock_host /tmp/v.sock 5000 1234 {{VSOCK_DOWN}} 300 8081 >/tmp/vsock-host.log 2>&1 &
VSOCK_HOST=$!
section gasang-virtio-pci inner /lab/gasang run --kernel $GUEST_KERNEL --initrd $GUEST_INITRD \\
	--append "$APPEND lab.virtio -- mkdir /m;mount /dev/vda /m;cp /m/t.sh /;sh /t.sh" \\
	--cpus 1 --mem 256M --disk /lab/vpci.img --rng --net user,hostfwd=tcp:127.0.0.1:8081-:80 \\
	--disk /lab/vsock.img,ro --vsock 3,uds=/tmp/v.sock --stats
section vsock-host cat /tmp/vsock-host.log
kill $VSOCK_HOST 2>/dev/null
section virtio-pci-image sh -c 'gzip -c /lab/vpci.img | base64'
"""

# vsock over virtio-pci, Firecracker-style Unix sockets on the host side (tests/lab/vsock_host.c
# in the outer VM): the guest sends VSOCK_UP to the host's port 5000, the host sends VSOCK_DOWN
# to the guest's echo server on port 1234. The guest's programs come from a read-only disk.
# TCP through libslirp on the KVM engine: the guest fetches TCP_UP from an HTTP server in the
# outer VM (10.0.2.2:8000 -> its 127.0.0.1:8000), and vsock_host reads TCP_DOWN from the guest's
# one-shot server through hostfwd (outer 127.0.0.1:8081 -> guest port 80).
VSOCK_UP, VSOCK_DOWN = secrets.token_hex(8), secrets.token_hex(8)
TCP_UP, TCP_DOWN = secrets.token_hex(8), secrets.token_hex(8)
SCRIPT = SCRIPT.replace("{VSOCK_DOWN}", VSOCK_DOWN).replace("{TCP_UP}", TCP_UP)

# Run by the inner guest from its virtio-pci disk (the kernel command line is too short for it:
# the stock kernel passes at most 32 words to init).
VPCI_SCRIPT = """cat /m/seed.txt
echo "$(cat /proc/sys/kernel/random/boot_id)" > /m/hello.txt
echo wrote=$(cat /m/hello.txt)
sync
umount /m && echo umounted
echo rng=$(head -c 32 /dev/hwrng | od -An -tx1 | tr -d ' \\n')
ip link set eth0 up; ip addr add 10.0.2.15/24 dev eth0
ping -c 1 -W 10 10.0.2.2 >/dev/null && echo ping-ok
grep virtio /proc/interrupts
for d in /sys/bus/pci/devices/*; do echo pci $(cat $d/vendor) $(cat $d/device) $(cat $d/revision); done
echo ro=$(cat /sys/block/vdb/ro)
dd if=/dev/zero of=/dev/vdb bs=512 count=1 conv=fsync 2>/dev/null; echo ro-dd-rc=$?
mkdir /v; mount -o ro /dev/vdb /v && echo vsock-disk-mounted
/v/vsock_echo send 5000 {VSOCK_UP}
timeout 120 /v/vsock_echo 1234 1
echo tcp-up=$(wget -q -O - http://10.0.2.2:8000/t)
echo {TCP_DOWN} | timeout 120 nc -l -p 80 && echo tcp-served
""".replace("{VSOCK_UP}", VSOCK_UP).replace("{TCP_DOWN}", TCP_DOWN)


def vsock_files(tmp):
    """The outer VM's vsock_host (dynamic: the overlay copies its libraries) and a read-only
    ext4 disk for the inner guest holding a static vsock_echo."""
    host = tmp / "vsock_host"
    subprocess.run(["gcc", "-O2", "-o", str(host), str(ROOT / "tests/lab/vsock_host.c")],
                   check=True)
    d = tmp / "vsock"
    d.mkdir()
    subprocess.run(["gcc", "-static", "-O2", "-o", str(d / "vsock_echo"),
                    str(ROOT / "tests/guests/vsock_echo.c")], check=True)
    img = tmp / "vsock.img"
    with open(img, "wb") as f:
        f.truncate(2 * MiB)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-b", "1024", "-N", "16", "-O", "^has_journal",
                    "-d", str(d), str(img)], check=True)
    return [host, img]


def vpci_image(tmp):
    """A 4 MiB ext4 image (no journal: small) holding seed.txt and the guest's script."""
    seed = tmp / "seed"
    seed.mkdir()
    (seed / "seed.txt").write_text("seed-from-host\n")
    (seed / "t.sh").write_text(VPCI_SCRIPT)
    img = tmp / "vpci.img"
    with open(img, "wb") as f:
        f.truncate(4 * MiB)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-b", "1024", "-N", "64", "-O", "^has_journal",
                    "-d", str(seed), str(img)], check=True)
    return img


@pytest.fixture(scope="module")
def lab_run(gasang, tmp_path_factory):
    why = lab.unavailable()
    if why:
        pytest.skip(f"*** KVM lab SKIPPED: {why} ***")
    images = lab.build()
    payloads = lab.cache_dir() / "payloads"
    subprocess.run([str(ROOT / "tests/guests/x86/build.sh"), str(payloads)], check=True,
                   stdout=subprocess.DEVNULL)
    tmp = tmp_path_factory.mktemp("lab")
    img = vpci_image(tmp)
    r = lab.run(SCRIPT, [gasang, img] + vsock_files(tmp) + [payloads / f for f in PAYLOAD_FILES])
    r.images = images
    r.tmp = tmp
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


def test_lab_gasang_default_decompresses_on_the_host(lab_run):
    # The default boot of the stock bzImage: its LZ4 payload decompressed by gasang, the
    # vmlinux entered at its 64-bit entry; --boot-protocol bzimage (the poweroff run) keeps the
    # kernel's own decompressor and still boots (test_lab_gasang_guest_poweroff_exits_zero).
    out = lab_run.section("gasang").output
    assert re.search(r"bzImage: lz4 payload of \d+ KiB decompressed on the host", out), out
    m = re.search(r"vmlinux: (\d+) KiB of segments at 0x1000000 \((\d+) KiB moved\) .* "
                  r"entry 0x1000000", out)
    assert m, out
    # decompressed where .text and .data land in place: only .data..percpu and the init
    # segment (about a third) are moved down after decompression
    assert int(m.group(2)) * 2 < int(m.group(1)), m.group(0)
    assert "decompressed on the host" not in lab_run.section("gasang-poweroff").output


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
    # and by device: the stock kernel's serial console and CMOS clock; no PCI host without a
    # PCI device (Linux would scan the empty bus 0), but one with virtio-pci devices
    devs = out.split("exits by device", 1)
    assert len(devs) == 2, out
    assert re.search(r"^uart16550\s+\d+", devs[1], re.M), out
    assert re.search(r"^rtc-cmos\s+\d+", devs[1], re.M), out
    assert "pci-host" not in devs[1], out
    vpci = lab_run.section("gasang-virtio-pci").output.split("exits by device", 1)
    assert len(vpci) == 2 and re.search(r"^pci-host\s+\d+", vpci[1], re.M), vpci[-1]


@pytest.mark.parametrize("name", PAYLOADS)
def test_lab_payload(lab_run, name):
    _, _, status, patterns = PAYLOADS[name]
    s = lab_run.section(f"payload-{name}")
    assert not s.timed_out, s.output
    assert s.exit_status == status, f"{name}: exit {s.exit_status}, wanted {status}\n{s.output}"
    for pat in patterns:
        assert re.search(pat, s.output, re.M), f"{name}: no /{pat}/ in:\n{s.output}"


def test_lab_virtio_pci_devices_found(lab_run):
    s = lab_run.section("gasang-virtio-pci")
    assert s.cmd_output is not None, f"the guest never ran its command:\n{s.output}"
    pci = re.findall(r"^pci (\S+) (\S+) (\S+)$", s.cmd_output, re.M)
    # The host bridge, then virtio-blk (0x1040 + 2) and virtio-rng (0x1040 + 4), revision 1.
    assert ("0x8086", "0x29c0", "0x00") in pci, s.output
    assert ("0x1af4", "0x1042", "0x01") in pci, s.output
    assert ("0x1af4", "0x1044", "0x01") in pci, s.output
    assert ("0x1af4", "0x1041", "0x01") in pci, s.output  # virtio-net


def test_lab_virtio_pci_net_user_ping(lab_run):
    # virtio-net over virtio-pci (3 MSI-X vectors) to libslirp's gateway.
    out = lab_run.section("gasang-virtio-pci").cmd_output or ""
    assert "ping-ok" in out, out
    assert re.search(r"PCI-MSI\S*\s+\S+\s+virtio\d-input\.0$", out, re.M), out


def test_lab_virtio_pci_msix_interrupts(lab_run):
    out = lab_run.section("gasang-virtio-pci").cmd_output or ""
    req = re.search(r"^\s*\d+:\s+(\d+)\s+PCI-MSI\S*\s+\S+\s+virtio0-req\.0$", out, re.M)
    assert req and int(req.group(1)) > 0, f"no MSI-X interrupts on virtio-blk's queue:\n{out}"


def test_lab_virtio_pci_blk_write_read_back_on_host(lab_run):
    s = lab_run.section("gasang-virtio-pci")
    out = s.cmd_output or ""
    assert "seed-from-host" in out, s.output
    assert "umounted" in out, s.output
    wrote = re.search(r"^wrote=(\S+)$", out, re.M)
    assert wrote and len(wrote.group(1)) == 36, s.output  # a boot_id UUID
    assert s.exit_status == 0 and not s.timed_out, s.output
    dump = "".join(lab_run.section("virtio-pci-image").output.split())
    img = lab_run.tmp / "back.img"
    img.write_bytes(gzip.decompress(base64.b64decode(dump)))
    r = subprocess.run(["debugfs", "-R", "cat /hello.txt", str(img)], capture_output=True,
                       text=True, check=True)
    assert r.stdout.strip() == wrote.group(1), r.stdout + r.stderr


def test_lab_virtio_pci_rng_bytes(lab_run):
    out = lab_run.section("gasang-virtio-pci").cmd_output or ""
    m = re.search(r"^rng=([0-9a-f]*)$", out, re.M)
    assert m and len(m.group(1)) == 64, f"no 32 bytes from /dev/hwrng:\n{out}"
    assert m.group(1) != "0" * 64


def test_lab_virtio_pci_vsock_guest_to_host(lab_run):
    # The guest connects to CID 2 port 5000: gasang reaches the Unix socket /tmp/v.sock_5000.
    out = lab_run.section("gasang-virtio-pci").cmd_output or ""
    host = lab_run.section("vsock-host").output
    assert "vsock-disk-mounted" in out, out
    assert f"VSOCK-REPLY:host-saw-{VSOCK_UP}" in out, out + host
    assert f"vsock-host: guest said {VSOCK_UP}" in host, host


def test_lab_virtio_pci_vsock_host_to_guest(lab_run):
    # CONNECT 1234 on /tmp/v.sock, OK <port>, then the guest's echo server returns the token.
    out = lab_run.section("gasang-virtio-pci").cmd_output or ""
    host = lab_run.section("vsock-host").output
    assert f"vsock-host: echo {VSOCK_DOWN}" in host, host + out
    assert "VSOCK-ECHOED" in out, host + out


def test_lab_virtio_pci_net_tcp_guest_to_host(lab_run):
    out = lab_run.section("gasang-virtio-pci").cmd_output or ""
    assert f"tcp-up={TCP_UP}" in out, out


def test_lab_virtio_pci_net_tcp_host_to_guest_hostfwd(lab_run):
    out = lab_run.section("gasang-virtio-pci").cmd_output or ""
    host = lab_run.section("vsock-host").output
    assert f"tcp-host: got {TCP_DOWN}" in host, host + out
    assert "tcp-served" in out and "vsock-host: done rc=0" in host, host + out


def test_lab_virtio_pci_readonly_disk_refuses_writes(lab_run):
    out = lab_run.section("gasang-virtio-pci").cmd_output or ""
    assert re.search(r"^ro=1$", out, re.M), out
    rc = re.search(r"^ro-dd-rc=(\d+)$", out, re.M)
    assert rc and rc.group(1) != "0", out
