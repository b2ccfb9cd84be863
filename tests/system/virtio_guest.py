"""Linux guests for the virtio system tests: the riscv64 kernel and busybox (the prebuilt ones
from ../shared/guests or $GASANG_GUESTS, else the project's own builds, riscv_guest.py), and an
initramfs built here around a test's shell script. The script runs as /init with busybox
installed; the initramfs ends with a poweroff."""
import os
import pathlib
import subprocess
import time

import pytest

import riscv_guest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def guests_dir():
    for d in (os.environ.get("GASANG_GUESTS"), ROOT.parent / "shared" / "guests",
              "/work/shared/guests"):
        if d and (pathlib.Path(d) / "riscv64" / "Image").exists():
            return pathlib.Path(d)
    pytest.skip("*** no prebuilt riscv64 guest (set GASANG_GUESTS): virtio guest tests SKIPPED ***")


def riscv_kernel():
    """The riscv64 kernel Image: prebuilt, else built by guests/riscv64/build-kernel.sh."""
    d = os.environ.get("GASANG_GUESTS")
    if d and (pathlib.Path(d) / "riscv64" / "Image").exists():
        return pathlib.Path(d) / "riscv64" / "Image"
    return pathlib.Path(riscv_guest.kernel())


def riscv_busybox():
    d = os.environ.get("GASANG_GUESTS")
    if d and (pathlib.Path(d) / "riscv64" / "busybox").exists():
        return pathlib.Path(d) / "riscv64" / "busybox"
    return riscv_guest.busybox()


def kernel_with(option):
    """A riscv64 kernel Image built with option=y, or None: the prebuilt one, else one that
    guests/riscv64/build-kernel.sh built into the cache (config kept in linux-src/.config), or
    a kernel placed in $GASANG_CACHE/riscv64-vsock/ (Image + kernel.config)."""
    cache = pathlib.Path(os.environ.get("GASANG_CACHE", pathlib.Path.home() / ".cache/gasang"))
    for d in (riscv_kernel().parent, cache / "riscv64", cache / "riscv64-vsock"):
        for config in (d / "kernel.config", d / "linux-src" / ".config"):
            if (d / "Image").exists() and config.exists() and f"{option}=y" in config.read_text():
                return d / "Image"
    return None


def _cpio_entry(name, mode, data=b"", ino=[1000]):
    ino[0] += 1
    name_b = name.encode() + b"\0"
    hdr = "070701" + "".join(f"{v:08x}" for v in (
        ino[0], mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0))
    out = hdr.encode() + name_b
    out += b"\0" * (-len(out) % 4)
    out += data + b"\0" * (-len(data) % 4)
    return out


PRELUDE = """#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo GASANG-GUEST-UP
"""

EPILOGUE = """
echo GASANG-GUEST-DONE
poweroff -f
"""


def make_initramfs(path, script, files=None):
    """Writes a cpio (newc) initramfs with busybox and /init = PRELUDE + script + EPILOGUE."""
    busybox = riscv_busybox().read_bytes()
    blob = b""
    for d in ("bin", "dev", "proc", "sys", "mnt", "tmp", "www"):
        blob += _cpio_entry(d, 0o040755)
    blob += _cpio_entry("bin/busybox", 0o100755, busybox)
    blob += _cpio_entry("init", 0o100755, (PRELUDE + script + EPILOGUE).encode())
    for name, data in (files or {}).items():
        blob += _cpio_entry(name, 0o100644, data.encode() if isinstance(data, str) else data)
    blob += _cpio_entry("TRAILER!!!", 0)
    pathlib.Path(path).write_bytes(blob)
    return path


class Guest:
    """A running gasang with a riscv64 Linux guest; output collected from stdout."""

    def __init__(self, gasang, tmp_path, script, args=(), files=None, append="console=ttyS0",
                 kernel=None, env=None):
        initrd = make_initramfs(tmp_path / "initrd.cpio", script, files)
        self.cmd = [gasang, "run", "--arch", "riscv64", "--mem", "256M",
                    "--kernel", str(kernel or riscv_kernel()),
                    "--initrd", str(initrd), "--append", f"{append} panic=-1 quiet",
                    *map(str, args)]
        self.out = b""
        self.p = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE,
                                  env={**os.environ, **env} if env else None)
        os.set_blocking(self.p.stdout.fileno(), False)

    def _pump(self):
        try:
            chunk = self.p.stdout.read()
        except BlockingIOError:
            chunk = None
        if chunk:
            self.out += chunk
        return chunk

    def wait_for(self, marker, timeout=180):
        """Waits until marker appears on the console; skips when no board can boot."""
        deadline = time.monotonic() + timeout
        while marker.encode() not in self.out:
            if self.p.poll() is not None:
                self._pump()
                if marker.encode() in self.out:
                    break
                err = self.p.stderr.read().decode(errors="replace")
                if "not built yet" in err:
                    pytest.skip(f"*** riscv64 board not built yet: SKIPPED ({err.strip()}) ***")
                raise AssertionError(f"gasang exited {self.p.returncode} before '{marker}'\n"
                                     f"stderr: {err}\nconsole:\n{self.text()}")
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"timeout waiting for '{marker}'\nconsole:\n{self.text()}")
            if not self._pump():
                time.sleep(0.05)
        return self.text()

    def finish(self, timeout=180):
        self.wait_for("GASANG-GUEST-DONE", timeout)
        try:
            self.p.wait(timeout=30)
        finally:
            self.kill()
        self._pump()
        return self.text()

    def text(self):
        return self.out.decode(errors="replace")

    def kill(self, sig=9):
        if self.p.poll() is None:
            self.p.send_signal(sig)
            self.p.wait(timeout=30)
