#!/usr/bin/env python3
"""bench/io: virtio I/O, gasang vs QEMU (TCG), same riscv64 guest, image and back end.

Boots the same Linux Image and initramfs (plus bench/iobench, cross-compiled static) on
  gasang run --arch riscv64 --disk IMG --net user,hostfwd=...        and
  qemu-system-riscv64 -M virt  with virtio-blk-device (raw file) and virtio-net-device (user),
each with a fresh raw image, both running for the whole benchmark. In each guest iobench serves
the host over the hostfwd port; per round, every metric is measured on one VMM and right after on
the other (order alternating by round): O_DIRECT sequential write/read (1 MiB blocks) and 4 KiB
random write/read (fixed seed) on /dev/vda, timed by the guest clock (checked against the host's),
and TCP: the host times sending N MiB to the guest and receiving N MiB from it.
Prints medians, the ratio gasang/QEMU (higher is better, target >= 1.0) and the spread of the
per-round ratios.
"""
import argparse
import io
import os
import pathlib
import re
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from emu import newc_entry, script  # noqa: E402

LINE = re.compile(r"iobench: (\S+) ([\d.]+) (MB/s|IOPS)")
GPORT = 5001
MIB = 1 << 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Vm:
    """A running VM whose console is collected by a thread."""

    def __init__(self, cmd):
        self.lines, self.stamps, self.cv = [], [], threading.Condition()
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in io.TextIOWrapper(self.p.stdout, errors="replace"):
            with self.cv:
                self.lines.append(raw)
                self.stamps.append(time.monotonic())
                self.cv.notify_all()
        with self.cv:
            self.lines.append(None)
            self.cv.notify_all()

    def wait_for(self, text, timeout=300):
        end = time.monotonic() + timeout
        with self.cv:
            while True:
                if any(l is not None and text in l for l in self.lines):
                    return
                if None in self.lines or time.monotonic() > end:
                    self.p.kill()
                    sys.exit(f"bench/io: no '{text}' from the guest:\n" +
                             "".join(l for l in self.lines[-30:] if l))
                self.cv.wait(1)

    def stamp(self, text):
        return next(t for l, t in zip(self.lines, self.stamps) if l and text in l)

    def results(self):
        return {m.group(1): float(m.group(2)) for l in self.lines if l
                for m in [LINE.search(l)] if m}


def connect(port):
    c = socket.create_connection(("127.0.0.1", port), timeout=120)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * MIB)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * MIB)
    return c


def tcp_to_guest(port, mib):
    chunk = b"\xa5" * (256 * 1024)
    t = time.monotonic()
    with connect(port) as c:
        c.sendall(b"R")
        for _ in range(mib * 4):
            c.sendall(chunk)
        c.shutdown(socket.SHUT_WR)
        reply = recv_line(c)
    t = time.monotonic() - t
    if reply.split() != [b"OK", str(mib * MIB).encode()]:
        sys.exit(f"bench/io: host->guest transfer incomplete: {reply!r}")
    return mib * MIB / 1e6 / t


def recv_line(c):
    """The guest's one-line reply (up to its newline, or all it sent before closing)."""
    reply = b""
    while b"\n" not in reply:
        d = c.recv(100)
        if not d:
            break
        reply += d
    return reply


def tcp_from_guest(port, mib):
    t = time.monotonic()
    got = 0
    with connect(port) as c:
        c.sendall(b"S" + struct.pack(">I", mib))
        while True:
            d = c.recv(1 << 18)
            if not d:
                break
            got += len(d)
    t = time.monotonic() - t
    if got != mib * MIB:
        sys.exit(f"bench/io: guest->host transfer incomplete: {got} bytes")
    return mib * MIB / 1e6 / t


def disk_phase(port, op, count):
    """One disk phase in the guest ('w'/'r': sequential MiB, 'W'/'R': random 4 KiB ops).
    Returns (value, guest seconds, host seconds)."""
    t = time.monotonic()
    with connect(port) as c:
        c.sendall(b"D" + op.encode() + struct.pack(">I", count))
        reply = recv_line(c)
    t = time.monotonic() - t
    f = reply.split()
    if len(f) != 2:
        sys.exit(f"bench/io: disk phase {op} failed in the guest: {reply!r}")
    return float(f[0]), float(f[1]), t


METRICS = ("seq-write", "seq-read", "rand-write", "rand-read", "tcp-host-to-guest",
           "tcp-guest-to-host")
UNITS = {"seq-write": "MB/s", "seq-read": "MB/s", "rand-write": "IOPS", "rand-read": "IOPS",
         "tcp-host-to-guest": "MB/s", "tcp-guest-to-host": "MB/s"}


def measure(metric, vm, args):
    op = {"seq-write": ("w", args.seq_mib), "seq-read": ("r", args.seq_mib),
          "rand-write": ("W", args.rand_ops), "rand-read": ("R", args.rand_ops)}
    if metric in op:
        v, g, h = disk_phase(vm.port, *op[metric])
        vm.clock[0] += g
        vm.clock[1] += h
        return v
    if metric == "tcp-host-to-guest":
        return tcp_to_guest(vm.port, args.tcp_mib)
    return tcp_from_guest(vm.port, args.tcp_mib)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5,
                    help="rounds; each measures every metric on both VMMs back to back")
    ap.add_argument("--accel", default="emu", choices=("emu", "emu-interp"))
    ap.add_argument("--seq-mib", type=int, default=128)
    ap.add_argument("--rand-ops", type=int, default=4000)
    ap.add_argument("--tcp-mib", type=int, default=32)
    ap.add_argument("--disk-mib", type=int, default=256)
    ap.add_argument("--image-dir", default=None,
                    help="where the disk images live (default: /dev/shm when it has room, so "
                         "the host's physical disk and its other users stay out of the "
                         "comparison; else the temporary directory)")
    ap.add_argument("--gasang", default=os.environ.get("GASANG", ROOT / "build/src/gasang"))
    args = ap.parse_args()
    if args.seq_mib > args.disk_mib:
        sys.exit("bench/io: --seq-mib larger than --disk-mib")
    kernel = script("guests/riscv64/build-kernel.sh")
    base = script("guests/riscv64/build-initramfs.sh")
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="gasang-bench-io-"))
    if args.image_dir is None:
        shm = pathlib.Path("/dev/shm")
        room = shutil.disk_usage(shm).free if shm.is_dir() and os.access(shm, os.W_OK) else 0
        args.image_dir = shm if room > 4 * args.disk_mib * MIB else None
    imgs = pathlib.Path(tempfile.mkdtemp(prefix="gasang-bench-io-", dir=args.image_dir))
    try:
        run_all(args, kernel, base, tmp, imgs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(imgs, ignore_errors=True)


def start_vm(name, args, kernel, initrd, append, imgs):
    img = imgs / f"{name}.img"
    with open(img, "wb") as f:
        f.truncate(args.disk_mib * MIB)
    port = free_port()
    fwd = f"hostfwd=tcp:127.0.0.1:{port}-:{GPORT}"
    if name == "gasang":
        cmd = [str(args.gasang), "run", "--arch", "riscv64", "--kernel", kernel,
               "--initrd", str(initrd), "--mem", "256M", "--accel", args.accel,
               "--disk", str(img), "--net", "user," + fwd, "--append", append]
    else:
        cmd = ["qemu-system-riscv64", "-M", "virt", "-m", "256M", "-smp", "1",
               "-nographic", "-no-reboot", "-kernel", kernel, "-initrd", str(initrd),
               "-drive", f"file={img},format=raw,if=none,id=d0",
               "-device", "virtio-blk-device,drive=d0",
               "-netdev", f"user,id=n0,{fwd}", "-device", "virtio-net-device,netdev=n0",
               "-append", append]
    vm = Vm(cmd)
    vm.name, vm.img, vm.port, vm.clock = name, img, port, [0.0, 0.0]
    return vm


def stop_vm(vm):
    with connect(vm.port) as c:
        c.sendall(b"Q")
    vm.wait_for("gasang-init: exit status")
    try:
        vm.p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        vm.p.kill()
    head = vm.img.read_bytes()[:4096]
    if head != bytes((i * 131 + 7) & 0xFF for i in range(4096)):
        sys.exit(f"bench/io: {vm.name}: the guest's writes are not in the image: {head[:16].hex()}\n" + "".join(l for l in vm.lines[-20:] if l))


def run_all(args, kernel, base, tmp, imgs):
    subprocess.run(["riscv64-linux-gnu-gcc", "-static", "-O2", "-o", tmp / "iobench",
                    ROOT / "bench/iobench.c"], check=True)
    initrd = tmp / "initrd.cpio"
    cpio = newc_entry("bin/iobench", (tmp / "iobench").read_bytes(), 0o100755)
    initrd.write_bytes(pathlib.Path(base).read_bytes() + cpio +
                       newc_entry("TRAILER!!!", b"", 0))
    run = ("ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up; route add default gw 10.0.2.2; "
           f"/bin/iobench tcp {GPORT} /dev/vda")
    append = f'console=ttyS0 quiet gasang.run="{run}"'
    # Both VMs run for the whole benchmark; each metric is measured on one, then right away
    # on the other (the order alternating by round), so a pair sees the same host load.
    vms = {n: start_vm(n, args, kernel, initrd, append, imgs) for n in ("gasang", "qemu")}
    for vm in vms.values():
        vm.wait_for("iobench: tcp listening")
    vals = {n: {m: [] for m in METRICS} for n in vms}
    loads = []
    for rnd in range(args.runs):
        order = ("gasang", "qemu") if rnd % 2 == 0 else ("qemu", "gasang")
        loads.append(os.getloadavg()[0])
        for m in METRICS:
            for n in order:
                vals[n][m].append(measure(m, vms[n], args))
    for vm in vms.values():
        stop_vm(vm)

    print(f"bench/io: {args.runs} rounds, both VMMs up together, each metric measured on one "
          f"then the other (order alternating); gasang --accel {args.accel} vs QEMU TCG; "
          f"seq {args.seq_mib} MiB, rand {args.rand_ops} ops, tcp {args.tcp_mib} MiB; host: "
          f"{os.cpu_count()} CPUs, load {min(loads):.1f}-{max(loads):.1f} during the runs; "
          f"images in {imgs.parent}")
    print("higher is better; ratio = median gasang / median QEMU, target >= 1.0; "
          "pair ratios: min-max of the per-round ratios")
    for n, vm in vms.items():
        g, h = vm.clock
        print(f"clock check {n}: disk phases {g:.2f} s by the guest clock, {h:.2f} s by the "
              f"host's (round trips)")
    for m in METRICS:
        g, q = statistics.median(vals["gasang"][m]), statistics.median(vals["qemu"][m])
        pairs = [a / b for a, b in zip(vals["gasang"][m], vals["qemu"][m])]
        u = UNITS[m]
        print(f"{m:18} gasang {g:9.1f} {u:4}  qemu {q:9.1f} {u:4}  ratio {g / q:5.2f}  "
              f"pairs {min(pairs):.2f}-{max(pairs):.2f} ({sum(p >= 1 for p in pairs)}/"
              f"{len(pairs)} >= 1)  {'met' if g / q >= 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
