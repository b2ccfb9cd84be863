"""Real clients drive gasang-oci: podman (`podman --runtime PATH`, image from `podman import`
of a local busybox rootfs tarball) and containerd (`ctr run --runc-binary PATH`, containerd
started by the test with a private root, image imported from an OCI layout tarball)."""
import os
import pathlib
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time

import pytest

from oci_helpers import (need_root, oci_binary, oci_image_layout, reap_orphans,  # noqa: F401
                         rootfs_template, wait_for)


def rmdir_client_cgroups(name):
    """The parent cgroup a client made for its containers (libpod_parent, containerd's
    namespace), if empty now: best effort, rmdir fails on anything still in use."""
    for top in pathlib.Path("/sys/fs/cgroup").iterdir():
        base = top / name
        if not base.is_dir():
            continue
        for dirpath, _, _ in sorted(os.walk(base), key=lambda w: -len(w[0])):
            try:
                os.rmdir(dirpath)
            except OSError:
                pass


def umount_under(path):
    for line in reversed(pathlib.Path("/proc/self/mountinfo").read_text().splitlines()):
        mnt = line.split()[4]
        if mnt.startswith(str(path)):
            subprocess.run(["umount", "-l", mnt], capture_output=True)


@pytest.fixture(scope="module")
def podman(rootfs_template):
    need_root()
    if not shutil.which("podman") or not shutil.which("conmon"):
        pytest.skip("*** podman/conmon not installed (scripts/install-deps.sh): SKIPPED ***")
    # podman refuses run roots longer than 50 characters: pytest's are longer.
    tmp_path = pathlib.Path(tempfile.mkdtemp(prefix="gasang-pm-", dir="/tmp"))
    base = ["podman", "--root", str(tmp_path / "storage"), "--runroot", str(tmp_path / "run"),
            "--tmpdir", str(tmp_path / "tmp"), "--storage-driver", "vfs",
            "--cgroup-manager", "cgroupfs", "--events-backend", "file",
            "--runtime", oci_binary()[0]]
    tarball = tmp_path / "busybox.tar"
    with tarfile.open(tarball, "w") as t:
        t.add(rootfs_template, arcname=".")

    def pm(*args, timeout=120, check=0):
        r = subprocess.run(base + list(args), capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        if check is not None:
            assert r.returncode == check, f"podman {args}: {r.returncode}\n{r.stdout}\n{r.stderr}"
        return r
    pm("import", str(tarball), "localhost/gasang-busybox:latest")
    yield pm
    pm("rm", "-af", "-t", "0", check=None)
    umount_under(tmp_path)
    rmdir_client_cgroups("libpod_parent")
    shutil.rmtree(tmp_path, ignore_errors=True)


# The host's hard RLIMIT_NOFILE is below podman's default of 1048576 and we lack
# CAP_SYS_RESOURCE, so runc fails the same way without these.
LIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]


def test_podman_run(podman):
    r = podman("run", "--rm", "--network", "none", *LIMITS, "--hostname", "podbox",
               "localhost/gasang-busybox:latest", "sh", "-c",
               "echo hello from podman; hostname; echo $$; exit 3", check=3)
    assert r.stdout.split() == ["hello", "from", "podman", "podbox", "1"], r.stderr


def test_podman_detached_exec_stop(podman):
    r = podman("run", "-d", "--name", "pd1", "--network", "none", *LIMITS,
               "localhost/gasang-busybox:latest", "sleep", "1000")
    cid = r.stdout.strip()
    assert cid
    r = podman("exec", "pd1", "sh", "-c", "echo exec-ok; cat /proc/1/cmdline | tr '\\0' ' '")
    assert r.stdout.split() == ["exec-ok", "sleep", "1000"]
    r = podman("exec", "-t", "pd1", "tty")
    assert "/dev/pts/" in r.stdout
    r = podman("ps", "--format", "{{.Names}} {{.Status}}")
    assert "pd1 Up" in r.stdout
    podman("stop", "-t", "1", "pd1")
    r = podman("ps", "-a", "--format", "{{.Names}} {{.Status}}")
    assert "pd1 Exited" in r.stdout
    podman("rm", "pd1")


def test_podman_tty(podman):
    r = podman("run", "--rm", "-t", "--network", "none", *LIMITS,
               "localhost/gasang-busybox:latest", "tty")
    assert "/dev/pts/0" in r.stdout


@pytest.fixture
def containerd(tmp_path, rootfs_template):
    need_root()
    if not shutil.which("containerd") or not shutil.which("ctr"):
        pytest.skip("*** containerd/ctr not installed (scripts/install-deps.sh): SKIPPED ***")
    d = tmp_path / "containerd"
    d.mkdir()
    sock = d / "containerd.sock"
    (d / "config.toml").write_text(
        'version = 2\n'
        f'root = "{d}/root"\nstate = "{d}/state"\n'
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
        f'[grpc]\n  address = "{sock}"\n'
        f'[ttrpc]\n  address = "{sock}.ttrpc"\n')
    log = open(d / "log", "w")
    proc = subprocess.Popen(["containerd", "--config", str(d / "config.toml")], stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    assert wait_for(sock.exists, timeout=20), (d / "log").read_text()[-2000:]
    runc_root = d / "runc-root"
    base = ["ctr", "--address", str(sock)]

    def ctr(*args, timeout=120, check=0):
        r = subprocess.run(base + list(args), capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        if check is not None:
            assert r.returncode == check, f"ctr {args}: {r.returncode}\n{r.stdout}\n{r.stderr}"
        return r
    ctr.runc_args = ["--snapshotter", "native", "--runc-binary", oci_binary()[0],
                     "--runc-root", str(runc_root)]
    ctr.runc_root = runc_root
    image = oci_image_layout(rootfs_template, d / "image.tar")
    ctr("images", "import", str(d / "image.tar"))
    ctr.image = image
    yield ctr
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()
    # Shims of this containerd (if any survived) and their mounts.
    for p in pathlib.Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                cmd = (p / "cmdline").read_bytes()
            except OSError:
                continue
            if b"containerd-shim" in cmd and str(sock).encode() in cmd:
                os.kill(int(p.name), signal.SIGKILL)
    time.sleep(0.1)
    reap_orphans()
    umount_under(d)
    rmdir_client_cgroups("default")


def test_containerd_run(containerd):
    r = containerd("run", "--rm", *containerd.runc_args, containerd.image, "ctr1", "sh", "-c",
                   "echo hello from containerd; echo $$; hostname")
    out = r.stdout.split()
    assert out[:5] == ["hello", "from", "containerd", "1", "ctr1"] or \
        out[:4] == ["hello", "from", "containerd", "1"], r.stdout + r.stderr
    assert not any(containerd.runc_root.glob("*/ctr1")), "runtime state left behind"


def test_containerd_detached_exec_kill(containerd):
    containerd("run", "-d", *containerd.runc_args, containerd.image, "ctr2", "sleep", "1000")
    r = containerd("task", "ls")
    assert "ctr2" in r.stdout and "RUNNING" in r.stdout
    r = containerd("task", "exec", "--exec-id", "e1", "ctr2", "sh", "-c", "echo exec-ok")
    assert r.stdout.strip() == "exec-ok"
    r = containerd("task", "ps", "ctr2")
    assert len(r.stdout.strip().splitlines()) >= 2
    containerd("task", "kill", "-s", "SIGKILL", "ctr2")
    assert wait_for(lambda: "STOPPED" in containerd("task", "ls").stdout, timeout=10)
    containerd("task", "delete", "ctr2")
    containerd("containers", "delete", "ctr2")
    assert not any(containerd.runc_root.glob("*/ctr2")), "runtime state left behind"
