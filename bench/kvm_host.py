#!/usr/bin/env python3
"""gasang vs QEMU on this host's KVM with the same Multiboot payloads (bench/kvm-host.sh).

Measured from outside, identically for both VMMs: the time from launch until the payload's
first console byte arrives (launch to first instruction, plus one UART exit), launch to exit,
exit round trips (bytes written between n port writes / n MMIO writes), and peak RSS."""
import os
import statistics
import subprocess
import sys
import tempfile
import time


def run(cmd):
    """Runs cmd; returns ([(time, byte)], t_exit, status, maxrss_kib) with times since launch.
    Peak RSS comes from /usr/bin/time: a child forked from Python would inherit Python's RSS
    as its high-water mark across exec."""
    rss_file = tempfile.NamedTemporaryFile(prefix="gasang-rss-", delete=False)
    rss_file.close()
    t0 = time.monotonic()
    p = subprocess.Popen(["/usr/bin/time", "-q", "-f", "%M", "-o", rss_file.name, *cmd],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL)
    marks = []
    fd = p.stdout.fileno()
    while True:
        b = os.read(fd, 1)
        if not b:
            break
        marks.append((time.monotonic() - t0, b))
    _, status, _ = os.wait4(p.pid, 0)
    t_exit = time.monotonic() - t0
    with open(rss_file.name) as f:
        maxrss = int(f.read().split()[-1])
    os.unlink(rss_file.name)
    return marks, t_exit, os.waitstatus_to_exitcode(status), maxrss


def first(marks, ch):
    return next(t for t, b in marks if b == ch)


def vmm_cmd(vmm, gasang, kernel, append):
    if vmm == "gasang":
        return [gasang, "run", "--kernel", kernel, "--mem", "256M", "--append", append]
    return ["qemu-system-x86_64", "-accel", "kvm", "-M", "pc", "-m", "256", "-nodefaults",
            "-display", "none", "-serial", "stdio", "-no-reboot", "-device",
            "isa-debug-exit,iobase=0xf4,iosize=1", "-kernel", kernel, "-append", append]


def main():
    gasang, payloads, runs, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    samples = {vmm: dict(boot=[], exit=[], rss=[], pio=[], mmio=[]) for vmm in ("gasang", "qemu")}
    # Interleaved, so that both VMMs see the same background load.
    for _ in range(runs):
        for vmm, d in samples.items():
            marks, t_exit, st, maxrss = run(vmm_cmd(vmm, gasang, f"{payloads}/first.elf", ""))
            if st != 65:
                sys.exit(f"{vmm}: first.elf exited {st}")
            d["boot"].append(first(marks, b"!"))
            d["exit"].append(t_exit)
            d["rss"].append(maxrss)
            marks, t_exit, st, _ = run(vmm_cmd(vmm, gasang, f"{payloads}/rt.elf", f"n={n}"))
            if st != 65:
                sys.exit(f"{vmm}: rt.elf exited {st}")
            a, b, c = first(marks, b"A"), first(marks, b"B"), first(marks, b"C")
            d["pio"].append((b - a) / n)
            d["mmio"].append((c - b) / n)
    res = {vmm: {k: statistics.median(v) for k, v in d.items()} for vmm, d in samples.items()}
    g, q = res["gasang"], res["qemu"]
    print(f"{'metric':36} {'gasang':>12} {'qemu':>12} {'gasang/qemu':>12}")
    for key, name, scale, unit in (("boot", "launch to first instruction", 1e3, "ms"),
                                   ("exit", "launch to exit", 1e3, "ms"),
                                   ("pio", "port I/O exit round trip", 1e6, "us"),
                                   ("mmio", "MMIO exit round trip", 1e6, "us"),
                                   ("rss", "peak RSS", 1 / 1024, "MiB")):
        print(f"{name + ' (' + unit + ')':36} {g[key] * scale:12.3f} {q[key] * scale:12.3f} "
              f"{g[key] / q[key]:12.3f}")


if __name__ == "__main__":
    main()
