"""The binary translator (--accel emu) against the interpreter (--accel emu-interp): the same
guest-visible results for busybox and the CPU benchmark under gasang exec, and for a Linux
boot to /init running busybox commands."""
import hashlib
import re
import shutil
import subprocess

import pytest

from conftest import ROOT, run_gasang
from riscv_guest import initramfs, kernel
from test_exec import CC, busybox_path

ENGINES = ("emu", "emu-interp")


@pytest.fixture(scope="module")
def busybox():
    p = busybox_path()
    if p is None:
        pytest.skip("*** no riscv64 busybox (guests/riscv64/build-initramfs.sh could not "
                    "build one): SKIPPED ***")
    return p


def test_exec_busybox_same_under_both_engines(busybox, tmp_path):
    data = tmp_path / "data.bin"
    data.write_bytes(bytes((i * 7 + (i >> 8)) & 0xff for i in range(300000)))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b").write_text("b\n")
    script = (f"cd {tmp_path}; ls; sha256sum data.bin; "
              "i=0; s=0; while [ $i -lt 2000 ]; do s=$((s + i * i % 7)); i=$((i + 1)); done; "
              "echo sum=$s; echo hello | tr a-z A-Z; sort -r sub/b data.bin | wc -c")
    outs = {}
    for e in ENGINES:
        r = run_gasang("exec", "--accel", e, busybox, "sh", "-c", script, check_status=0)
        outs[e] = r.stdout
    assert outs["emu"] == outs["emu-interp"]
    want = hashlib.sha256(data.read_bytes()).hexdigest()
    assert f"{want}  data.bin" in outs["emu"]
    assert "sum=" in outs["emu"] and "HELLO" in outs["emu"]


def test_exec_cpubench_same_under_both_engines(tmp_path):
    if not shutil.which(CC):
        pytest.skip(f"*** {CC} missing (scripts/install-deps.sh): SKIPPED ***")
    src = ROOT / "bench" / "cpubench.c"
    native, rv = tmp_path / "native", tmp_path / "rv64"
    subprocess.run(["gcc", "-O2", "-ffp-contract=off", "-static", "-o", native, src], check=True)
    subprocess.run([CC, "-O2", "-ffp-contract=off", "-static", "-o", rv, src], check=True)
    want = subprocess.run([native], capture_output=True, text=True, check=True).stdout

    def sums(out):
        return [line.split()[1:3] for line in out.splitlines() if "total" not in line]
    for e in ENGINES:
        r = run_gasang("exec", "--accel", e, rv, timeout=180, check_status=0)
        assert len(sums(want)) == 5 and sums(r.stdout) == sums(want), e


def test_exec_rejects_unknown_engine(busybox):
    r = run_gasang("exec", "--accel", "tcg", busybox, "true")
    assert r.returncode == 2
    assert r.stderr.strip() == "gasang: exec: unknown engine 'tcg' (emu or emu-interp)"


CMD = ("echo jit-$((6*7)); sha256sum /init; ls /bin | wc -l; "
       "i=0; while [ $i -lt 500 ]; do i=$((i+1)); done; echo loop=$i")


def test_linux_boots_same_under_translator_and_interpreter(monkeypatch):
    """Tiered (the default), every block translated at its first entry, interpreter."""
    outs = {}
    for e in ("emu", "emu-hot1", "emu-interp"):
        monkeypatch.delenv("GASANG_JIT_HOT", raising=False)
        if e == "emu-hot1":
            monkeypatch.setenv("GASANG_JIT_HOT", "1")
        r = run_gasang("run", "--arch", "riscv64", "--accel", e.replace("-hot1", ""),
                       "--kernel", kernel(),
                       "--initrd", initramfs(), "--mem", "256M",
                       "--append", f'console=ttyS0 quiet gasang.run="{CMD}"', timeout=120)
        out = r.stdout + r.stderr
        assert "gasang-init: up" in out, out[-3000:]
        m = re.search(r"jit-42.*?loop=500", out, re.S)
        assert m, out[-3000:]
        outs[e] = m.group(0).replace("\r", "")
        assert re.search(r"gasang-init: exit status 0", out), out[-3000:]
    assert outs["emu"] == outs["emu-interp"] == outs["emu-hot1"]


def test_jit_debug_dump_disassembles_host_code(busybox):
    """GASANG_JIT_DEBUG=2 dumps every translated block's host code through capstone."""
    import os
    from conftest import gasang_path
    r = subprocess.run([gasang_path(), "exec", "--accel", "emu", busybox, "true"],
                       capture_output=True, text=True, timeout=60,
                       env={**os.environ, "GASANG_JIT_DEBUG": "2"})
    assert r.returncode == 0, r.stderr[-2000:]
    # "gasang: jit: <guest pc>: <host address>  <mnemonic> <operands>"
    lines = re.findall(r"^gasang: jit: [0-9a-f]+: [0-9a-f]+  (\w+)", r.stderr, re.M)
    assert len(lines) > 100
    assert {"mov", "jmp", "cmp"} <= set(lines)


def test_capstone_loaded_only_for_the_dump():
    """capstone (~3 MiB of RSS in relocations) is dlopen()ed by the dump, not linked in."""
    from conftest import gasang_path
    r = subprocess.run(["ldd", gasang_path()], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "libc.so" in r.stdout, r.stdout + r.stderr
    assert "capstone" not in r.stdout, r.stdout


def test_jit_perf_map_names_blocks(busybox, tmp_path):
    """GASANG_JIT_PERF=1 writes /tmp/perf-PID.map with one line per translated block."""
    import os
    from conftest import gasang_path
    p = subprocess.Popen([gasang_path(), "exec", "--accel", "emu", busybox, "true"],
                         env={**os.environ, "GASANG_JIT_PERF": "1"})
    assert p.wait(timeout=60) == 0
    path = f"/tmp/perf-{p.pid}.map"
    try:
        lines = open(path).read().splitlines()
    finally:
        os.unlink(path)
    assert lines and all(re.fullmatch(r"[0-9a-f]+ [0-9a-f]+ guest_[0-9a-f]+", ln) for ln in lines)
