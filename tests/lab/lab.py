#!/usr/bin/env python3
"""The KVM lab harness: boots the outer VM (Debian's generic kernel in QEMU TCG with an emulated
AMD CPU that has SVM, kvm-amd loaded) with a lab script and returns what the script printed.

Real KVM on emulated hardware: inside the outer VM, /dev/kvm is kvm-amd with nested paging, so an
inner VMM (gasang, or QEMU as the reference) can boot a stock Debian cloud kernel, which this
host's own /dev/kvm (kvm-pvm) cannot. tests/lab/build.sh builds and caches the images.

A lab script is a POSIX sh script run by busybox in the outer VM, in /lab (where the files given
to run() are, ELF files with their shared libraries). It has these helpers:

    section NAME CMD...   runs CMD (stdout+stderr), framed by @@BEGIN NAME@@ / @@END NAME rc=N@@
    inner VMM...          runs an inner VMM under `stamp` (killed after INNER_TIMEOUT=300 s: a
                          busy 2-core host can make a 10 s boot take 60 s), which adds
                          @@STAMP mark @@INNER-INIT@@ SECONDS@@ when the guest's /init starts,
                          @@STAMP mark @@INNER-CMD-END SECONDS@@, @@STAMP exit STATUS SECONDS@@,
                          and KVM's debugfs exit counters at each mark (Section.stats)
    $GUEST_KERNEL $GUEST_INITRD $GUEST_VERSION   the inner guest (stock cloud kernel, busybox)

The inner guest's /init prints @@INNER-UPTIME S@@ (its kernel's uptime at /init: the kernel's
share of the time to /init), runs the command after " -- " on its kernel command line between
@@INNER-CMD-BEGIN@@ and @@INNER-CMD-END rc=N@@, then powers off.

Command line: lab.py [--file F]... [--timeout S] SCRIPT   (prints the serial output; exit status
0 when the script ran to its end with status 0).
"""
import argparse
import fcntl
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
QEMU = "qemu-system-x86_64"

# The outer VM: one emulated CPU (TCG runs one host thread per vCPU; the hosts here have 2
# cores shared with other work), 2 GiB so an inner guest of up to ~1 GiB fits.
OUTER_MEM = "2048"
OUTER_APPEND = "console=ttyS0 quiet panic=-1"
# The outer VM's CPU model (GASANG_LAB_CPU overrides it). Without ERMS: QEMU's TCG runs a
# `rep stosb`/`rep movsb` one byte per translated-block iteration, and with ERMS both the outer
# kernel (clearing every fresh page) and the inner guests (clear_page, memset, memcpy) use
# them: page zeroing ~100x slower than the rest, which made fresh memory the lab's dominant
# cost (tests/lab/README.md). erms=off: the lab runs ~40 % faster, both VMMs alike.
OUTER_CPU = os.environ.get("GASANG_LAB_CPU", "max,erms=off")

PROLOGUE = r"""
GUEST_KERNEL=/guest/vmlinuz
GUEST_INITRD=/guest/initrd.cpio
GUEST_VERSION=$(cat /guest/version)
INNER_TIMEOUT=${INNER_TIMEOUT:-300}
# KVM's counters of exits to userspace, summed over live VMs (sampled at each stamp mark).
KVM_STATS=
for _s in exits io_exits mmio_exits signal_exits halt_exits irq_window_exits; do
	[ -r /sys/kernel/debug/kvm/$_s ] && KVM_STATS="$KVM_STATS -s /sys/kernel/debug/kvm/$_s"
done
section() {
	_name=$1
	shift
	echo "@@BEGIN $_name@@"
	"$@" 2>&1
	_rc=$?
	echo "@@END $_name rc=$_rc@@"
	return 0
}
inner() {
	stamp -t "$INNER_TIMEOUT" -m @@INNER-INIT@@ -m @@INNER-CMD-END $KVM_STATS -- "$@" </dev/null
}
"""


def cache_dir():
    base = os.environ.get("GASANG_CACHE") or os.path.expanduser("~/.cache/gasang")
    return pathlib.Path(base) / "lab"


def unavailable():
    """Why the lab cannot run here (None when it can). Only a missing QEMU counts: the images
    are fetched and built by build.sh as part of the setup, and a failure there is an error."""
    if shutil.which(QEMU) is None:
        return f"{QEMU} is not installed (Debian package qemu-system-x86)"
    return None


def build():
    """Builds (or finds cached) lab images; returns build.sh's KEY=VALUE dict."""
    r = subprocess.run([str(HERE / "build.sh")], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"tests/lab/build.sh failed:\n{r.stderr}")
    return dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)


class Section:
    """What one `section NAME CMD` printed, its status, and the stamps inside it."""

    def __init__(self, name, output, rc):
        self.name = name
        self.output = output
        self.rc = rc
        self.marks = {m: float(t) for m, t in
                      re.findall(r"^@@STAMP mark (\S+) ([\d.]+)@@$", output, re.M)}
        self.stats = {}
        for m, name, v in re.findall(r"^@@STAMP stat (\S+) (\S+) (\d+)@@$", output, re.M):
            self.stats.setdefault(m, {})[name] = int(v)
        ex = re.search(r"^@@STAMP exit (\d+) ([\d.]+)@@$", output, re.M)
        self.exit_status = int(ex.group(1)) if ex else None
        self.exit_time = float(ex.group(2)) if ex else None
        self.timed_out = "@@STAMP timeout" in output
        cmd = re.search(r"@@INNER-CMD-BEGIN@@\n(.*?)@@INNER-CMD-END rc=(\d+)@@", output, re.S)
        self.cmd_output = cmd.group(1) if cmd else None
        up = re.search(r"^@@INNER-UPTIME ([\d.]+)@@$", output, re.M)
        self.kernel_to_init = float(up.group(1)) if up else None
        self.cmd_rc = int(cmd.group(2)) if cmd else None

    @property
    def time_to_init(self):
        return self.marks.get("@@INNER-INIT@@")

    def __repr__(self):
        return f"<Section {self.name} rc={self.rc}>"


class LabRun:
    """The serial output of one outer boot, split into sections."""

    def __init__(self, output, status, wall):
        self.output = output
        self.status = status
        self.wall = wall
        self.kvm_ok = "@@LAB-KVM ok@@" in output
        end = re.search(r"@@LAB-SCRIPT-END rc=(\d+)", output)
        self.script_rc = int(end.group(1)) if end else None
        init = re.search(r"@@LAB-INIT uptime=([\d.]+)@@", output)
        self.outer_to_init = float(init.group(1)) if init else None
        self.sections = {
            m.group(1): Section(m.group(1), m.group(2), int(m.group(3)))
            for m in re.finditer(r"^@@BEGIN (\S+)@@\n(.*?)^@@END \1 rc=(\d+)@@$", output,
                                 re.S | re.M)
        }

    def section(self, name):
        s = self.sections.get(name)
        if s is None:
            raise AssertionError(f"lab section {name!r} missing; serial output:\n{self.output}")
        return s


def run(script, files=(), timeout=900, env=None):
    """Boots the outer VM once with SCRIPT (sh source) and FILES in /lab; returns a LabRun.
    Lab runs are serialized (one outer VM at a time) with a lock in the cache directory."""
    images = build()
    lab = cache_dir()
    with open(lab / "run.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with tempfile.TemporaryDirectory(dir=lab) as tmp:
            tmp = pathlib.Path(tmp)
            exports = "".join(f"{k}='{v}'\n" for k, v in (env or {}).items())
            (tmp / "script.sh").write_text(exports + PROLOGUE + script)
            subprocess.run([str(HERE / "build.sh"), "overlay", str(tmp / "overlay.cpio"),
                            str(tmp / "script.sh"), *map(str, files)], check=True)
            initrd = tmp / "initrd.cpio"
            with open(initrd, "wb") as out:
                for part in (images["OUTER_INITRD"], tmp / "overlay.cpio"):
                    with open(part, "rb") as f:
                        shutil.copyfileobj(f, out, 1 << 20)
            cmd = [QEMU, "-accel", "tcg", "-M", "q35", "-cpu", OUTER_CPU, "-m", OUTER_MEM,
                   "-smp", "1", "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio",
                   "-kernel", images["OUTER_KERNEL"], "-initrd", str(initrd),
                   "-append", OUTER_APPEND]
            t0 = time.monotonic()
            try:
                r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, timeout=timeout)
                out, status = r.stdout, r.returncode
            except subprocess.TimeoutExpired as e:
                out = (e.stdout or b"") + f"\n@@LAB-TIMEOUT {timeout}s@@\n".encode()
                status = None
            wall = time.monotonic() - t0
    text = out.decode("utf-8", "replace").replace("\r", "")
    (lab / "last-run.log").write_text(text)
    return LabRun(text, status, wall)


def main():
    ap = argparse.ArgumentParser(description="Run a script in the KVM lab's outer VM.")
    ap.add_argument("--file", action="append", default=[], help="file to put in /lab")
    ap.add_argument("--timeout", type=int, default=900)
    ap.add_argument("script", help="lab script (sh), '-' for stdin")
    args = ap.parse_args()
    why = unavailable()
    if why:
        print(f"lab: {why}", file=sys.stderr)
        return 2
    src = sys.stdin.read() if args.script == "-" else pathlib.Path(args.script).read_text()
    r = run(src, args.file, timeout=args.timeout)
    sys.stdout.write(r.output)
    print(f"lab: outer VM ran {r.wall:.1f} s, status {r.status}, script rc {r.script_rc}",
          file=sys.stderr)
    return 0 if r.script_rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
