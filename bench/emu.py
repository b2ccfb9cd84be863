#!/usr/bin/env python3
"""bench/emu: the riscv64 software engine against QEMU (TCG) and native.

Boots the same Linux Image and initramfs (plus the cpubench program) with
  gasang run --arch riscv64            and
  qemu-system-riscv64 -M virt          (Debian's qemu-system-misc, OpenSBI fw_dynamic),
measures the time from launch to /init ("gasang-init: up" on the console), runs cpubench in
the guest on both, and natively on the host; checks that all checksums agree and prints the
ratios (gasang / QEMU). Targets for the interpreter: boot <= 2x QEMU, cpubench <= 4x QEMU.
"""
import argparse
import io
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
LINE = re.compile(r"cpubench: (\S+)\s+(\S+)\s+([\d.]+) ms")


def script(path):
    return subprocess.run([str(ROOT / path)], check=True, capture_output=True,
                          text=True).stdout.strip().splitlines()[-1]


def newc_entry(name, data, mode):
    hdr = "070701" + "".join(f"{v:08x}" for v in [
        0, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0])
    out = hdr.encode() + name.encode() + b"\0"
    out += b"\0" * (-len(out) % 4) + data
    return out + b"\0" * (-len(out) % 4)


def bench_initrd(base, binary, path):
    """The guest initramfs with /bin/cpubench appended as a second cpio archive."""
    cpio = newc_entry("bin/cpubench", binary.read_bytes(), 0o100755)
    cpio += newc_entry("TRAILER!!!", b"", 0)
    path.write_bytes(pathlib.Path(base).read_bytes() + cpio)


def cpu_seconds(pid):
    """CPU time of every thread of pid so far (on a loaded host a fairer boot measure than
    wall time; QEMU's includes its I/O and RCU threads)."""
    ns = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                ns += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return ns / 1e9


def run_guest(cmd, timeout=600):
    """Runs a VM; returns (seconds to /init, cpubench results, total seconds, CPU seconds to
    /init)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL)
    boot, results, out, cpu = None, {}, [], None
    for raw in io.TextIOWrapper(p.stdout, errors="replace"):
        out.append(raw)
        if boot is None and "gasang-init: up" in raw:
            boot = time.monotonic() - t0
            cpu = cpu_seconds(p.pid)
        m = LINE.search(raw)
        if m:
            results[m.group(1)] = (m.group(2), float(m.group(3)))
    p.wait(timeout=timeout)
    total = time.monotonic() - t0
    if boot is None or "total" not in results:
        sys.exit("bench/emu: guest run failed:\n" + "".join(out[-30:]))
    return boot, results, total, cpu


def interleaved(vms, runs):
    """Runs every VM once per round, runs rounds: load changes on a shared host hit every
    engine alike. Returns {name: [run_guest() results]}."""
    res = {name: [] for name in vms}
    for _ in range(runs):
        for name, cmd in vms.items():
            res[name].append(run_guest(cmd))
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--accel", default="emu", choices=("emu", "emu-interp"),
                    help="gasang engine: emu (translator) or emu-interp (interpreter)")
    ap.add_argument("--gasang", default=os.environ.get("GASANG", ROOT / "build/src/gasang"))
    args = ap.parse_args()
    kernel = script("guests/riscv64/build-kernel.sh")
    base = script("guests/riscv64/build-initramfs.sh")
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="gasang-bench-"))
    try:
        run_all(args, kernel, base, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_all(args, kernel, base, tmp):
    src = ROOT / "bench/cpubench.c"
    flags = ["-O2", "-ffp-contract=off", "-static"]
    subprocess.run(["gcc", *flags, "-o", tmp / "native", src], check=True)
    subprocess.run(["riscv64-linux-gnu-gcc", *flags, "-o", tmp / "rv", src], check=True)
    initrd = tmp / "initrd.cpio"
    bench_initrd(base, tmp / "rv", initrd)
    append = 'console=ttyS0 quiet gasang.run="/bin/cpubench"'
    vms = {
        "gasang": [str(args.gasang), "run", "--arch", "riscv64", "--kernel", kernel,
                   "--initrd", str(initrd), "--mem", "256M", "--accel", args.accel,
                   "--append", append],
        "qemu": ["qemu-system-riscv64", "-M", "virt", "-m", "256M", "-smp", "1",
                 "-nographic", "-no-reboot", "-kernel", kernel, "-initrd", str(initrd),
                 "-append", append],
    }
    res = interleaved(vms, args.runs)
    native = subprocess.run([tmp / "native"], check=True, capture_output=True, text=True).stdout
    nat = {m.group(1): (m.group(2), float(m.group(3))) for m in LINE.finditer(native)}

    print(f"bench/emu: {args.runs} runs each, median; host: {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f}")
    bg = statistics.median(r[0] for r in res["gasang"])
    bq = statistics.median(r[0] for r in res["qemu"])
    print(f"{'boot to /init':14} gasang {bg:7.2f} s   qemu {bq:7.2f} s   ratio {bg / bq:5.2f}"
          f"  (target <= 2)")
    cg = statistics.median(r[3] for r in res["gasang"])
    cq = statistics.median(r[3] for r in res["qemu"])
    print(f"{'boot CPU time':14} gasang {cg:7.2f} s   qemu {cq:7.2f} s   ratio {cg / cq:5.2f}"
          f"  (all threads, launch to /init)")
    ok = True
    for k in nat:
        g = statistics.median(r[1][k][1] for r in res["gasang"])
        q = statistics.median(r[1][k][1] for r in res["qemu"])
        sums = {res["gasang"][0][1][k][0], res["qemu"][0][1][k][0], nat[k][0]}
        same = len(sums) == 1
        ok &= same
        print(f"{'cpubench ' + k:22} gasang {g:8.1f} ms  qemu {q:8.1f} ms  native "
              f"{nat[k][1]:7.1f} ms  ratio {g / q:5.2f}  checksum "
              f"{'ok' if same else 'MISMATCH ' + str(sums)}")
    if not ok:
        sys.exit("bench/emu: checksums differ between gasang, QEMU and native")


if __name__ == "__main__":
    main()
