"""riscv64 bad input: garbage kernels and ELFs, load addresses outside RAM, memory too small.
Each ends gasang with one clear error line and a non-zero status, never a crash."""
import os
import struct
import subprocess

from conftest import ROOT, gasang_path, run_gasang
from riscv_guest import baremetal_dir, kernel


def one_error_line(r, *words):
    assert r.returncode not in (0, None) and r.returncode > 0, r
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("gasang: "), lines[0]
    for w in words:
        assert w in lines[0], lines[0]


def riscv(*args):
    return run_gasang("run", "--arch", "riscv64", *args, timeout=30)


def test_garbage_kernel(tmp_path):
    p = tmp_path / "garbage"
    p.write_bytes(os.urandom(1 << 16))
    one_error_line(riscv("--kernel", p), "not a RISC-V Linux Image")
    p.write_bytes(b"x")
    one_error_line(riscv("--kernel", p), "too small")
    one_error_line(riscv("--kernel", tmp_path / "missing"), "missing")


def test_kernel_larger_than_ram(tmp_path):
    # A valid header whose image_size (64 MiB) cannot fit in 16 MiB of RAM.
    hdr = struct.pack("<IIQQQIIQ8sI", 0, 0, 0x200000, 64 << 20, 0, 2, 0, 0, b"RISCV\0\0\0",
                      0x05435352)
    p = tmp_path / "Image"
    p.write_bytes(hdr + b"\0" * 4)
    one_error_line(riscv("--kernel", p, "--mem", "16M"), "memory too small")


def test_memory_too_small_for_kernel_and_initrd(tmp_path):
    big = tmp_path / "initrd"
    big.write_bytes(b"\0" * (40 << 20))
    one_error_line(riscv("--kernel", kernel(), "--initrd", big, "--mem", "32M"),
                   "memory too small")


def test_garbage_elf(tmp_path):
    p = tmp_path / "garbage.elf"
    p.write_bytes(b"\x7fELF" + os.urandom(4096))
    one_error_line(riscv("--elf", p))
    p.write_bytes(os.urandom(100))
    one_error_line(riscv("--elf", p), "not an ELF")
    # An x86-64 ELF (the Python interpreter) is refused.
    one_error_line(riscv("--elf", "/usr/bin/true"), "RISC-V")


def test_console_file_that_cannot_be_opened():
    one_error_line(riscv("--elf", baremetal_dir() / "trap.elf", "--console",
                         "file:/nonexistent/dir/log"), "--console")


def test_elf_with_kernel_is_refused():
    one_error_line(riscv("--elf", baremetal_dir() / "trap.elf", "--kernel", kernel()),
                   "--elf cannot be combined")


def test_elf_segment_outside_ram(tmp_path):
    src = tmp_path / "low.S"
    src.write_text(".globl _start\n_start: j _start\n")
    elf = tmp_path / "low.elf"
    subprocess.run(["riscv64-unknown-elf-gcc", "-nostdlib", "-Wl,-Ttext=0x1000", "-o", elf, src],
                   check=True)
    one_error_line(riscv("--elf", elf), "outside guest RAM")
    # Linked for RAM, but past the end of 16 MiB of it.
    subprocess.run(["riscv64-unknown-elf-gcc", "-nostdlib", "-Wl,-Ttext=0x81000000", "-o", elf,
                    src], check=True)
    one_error_line(riscv("--elf", elf, "--mem", "16M"), "outside guest RAM")
    assert riscv("--elf", baremetal_dir() / "trap.elf", "--mem", "16M").returncode == 0


def test_guest_executing_garbage_traps_not_crashes(tmp_path):
    # Random words as M-mode code with no trap handler: the hart takes traps (to mtvec = 0,
    # not RAM, so it keeps faulting); gasang stays up, counts them, and stops on SIGTERM.
    src = tmp_path / "garbage.S"
    src.write_text(".section .text.init\n.globl _start\n_start:\n" + "".join(
        f".word {int.from_bytes(os.urandom(4), 'little')}\n" for _ in range(256)))
    elf = tmp_path / "garbage.elf"
    subprocess.run(["riscv64-unknown-elf-gcc", "-nostdlib", "-T",
                    ROOT / "tests/guests/riscv/link.ld", "-Wl,--no-warn-rwx-segments", "-o",
                    elf, src], check=True)
    p = subprocess.Popen([gasang_path(), "run", "--arch", "riscv64", "--elf", elf, "--mem", "16M",
                          "--console", "none", "--stats"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        p.wait(timeout=2)
    except subprocess.TimeoutExpired:
        p.terminate()
    out, err = p.communicate(timeout=10)
    assert p.returncode >= 0, f"gasang died of signal {-p.returncode}"
    # Still running after 2 s (a random store could also have hit the UART: fine).
    assert p.returncode == 128 + 15, err
    assert "exc:" in err, err
