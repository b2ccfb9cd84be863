"""gasang's memory footprint: the binary needs only libc at load time (the third-party libraries
are linked in statically; libslirp, with the glib and pcre2 it drags along, is dlopen()ed only
when a --net user backend is created), checked on the ELF file and on a running VMM's
/proc/PID/maps."""
import os
import platform
import re
import shutil
import subprocess

import pytest

from conftest import gasang_path
from x86_payloads import payload

# What the plain, ASan/UBSan and fuzz builds may load at start: libc, the dynamic loader, and
# the sanitizers' runtimes (which bring libstdc++, libgcc_s and libm along).
ALLOWED_NEEDED = re.compile(r"^(libc\.so\.6|ld-linux-x86-64\.so\.2|lib(a|ub|l|t)san\.so\.\d+|"
                            r"libstdc\+\+\.so\.6|libgcc_s\.so\.1|libm\.so\.6)$")
SANITIZER = re.compile(r"^lib(a|ub|l|t)san\.so")


def needed(path):
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True,
                         check=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def test_needed_is_libc_only():
    if platform.machine() != "x86_64":
        pytest.skip("*** not an x86-64 host (libm and the loader's name differ): SKIPPED ***")
    if not shutil.which("readelf"):
        pytest.skip("*** readelf (binutils) missing: NEEDED check SKIPPED ***")
    libs = needed(gasang_path())
    assert "libc.so.6" in libs
    assert all(ALLOWED_NEEDED.match(l) for l in libs), libs
    if not any(SANITIZER.match(l) for l in libs):
        # libm is only allowed as a sanitizer runtime's dependency: the RISC-V FPU uses the
        # host's sqrt and FMA instructions directly.
        assert "libm.so.6" not in libs, libs


def mapped_libraries(*extra):
    """Starts rt.elf (a long port-I/O loop), waits for its first byte, and returns the file
    names of the shared objects in the running gasang's /proc/PID/maps."""
    p = subprocess.Popen([gasang_path(), "run", "--kernel", payload("rt.elf"), "--mem", "256M",
                          "--append", "n=200000000", *extra],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        first = p.stdout.read(1)
        assert first == b"A", p.stderr.read().decode(errors="replace")
        with open(f"/proc/{p.pid}/maps") as f:
            maps = f.read()
    finally:
        p.terminate()
        p.communicate(timeout=30)
    return {os.path.basename(m) for m in re.findall(r"\s(/\S+\.so[.\d]*)$", maps, re.M)}


def test_run_without_net_maps_no_slirp_glib_or_third_party_libs(kvm):
    libs = mapped_libraries()
    assert "libc.so.6" in libs
    unwanted = [l for l in libs if re.match(
        r"lib(slirp|glib|pcre2|z|lzma|zstd|lz4|jansson|seccomp|cap|uring|fdt|m)[-.]", l)]
    if any(SANITIZER.match(l) for l in libs):  # the sanitizers' runtimes need libm
        unwanted = [l for l in unwanted if not l.startswith("libm.")]
    assert not unwanted, libs


def test_net_user_loads_slirp_on_demand(kvm):
    libs = mapped_libraries("--net", "user")
    assert any(l.startswith("libslirp.so") for l in libs), libs


def test_net_user_without_libslirp_is_one_clear_line(kvm):
    lib = subprocess.run(["sh", "-c", "readlink -f \"$(ldconfig -p | awk '/libslirp.so.0 /"
                          "{print $NF; exit}')\""], capture_output=True, text=True).stdout.strip()
    if not lib or not os.path.exists(lib):
        pytest.skip("*** libslirp.so.0 not in the ld.so cache: test SKIPPED ***")
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    if probe.returncode:
        pytest.skip("*** no unprivileged mount namespaces (unshare -rm): test SKIPPED ***")
    # Hide the library in a private mount namespace: an empty file in its place.
    r = subprocess.run(["unshare", "-rm", "sh", "-c", 'mount --bind /dev/null "$1" && shift && '
                        'exec "$@"', "sh", lib, gasang_path(), "run", "--kernel",
                        payload("first.elf"), "--net", "user"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode not in (0, 65), r
    errs = [l for l in r.stderr.splitlines() if "warning" not in l]
    assert len(errs) == 1, r.stderr
    assert errs[0].startswith("gasang: --net user: cannot load libslirp: "), r.stderr
