"""gasang oci: namespaces, rootfs, mounts, /dev, masked and read-only paths, sysctl."""
import os
import pathlib
import time

from oci_helpers import bundle, new_bundle, reap_orphans, rootfs_template, rt  # noqa: F401

NS = ["pid", "mnt", "uts", "ipc", "net", "cgroup"]


def run_ok(rt, cid, bundle, **kw):
    r = rt.run(cid, bundle, **kw)
    assert r.returncode == 0, f"exit {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    return r.stdout


def test_namespaces_seen_from_inside(rt, bundle):
    bundle.config["linux"]["namespaces"].append({"type": "time"})
    bundle.sh("for n in pid mnt uts ipc net cgroup time; do "
              "echo $n $(readlink /proc/self/ns/$n); done; echo self $$")
    out = run_ok(rt, "ns1", bundle)
    inside = dict(line.split(" ", 1) for line in out.splitlines())
    for n in NS + ["time"]:
        assert inside[n] != os.readlink(f"/proc/self/ns/{n}"), f"{n} namespace not new"
    assert inside["self"] == "1", "the container process must be pid 1 in its pid namespace"


def test_shared_namespace_when_not_requested(rt, bundle):
    bundle.config["linux"]["namespaces"] = [n for n in bundle.config["linux"]["namespaces"]
                                            if n["type"] not in ("network", "ipc")]
    bundle.sh("readlink /proc/self/ns/net; readlink /proc/self/ns/ipc")
    out = run_ok(rt, "ns2", bundle).split()
    assert out == [os.readlink("/proc/self/ns/net"), os.readlink("/proc/self/ns/ipc")]


def test_join_namespaces_by_path(rt, new_bundle):
    a = new_bundle()
    a.args("sleep", "100")
    a.config["hostname"] = "first"
    rt.create("nsa", a)
    pid = rt.state("nsa")["pid"]
    b = new_bundle()
    b.config["linux"]["namespaces"] = [
        n if n["type"] not in ("network", "uts", "ipc") else
        {"type": n["type"], "path": f"/proc/{pid}/ns/" + {"network": "net"}.get(n["type"],
                                                                                 n["type"])}
        for n in b.config["linux"]["namespaces"]]
    del b.config["hostname"]
    b.sh("readlink /proc/self/ns/net; readlink /proc/self/ns/ipc; hostname")
    out = run_ok(rt, "nsb", b).split()
    assert out == [os.readlink(f"/proc/{pid}/ns/net"), os.readlink(f"/proc/{pid}/ns/ipc"),
                   "first"]


def test_hostname_and_domainname(rt, bundle):
    bundle.config["hostname"] = "box-one"
    bundle.config["domainname"] = "example.test"
    bundle.sh("hostname; cat /proc/sys/kernel/domainname")
    assert run_ok(rt, "h1", bundle) == "box-one\nexample.test\n"
    assert os.uname().nodename != "box-one"


def test_pivot_root_hides_host(rt, bundle):
    marker = pathlib.Path("/tmp/gasang-oci-host-marker")
    marker.write_text("host")
    try:
        bundle.sh("ls /tmp/gasang-oci-host-marker 2>&1; cat /proc/self/mountinfo | wc -l; "
                  "ls /")
        out = run_ok(rt, "pv1", bundle)
        assert "No such file" in out.splitlines()[0]
        assert "busybox" not in out  # / is the rootfs: bin, dev, proc...
        assert "bin" in out.split()
    finally:
        marker.unlink()


def test_no_pivot_uses_chroot(rt, bundle):
    bundle.sh("ls /bin/busybox && cat /proc/self/mountinfo")
    bundle.write()
    r = rt("run", "--no-pivot", "--bundle", bundle.dir, "np1")
    rt.ids.add("np1")
    assert r.returncode == 0, r.stderr
    assert "/bin/busybox" in r.stdout


def test_bind_mounts_tmpfs_and_options(rt, bundle, tmp_path):
    rw = tmp_path / "rw"
    ro = tmp_path / "ro"
    rw.mkdir()
    ro.mkdir()
    (ro / "file").write_text("read me")
    bundle.config["mounts"] += [
        {"destination": "/data/rw", "type": "bind", "source": str(rw), "options": ["rbind"]},
        {"destination": "/data/ro", "type": "bind", "source": str(ro),
         "options": ["bind", "ro", "nosuid", "private"]},
        {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
         "options": ["size=1m", "mode=700", "noexec"]},
    ]
    bundle.sh("echo written > /data/rw/out; cat /data/ro/file; echo; "
              "touch /data/ro/x 2>&1; grep -E ' /(data|scratch)' /proc/self/mountinfo; "
              "stat -c %a /scratch")
    out = run_ok(rt, "m1", bundle)
    assert (rw / "out").read_text() == "written\n"
    assert "read me" in out
    assert "Read-only file system" in out
    assert not (ro / "x").exists()
    lines = out.splitlines()
    ro_line = next(line for line in lines if " /data/ro " in line)
    assert " ro," in ro_line and "nosuid" in ro_line
    scratch = next(line for line in lines if " /scratch " in line)
    assert "noexec" in scratch and "tmpfs" in scratch and "size=1024k" in scratch
    assert lines[-1] == "700"


def test_recursive_read_only_bind(rt, bundle, tmp_path):
    (bundle.rootfs / "tree" / "sub").mkdir(parents=True)
    bundle.config["mounts"] += [
        {"destination": "/tree/sub", "type": "tmpfs", "source": "tmpfs"},
        {"destination": "/rtree", "type": "bind", "source": str(bundle.rootfs / "tree"),
         "options": ["rbind", "rro", "rnosuid"]}]
    # /rtree/sub is the nested tmpfs seen through the recursive bind: rro reaches it too.
    bundle.sh("grep ' /rtree' /proc/self/mountinfo")
    out = run_ok(rt, "rro1", bundle).splitlines()
    assert len(out) >= 2, out
    for line in out:
        opts = line.split()[5]
        assert opts.startswith("ro") and "nosuid" in opts, line


def test_mounts_do_not_leak_to_host(rt, bundle):
    def ours():
        return [m for m in pathlib.Path("/proc/self/mountinfo").read_text().splitlines()
                if str(bundle.dir) in m or " /scratch " in m]
    before = ours()
    bundle.config["mounts"].append({"destination": "/scratch", "type": "tmpfs",
                                    "source": "tmpfs"})
    bundle.args("sleep", "100")
    rt.create("ml1", bundle)
    assert ours() == before
    pid = rt.state("ml1")["pid"]
    inside = pathlib.Path(f"/proc/{pid}/mountinfo").read_text()
    assert " /scratch " in inside, "the mount exists in the container's namespace"


def test_bind_mount_propagation(rt, bundle, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    bundle.config["mounts"] += [
        {"destination": "/shared", "type": "bind", "source": str(shared),
         "options": ["rbind", "rshared"]},
        {"destination": "/private", "type": "bind", "source": str(shared),
         "options": ["rbind", "rprivate"]}]
    bundle.sh("grep ' /shared \\| /private ' /proc/self/mountinfo")
    out = run_ok(rt, "pr1", bundle).splitlines()
    assert "shared:" in next(line for line in out if " /shared " in line), out
    assert "shared:" not in next(line for line in out if " /private " in line), out


def test_dev_default_devices_and_pts(rt, bundle):
    bundle.sh("stat -c '%n %F %t:%T %a' /dev/null /dev/zero /dev/full /dev/random "
              "/dev/urandom /dev/tty; readlink /dev/ptmx; readlink /dev/fd; ls /dev/pts; "
              "echo x > /dev/null && echo null-ok; head -c 4 /dev/zero | wc -c; "
              "grep ' /dev/pts ' /proc/self/mountinfo")
    out = run_ok(rt, "dev1", bundle)
    for n, mm in (("null", "1:3"), ("zero", "1:5"), ("full", "1:7"), ("random", "1:8"),
                  ("urandom", "1:9"), ("tty", "5:0")):
        assert f"/dev/{n} character special file {mm} 666" in out
    assert "pts/ptmx" in out and "/proc/self/fd" in out and "ptmx" in out
    assert "null-ok" in out and "\n4\n" in out
    assert "devpts" in out


def test_extra_devices(rt, bundle):
    bundle.config["linux"]["devices"] = [{"path": "/dev/mynull", "type": "c", "major": 1,
                                          "minor": 3, "fileMode": 0o620, "uid": 0, "gid": 0}]
    bundle.config["linux"]["resources"]["devices"].append(
        {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"})
    bundle.sh("stat -c '%t:%T %a' /dev/mynull")
    assert run_ok(rt, "xd1", bundle) == "1:3 620\n"


def test_masked_paths(rt, bundle):
    assert pathlib.Path("/proc/timer_list").read_text(), "host must have /proc/timer_list"
    bundle.config["linux"]["maskedPaths"] = ["/proc/timer_list", "/sys/firmware",
                                             "/proc/does-not-exist"]
    bundle.sh("wc -c < /proc/timer_list; ls -A /sys/firmware | wc -l; "
              "grep -c ' /proc/timer_list \\| /sys/firmware ' /proc/self/mountinfo")
    out = run_ok(rt, "mask1", bundle).split()
    assert out[0] == "0", "/proc/timer_list must read as empty"
    assert out[1] == "0", "/sys/firmware must be an empty directory"
    assert out[2] == "2"


def test_readonly_paths(rt, bundle):
    bundle.config["linux"]["readonlyPaths"] = ["/proc/sys", "/tmp", "/proc/no-such-file"]
    bundle.sh("(echo 1 > /proc/sys/kernel/domainname) 2>&1; (echo h > /tmp/x) 2>&1;"
              " cat /proc/sys/kernel/ostype")
    out = run_ok(rt, "ro1", bundle)
    assert out.count("Read-only file system") == 2, out
    assert "Linux" in out


def test_readonly_root(rt, bundle):
    bundle.config["root"]["readonly"] = True
    bundle.sh("touch /newfile 2>&1; echo tmpfs-ok > /dev/shm/x && cat /dev/shm/x")
    out = run_ok(rt, "rr1", bundle)
    assert "Read-only file system" in out and "tmpfs-ok" in out
    assert not (bundle.rootfs / "newfile").exists()


def test_sysctl(rt, bundle):
    bundle.config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.msgmax": "4321"}
    bundle.sh("cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax")
    assert run_ok(rt, "sys1", bundle) == "1\n4321\n"
    assert pathlib.Path("/proc/sys/kernel/msgmax").read_text() != "4321\n"


def test_user_namespace_with_mappings(rt, bundle):
    # The mapped root (host uid 100000) must be able to reach the bundle.
    p = bundle.dir
    while str(p) not in ("/", "/tmp"):
        p.chmod(p.stat().st_mode | 0o755)
        p = p.parent
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    bundle.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000,
                                              "size": 65536}]
    bundle.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000,
                                              "size": 65536}]
    # /sys/fs/cgroup and /dev/mqueue need privileges over the host's objects.
    bundle.config["mounts"] = [m for m in bundle.config["mounts"]
                               if m["destination"] not in ("/sys/fs/cgroup",)]
    bundle.args("sleep", "100")
    rt.create("u1", bundle)
    pid = rt.state("u1")["pid"]
    status = pathlib.Path(f"/proc/{pid}/status").read_text()
    uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
    assert uid_line.split()[1] == "100000", "container root must be host uid 100000"
    assert pathlib.Path(f"/proc/{pid}/uid_map").read_text().split() == ["0", "100000", "65536"]
    assert os.readlink(f"/proc/{pid}/ns/user") != os.readlink("/proc/self/ns/user")
    rt("start", "u1", check=0)
    r = rt("exec", "u1", "sh", "-c", "id -u; cat /proc/self/uid_map; ls /dev/null")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[:4] == ["0", "0", "100000", "65536"]


def test_time_namespace_offsets(rt, bundle):
    bundle.config["linux"]["namespaces"].append({"type": "time"})
    bundle.config["linux"]["timeOffsets"] = {"boottime": {"secs": 86400 * 365, "nanosecs": 0},
                                             "monotonic": {"secs": 0, "nanosecs": 0}}
    bundle.sh("cut -d. -f1 /proc/uptime")
    inside = int(run_ok(rt, "t1", bundle).strip())
    host = float(pathlib.Path("/proc/uptime").read_text().split()[0])
    assert inside - host > 86400 * 364


def test_preserve_fds(rt, bundle, tmp_path):
    f = tmp_path / "passed"
    fd = os.open(f, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        bundle.sh("echo through-fd-3 >&3; ls /proc/self/fd")
        bundle.write()
        rt.ids.add("pf1")
        r = rt("run", "--preserve-fds", "1", "--bundle", bundle.dir, "pf1", pass_fds=(fd,)
               ) if fd == 3 else None
        if r is None:
            os.dup2(fd, 3, inheritable=True)
            r = rt("run", "--preserve-fds", "1", "--bundle", bundle.dir, "pf1", pass_fds=(3,))
    finally:
        os.close(fd)
    assert r.returncode == 0, r.stderr
    assert f.read_text() == "through-fd-3\n"


def test_no_fds_leak_into_container(rt, bundle):
    # ls is pid 1 itself: besides stdio it holds only the directory it lists (fd 3).
    bundle.args("ls", "/proc/self/fd")
    out = run_ok(rt, "fd1", bundle)
    assert sorted(out.split(), key=int) == ["0", "1", "2", "3"], out


def test_exec_into_running_container(rt, bundle, tmp_path):
    bundle.config["hostname"] = "execbox"
    bundle.args("sleep", "100")
    rt.create("e1", bundle)
    rt("start", "e1", check=0)
    r = rt("exec", "--env", "FOO=bar", "--cwd", "/tmp", "e1", "sh", "-c",
           "echo $FOO $(pwd) $(hostname); readlink /proc/self/ns/pid; exit 3")
    assert r.returncode == 3, r.stderr
    out = r.stdout.split()
    assert out[:3] == ["bar", "/tmp", "execbox"]
    pid = rt.state("e1")["pid"]
    assert out[3] == os.readlink(f"/proc/{pid}/ns/pid")
    # --process FILE, --detach and --pid-file.
    proc = tmp_path / "process.json"
    proc.write_text('{"args": ["sh", "-c", "echo from-process-file > /tmp/pf; sleep 100"],'
                    ' "cwd": "/", "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0}}')
    pidfile = tmp_path / "exec.pid"
    rt("exec", "--process", proc, "--detach", "--pid-file", pidfile, "e1", check=0)
    epid = int(pidfile.read_text())
    assert os.path.exists(f"/proc/{epid}")
    time.sleep(0.2)
    r = rt("exec", "e1", "cat", "/tmp/pf", check=0)
    assert r.stdout == "from-process-file\n"
    r = rt("exec", "e1", "nosuchcommand")
    assert r.returncode != 0 and "nosuchcommand" in r.stderr
    rt("delete", "--force", "e1", check=0)
    reap_orphans()
