"""Bad input and guest errors on the x86 board: one clear line on stderr and a non-zero exit;
a guest that triple-faults or hits an emulation failure ends with a message and a register
dump, never a hang."""
import os
import struct

import pytest

from conftest import run_gasang
from x86_payloads import payload, is_root


def one_error_line(r, *words):
    assert r.returncode != 0
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gasang: "), r.stderr
    for w in words:
        assert w in lines[0], (w, r.stderr)


def bzimage(setup_sects=4, version=0x20f, payload_len=8192, xloadflags=1, initrd_max=0x7fffffff):
    """A synthetic bzImage: boot sector + setup + protected-mode payload."""
    setup = bytearray(512 * (setup_sects + 1))
    hdr = {
        0x1f1: struct.pack("<B", setup_sects),
        0x1f4: struct.pack("<I", payload_len // 16),
        0x1fe: struct.pack("<H", 0xaa55),
        0x200: bytes([0xeb, 0x66]),  # jump over the 2.15 header, to 0x268
        0x202: b"HdrS",
        0x206: struct.pack("<H", version),
        0x211: struct.pack("<B", 1),  # loadflags: LOADED_HIGH
        0x214: struct.pack("<I", 0x100000),
        0x22c: struct.pack("<I", initrd_max),
        0x230: struct.pack("<I", 0x200000),
        0x234: struct.pack("<B", 1),
        0x236: struct.pack("<H", xloadflags),
        0x238: struct.pack("<I", 2048),
        0x260: struct.pack("<I", 0x400000),
    }
    for off, b in hdr.items():
        setup[off:off + len(b)] = b
    return bytes(setup) + b"\x90" * payload_len


@pytest.fixture(autouse=True)
def _kvm(kvm):
    pass


def test_missing_kernel():
    one_error_line(run_gasang("run", "--kernel", "/nonexistent/vmlinuz"), "/nonexistent/vmlinuz",
                   "No such file")


def test_garbage_kernel(tmp_path):
    k = tmp_path / "garbage"
    k.write_bytes(os.urandom(65536))
    one_error_line(run_gasang("run", "--kernel", k), "not a bzImage, PVH ELF or Multiboot")


def test_empty_kernel(tmp_path):
    k = tmp_path / "empty"
    k.write_bytes(b"")
    one_error_line(run_gasang("run", "--kernel", k), "empty")


def test_unreadable_files(tmp_path):
    one_error_line(run_gasang("run", "--kernel", tmp_path), str(tmp_path))
    one_error_line(run_gasang("run", "--kernel", payload("pio.elf"), "--initrd", tmp_path),
                   "--initrd")
    if not is_root():
        k = tmp_path / "secret"
        k.write_bytes(b"x")
        k.chmod(0)
        one_error_line(run_gasang("run", "--kernel", k), "Permission denied")


def test_truncated_bzimage(tmp_path):
    k = tmp_path / "bzImage"
    k.write_bytes(bzimage()[:512 * 3])
    one_error_line(run_gasang("run", "--kernel", k), "truncated")


def test_old_boot_protocol_bzimage(tmp_path):
    k = tmp_path / "bzImage"
    k.write_bytes(bzimage(version=0x204))
    one_error_line(run_gasang("run", "--kernel", k), "boot protocol")


def test_initrd_too_big_for_guest_memory(tmp_path):
    big = tmp_path / "initrd"
    with open(big, "wb") as f:
        f.truncate(40 << 20)
    k = tmp_path / "bzImage"
    k.write_bytes(bzimage())
    one_error_line(run_gasang("run", "--kernel", k, "--mem", "32M", "--initrd", big), "initrd")
    one_error_line(run_gasang("run", "--kernel", payload("pio.elf"), "--mem", "32M",
                              "--initrd", big), "initrd")


def test_mem_absurd():
    one_error_line(run_gasang("run", "--kernel", payload("pio.elf"), "--mem", "1000G"), "--mem")
    one_error_line(run_gasang("run", "--kernel", payload("pio.elf"), "--mem", "0"), "--mem")


def test_cpus_zero_or_above_limit():
    one_error_line(run_gasang("run", "--kernel", payload("pio.elf"), "--cpus", "0"), "--cpus")
    one_error_line(run_gasang("run", "--kernel", payload("pio.elf"), "--cpus", "5000"),
                   "--cpus")


def test_triple_fault_dumps_registers():
    r = run_gasang("run", "--kernel", payload("triple.elf"), timeout=30)
    assert r.returncode != 0
    assert "gasang: guest error: vCPU 0 triple fault" in r.stderr
    assert "rip=" in r.stderr and "cr0=" in r.stderr and "idt=" in r.stderr


def test_emulation_failure_dumps_registers():
    r = run_gasang("run", "--kernel", payload("emufail.elf"), timeout=30)
    assert r.returncode != 0
    assert "gasang: guest error:" in r.stderr
    assert "KVM cannot emulate an instruction" in r.stderr
    assert "rip=00000000d0000000" in r.stderr
