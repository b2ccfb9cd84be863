"""Shared pieces of the OCI runtime tests: a busybox rootfs from Debian's busybox-static,
bundles with a config.json derived from `gasang oci spec`, and a runner for gasang-oci.

The tests run as root. Orphaned container inits are reparented to the pytest process (it
becomes a child subreaper) so that they can be reaped: this host's pid 1 does not reap."""
import ctypes
import gzip
import hashlib
import io
import json
import os
import pathlib
import shutil
import subprocess
import tarfile
import tempfile

import pytest

from conftest import gasang_path

BUSYBOX = "/bin/busybox"
PR_SET_CHILD_SUBREAPER = 36


def need_root():
    if os.geteuid() != 0:
        pytest.skip("*** OCI runtime tests need root: SKIPPED ***")
    if not os.access(BUSYBOX, os.X_OK):
        pytest.skip("*** busybox-static is not installed (/bin/busybox): SKIPPED ***")


def become_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def reap_orphans():
    """Reaps exited container processes that were reparented to us (we are a subreaper).

    Only zombies living in another pid namespace (NSpid has two levels) are reaped, so that
    the exit status of any other test's child process is never taken from it."""
    me = os.getpid()
    for d in pathlib.Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            status = (d / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() != str(me) or "Z" not in fields.get("State", ""):
            continue
        if len(fields.get("NSpid", "").split()) < 2:
            continue
        try:
            os.waitpid(int(d.name), os.WNOHANG)
        except ChildProcessError:
            pass


def oci_binary():
    """The gasang-oci symlink next to the gasang binary (falls back to 'gasang oci')."""
    g = pathlib.Path(gasang_path())
    alias = g.parent / "gasang-oci"
    if alias.exists():
        return [str(alias)]
    return [str(g), "oci"]


def make_rootfs(dest):
    """A minimal rootfs: static busybox with one symlink per applet."""
    dest = pathlib.Path(dest)
    for d in ("bin", "proc", "sys", "dev", "etc", "tmp", "root", "mnt"):
        (dest / d).mkdir(parents=True, exist_ok=True)
    shutil.copy2(BUSYBOX, dest / "bin" / "busybox")
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    for a in applets:
        if a != "busybox":
            link = dest / "bin" / a
            if not link.exists():
                link.symlink_to("busybox")
    (dest / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (dest / "etc" / "group").write_text("root:x:0:\n")
    (dest / "tmp").chmod(0o1777)
    return dest


_SPEC_CACHE = {}


def default_config():
    """`gasang oci spec` output (runc's defaults), cached per session."""
    if "spec" not in _SPEC_CACHE:
        with tempfile.TemporaryDirectory() as d:
            subprocess.run(oci_binary() + ["spec", "--bundle", d], check=True)
            _SPEC_CACHE["spec"] = json.loads((pathlib.Path(d) / "config.json").read_text())
    return json.loads(json.dumps(_SPEC_CACHE["spec"]))


def _link_or_copy(src, dst):
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


class Bundle:
    """A bundle directory with a busybox rootfs and an editable config."""

    def __init__(self, root, rootfs_template):
        self.dir = pathlib.Path(root)
        self.rootfs = self.dir / "rootfs"
        shutil.copytree(rootfs_template, self.rootfs, symlinks=True, copy_function=_link_or_copy)
        self.config = default_config()
        self.config["process"]["terminal"] = False
        self.config["root"]["readonly"] = False

    def args(self, *argv):
        self.config["process"]["args"] = list(argv)
        return self

    def sh(self, script):
        return self.args("sh", "-c", script)

    def write(self):
        (self.dir / "config.json").write_text(json.dumps(self.config, indent=1))
        return self


class Runtime:
    """Runs gasang-oci with a private --root; remembers ids to clean up."""

    def __init__(self, state_root):
        self.root = str(state_root)
        self.ids = set()

    def __call__(self, *args, timeout=30, input=None, check=None, pass_fds=(), stdin=None,
                 glob=(), env=None):
        cmd = oci_binary() + ["--root", self.root, *glob, *map(str, args)]
        # Files, not pipes: a created container inherits stdout/stderr and keeps them open,
        # so a pipe would never see EOF.
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            p = subprocess.run(cmd, stdout=out, stderr=err, timeout=timeout,
                               input=input.encode() if input is not None else None,
                               pass_fds=pass_fds, stdin=stdin,
                               env={**os.environ, **env} if env else None)
            out.seek(0)
            err.seek(0)
            r = subprocess.CompletedProcess(cmd, p.returncode,
                                            out.read().decode(errors="replace"),
                                            err.read().decode(errors="replace"))
        if check is not None:
            assert r.returncode == check, (
                f"{' '.join(cmd)}: exit {r.returncode}, wanted {check}\n"
                f"stdout:\n{r.stdout}\nstderr:\n{r.stderr}")
        return r

    def create(self, cid, bundle, *extra, check=0, **kw):
        bundle.write()
        self.ids.add(cid)
        return self("create", "--bundle", bundle.dir, *extra, cid, check=check, **kw)

    def run(self, cid, bundle, *extra, check=None, **kw):
        bundle.write()
        self.ids.add(cid)
        return self("run", "--bundle", bundle.dir, *extra, cid, check=check, **kw)

    def state(self, cid):
        r = self("state", cid, check=0)
        return json.loads(r.stdout)

    def cleanup(self):
        # Kill first and reap: a pid-namespace init only finishes exiting once every
        # process of its namespace has been reaped, and we are their subreaper.
        for cid in list(self.ids):
            self("kill", "--all", cid, "KILL")
        wait_for(lambda: reap_orphans() or True, timeout=0.05)
        reap_orphans()
        for cid in list(self.ids):
            self("delete", "--force", cid)
        reap_orphans()


def cgroup_dirs():
    """Every directory under every cgroup hierarchy (for leak checks)."""
    dirs = set()
    for top in pathlib.Path("/sys/fs/cgroup").iterdir():
        if not top.is_dir():
            continue
        for dirpath, dirnames, _ in os.walk(top):
            dirs.add(dirpath)
    return dirs


def cgroup_file(ctrl, cgpath, name):
    return pathlib.Path("/sys/fs/cgroup") / ctrl / cgpath.lstrip("/") / name


def oci_image_layout(rootfs, dest_tar, ref="localhost/gasang-busybox:latest"):
    """Writes an OCI image-layout tarball (what `ctr images import` reads) of rootfs."""
    layer_buf = io.BytesIO()
    with tarfile.open(fileobj=layer_buf, mode="w") as t:
        t.add(rootfs, arcname=".")
    layer = layer_buf.getvalue()
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    layer_gz = gzip.compress(layer, compresslevel=1)
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                   "Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }).encode()

    def desc(media, blob):
        return {"mediaType": media, "digest": "sha256:" + hashlib.sha256(blob).hexdigest(),
                "size": len(blob)}
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": desc("application/vnd.oci.image.config.v1+json", config),
        "layers": [desc("application/vnd.oci.image.layer.v1.tar+gzip", layer_gz)],
    }).encode()
    mdesc = desc("application/vnd.oci.image.manifest.v1+json", manifest)
    mdesc["annotations"] = {"io.containerd.image.name": ref,
                            "org.opencontainers.image.ref.name": ref.rsplit(":", 1)[1]}
    index = json.dumps({"schemaVersion": 2, "manifests": [mdesc]}).encode()
    with tarfile.open(dest_tar, "w") as t:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add("index.json", index)
        for blob in (config, manifest, layer_gz):
            add("blobs/sha256/" + hashlib.sha256(blob).hexdigest(), blob)
    return ref


@pytest.fixture(scope="session")
def rootfs_template(tmp_path_factory):
    need_root()
    become_subreaper()
    return make_rootfs(tmp_path_factory.mktemp("oci-rootfs") / "rootfs")


@pytest.fixture
def rt(tmp_path):
    need_root()
    r = Runtime(tmp_path / "state")
    yield r
    r.cleanup()


@pytest.fixture
def bundle(tmp_path, rootfs_template):
    return Bundle(tmp_path / "bundle", rootfs_template)


@pytest.fixture
def new_bundle(tmp_path, rootfs_template):
    """Factory for extra bundles in one test."""
    n = [0]

    def make():
        n[0] += 1
        return Bundle(tmp_path / f"bundle{n[0]}", rootfs_template)
    return make


def wait_for(pred, timeout=5.0, step=0.01):
    import time
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()
