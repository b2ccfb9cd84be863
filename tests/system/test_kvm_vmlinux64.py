"""The 64-bit vmlinux entry on the host's /dev/kvm: the vm64.elf payload (tests/guests/x86, an
x86-64 ELF without Multiboot header or PVH note) is entered at its ELF entry in long mode and
checks the zero page rsi points at (boot flag, "HdrS", loader type, e820, initrd, command line).
It is booted as an ELF, and wrapped into fake bzImages whose payload is vm64.elf compressed by
the host tools the kernel build uses (lz4 -l, gzip, xz, zstd, each followed by the decompressed
size as the kernel build appends it): gasang decompresses them on the host. The fake bzImage's
"decompressor" (at load address + 0x200, where --boot-protocol bzimage enters) just debug-exits
5, which tells the two paths apart. Bad payloads end with one error line."""
import shutil
import struct
import subprocess

import pytest

from conftest import run_gasang
from x86_payloads import payload

VM64_STATUS = (9 << 1) | 1
INNER_STATUS = (5 << 1) | 1
INITRD_TEXT = b"hello initrd\nsecond line\n"
# 64-bit code: mov $5, %al; out %al, $0xf4; hlt
FAKE_DECOMPRESSOR = bytes([0xb0, 0x05, 0xe6, 0xf4, 0xf4])

COMPRESSORS = {
    "lz4": (["lz4", "-l", "-9", "-c"], True),
    "gzip": (["gzip", "-9", "-n", "-c"], False),  # ISIZE already ends the stream
    "xz": (["xz", "--check=crc32", "-c"], True),
    "zstd": (["zstd", "-19", "-q", "-c"], True),
}


@pytest.fixture(autouse=True)
def _kvm(kvm):
    pass


def compress(fmt, data):
    cmd, append_size = COMPRESSORS[fmt]
    if shutil.which(cmd[0]) is None:
        pytest.fail(f"{cmd[0]} is not installed (scripts/install-deps.sh installs it)")
    out = subprocess.run(cmd, input=data, capture_output=True, check=True).stdout
    return out + struct.pack("<I", len(data)) if append_size else out


def fake_bzimage(compressed, setup_sects=4, init_size=0x400000):
    """Boot sector + setup + protected-mode part: the fake decompressor at +0x200, then the
    payload (payload_offset/payload_length point at it, as in a real bzImage)."""
    pm = bytearray(0x200) + FAKE_DECOMPRESSOR
    pm = pm.ljust(0x400, b"\x90")
    payload_off = len(pm)
    pm += compressed
    pm = pm.ljust((len(pm) + 15) // 16 * 16, b"\0")
    setup = bytearray(512 * (setup_sects + 1))
    hdr = {
        0x1f1: struct.pack("<B", setup_sects),
        0x1f4: struct.pack("<I", len(pm) // 16),
        0x1fe: struct.pack("<H", 0xaa55),
        0x200: bytes([0xeb, 0x66]),
        0x202: b"HdrS",
        0x206: struct.pack("<H", 0x20f),
        0x211: struct.pack("<B", 1),  # LOADED_HIGH
        0x214: struct.pack("<I", 0x100000),
        0x22c: struct.pack("<I", 0x7fffffff),
        0x230: struct.pack("<I", 0x200000),
        0x234: struct.pack("<B", 1),
        0x236: struct.pack("<H", 1),  # XLF_KERNEL_64
        0x238: struct.pack("<I", 2048),
        0x248: struct.pack("<II", payload_off, len(compressed)),
        0x258: struct.pack("<Q", 0x1000000),
        0x260: struct.pack("<I", init_size),
    }
    for off, b in hdr.items():
        setup[off:off + len(b)] = b
    return bytes(setup) + bytes(pm)


def vm64_bytes():
    with open(payload("vm64.elf"), "rb") as f:
        return f.read()


def one_error_line(r, *words):
    assert r.returncode != 0
    lines = [l for l in r.stderr.splitlines() if "no VT-x/AMD-V" not in l]
    assert len(lines) == 1 and lines[0].startswith("gasang: "), r.stderr
    for w in words:
        assert w in lines[0], (w, r.stderr)


def test_elf_vmlinux_entered_in_long_mode(tmp_path):
    rd = tmp_path / "initrd"
    rd.write_bytes(INITRD_TEXT)
    r = run_gasang("run", "--kernel", payload("vm64.elf"), "--initrd", rd, "--mem", "64M",
                   "--append", "console=ttyS0 a=1", check_status=VM64_STATUS)
    assert "vm64 ok e820=4 ramend=04000000 initrd=hello initrd cmd=console=ttyS0 a=1" in r.stdout
    # the same through --boot-protocol vmlinux64; without an initrd
    r = run_gasang("run", "--kernel", payload("vm64.elf"), "--boot-protocol", "vmlinux64",
                   "--mem", "128M", check_status=VM64_STATUS)
    assert "vm64 ok e820=4 ramend=08000000 initrd=none cmd=\n" in r.stdout


@pytest.mark.parametrize("fmt", sorted(COMPRESSORS))
def test_bzimage_payload_decompressed_on_host(tmp_path, fmt):
    k = tmp_path / f"bzImage.{fmt}"
    k.write_bytes(fake_bzimage(compress(fmt, vm64_bytes())))
    rd = tmp_path / "initrd"
    rd.write_bytes(INITRD_TEXT)
    r = run_gasang("run", "--kernel", k, "--initrd", rd, "--mem", "96M", "--append", f"fmt={fmt}",
                   check_status=VM64_STATUS)
    assert f"vm64 ok e820=4 ramend=06000000 initrd=hello initrd cmd=fmt={fmt}" in r.stdout


def test_boot_protocol_bzimage_keeps_in_guest_decompression(tmp_path):
    k = tmp_path / "bzImage"
    k.write_bytes(fake_bzimage(compress("lz4", vm64_bytes())))
    run_gasang("run", "--kernel", k, "--boot-protocol", "bzimage", check_status=INNER_STATUS)
    run_gasang("run", "--kernel", k, "--boot-protocol", "vmlinux64", check_status=VM64_STATUS)


def test_unknown_payload_format_falls_back_to_the_guest(tmp_path):
    # bzip2 (the kernel can decompress it, gasang does not): auto enters the bzImage
    k = tmp_path / "bzImage"
    k.write_bytes(fake_bzimage(b"BZh91AY&SY" + bytes(64)))
    run_gasang("run", "--kernel", k, check_status=INNER_STATUS)
    one_error_line(run_gasang("run", "--kernel", k, "--boot-protocol", "vmlinux64"),
                   "bzip2-compressed payload is not decompressed on the host")


def test_bad_payloads(tmp_path):
    good = compress("lz4", vm64_bytes())
    cases = {
        # garbage after the LZ4 magic
        "garbage": (good[:4] + bytes(range(256)) * 4 + good[-4:], "bzImage payload: lz4"),
        # the compressed stream cut short (the size trailer kept)
        "truncated": (good[:len(good) // 2] + good[-4:], "truncated"),
        # garbage gzip stream
        "gzip": (b"\x1f\x8b\x08\x00" + bytes(200) + struct.pack("<I", 4096),
                 "bzImage payload: gzip"),
        # the declared size exceeds guest RAM
        "huge": (good[:-4] + struct.pack("<I", 0xfff00000), "more than the"),
    }
    for name, (data, words) in cases.items():
        k = tmp_path / f"bzImage.{name}"
        k.write_bytes(fake_bzimage(data))
        one_error_line(run_gasang("run", "--kernel", k, "--mem", "64M"), str(k), words)
    # the kernel's init_size does not fit in guest RAM
    k = tmp_path / "bzImage.big"
    k.write_bytes(fake_bzimage(good, init_size=0x8000000))
    one_error_line(run_gasang("run", "--kernel", k, "--mem", "64M"), "guest RAM is too small")


def test_boot_protocol_option():
    one_error_line(run_gasang("run", "--kernel", payload("vm64.elf"), "--boot-protocol", "uefi"),
                   "--boot-protocol")
    one_error_line(run_gasang("run", "--kernel", payload("pvh.elf"), "--boot-protocol",
                              "bzimage"), "not a bzImage")
    r = run_gasang("run", "--help")
    assert "--boot-protocol" in r.stdout
