"""gasang oci: N create/start/delete cycles leave no mounts, cgroups, fds, processes or
state behind. N comes from GASANG_OCI_CYCLES (default 1000, the issue's bar)."""
import os
import pathlib
import subprocess

from oci_helpers import (bundle, cgroup_dirs, oci_binary, reap_orphans, rootfs_template,  # noqa: F401
                         rt)

CYCLES = int(os.environ.get("GASANG_OCI_CYCLES", "1000"))


def descendants():
    """Processes whose parent is us: orphaned inits come here (we are a subreaper)."""
    me = str(os.getpid())
    kids = []
    for d in pathlib.Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            st = (d / "stat").read_text()
        except OSError:
            continue
        if st[st.rindex(")") + 2:].split()[1] == me:
            kids.append(int(d.name))
    return kids


def test_create_start_delete_cycles_leak_nothing(rt, bundle, tmp_path):
    bundle.config["hooks"] = {}
    bundle.args("true")
    bundle.write()
    # A warm-up cycle creates anything created once (e.g. the --root directory).
    base = oci_binary() + ["--root", rt.root]

    errlog = open(tmp_path / "stderr", "w+")

    def cycle(cid):
        # stderr goes to a file: the container inherits it, a pipe would never close.
        for args in (["create", "--bundle", str(bundle.dir), cid], ["start", cid]):
            r = subprocess.run(base + args, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=errlog, timeout=30)
            assert r.returncode == 0, (args, errlog.seek(0) or errlog.read())
        # The init exits on its own ("true"); reap it as its subreaper, then delete.
        reap_orphans()
        r = subprocess.run(base + ["delete", "--force", cid], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=errlog, timeout=30)
        assert r.returncode == 0, errlog.seek(0) or errlog.read()

    cycle("warmup")
    reap_orphans()
    def our_mounts():
        # Mounts a runtime bug could leave in the host namespace: on the bundle (rootfs
        # bind), under the state root, or of the container's /dev, /proc...: all paths
        # under tmp_path. (A total count would also see other jobs on this host.)
        return [m for m in pathlib.Path("/proc/self/mountinfo").read_text().splitlines()
                if str(tmp_path) in m]

    mounts0 = our_mounts()
    cgroups0 = cgroup_dirs()
    fds0 = len(os.listdir("/proc/self/fd"))
    kids0 = descendants()
    for i in range(CYCLES):
        cycle(f"leak{i}")
    reap_orphans()
    assert our_mounts() == mounts0
    leaked = {d for d in cgroup_dirs() - cgroups0 if "leak" in d or "warmup" in d}
    assert not leaked, f"cgroups left behind: {sorted(leaked)[:5]}"
    assert len(os.listdir("/proc/self/fd")) == fds0
    assert descendants() == kids0, "processes left behind"
    assert os.listdir(rt.root) == [], "state left behind"
    errlog.close()
