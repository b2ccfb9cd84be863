"""gasang oci: cgroups (resources, freezer, update), hooks, console socket."""
import array
import json
import os
import pathlib
import socket
import subprocess
import time

import pytest

from oci_helpers import (bundle, cgroup_file, oci_binary, reap_orphans, rootfs_template,  # noqa: F401
                         rt, wait_for)


def cgpath(rt, cid):
    return json.loads((pathlib.Path(rt.root) / cid / "state.json").read_text())["cgroup"]


def test_cgroup_resources_applied(rt, bundle):
    res = bundle.config["linux"]["resources"]
    res["memory"] = {"limit": 64 * 1024 * 1024, "reservation": 32 * 1024 * 1024}
    res["cpu"] = {"shares": 512, "quota": 50000, "period": 100000}
    res["pids"] = {"limit": 42}
    res["blockIO"] = {"weight": 300}
    bundle.config["linux"]["cgroupsPath"] = "/gasang-test/res1"
    bundle.sh("cat /sys/fs/cgroup/memory/memory.limit_in_bytes; sleep 100")
    rt.create("res1", bundle)
    pid = rt.state("res1")["pid"]
    cg = cgpath(rt, "res1")
    assert cg == "/gasang-test/res1"
    assert cgroup_file("memory", cg, "memory.limit_in_bytes").read_text() == "67108864\n"
    assert cgroup_file("memory", cg, "memory.soft_limit_in_bytes").read_text() == "33554432\n"
    assert cgroup_file("cpu", cg, "cpu.shares").read_text() == "512\n"
    assert cgroup_file("cpu", cg, "cpu.cfs_quota_us").read_text() == "50000\n"
    assert cgroup_file("pids", cg, "pids.max").read_text() == "42\n"
    w = cgroup_file("blkio", cg, "blkio.weight")
    if not w.exists():
        w = cgroup_file("blkio", cg, "blkio.bfq.weight")
    if w.exists():
        assert w.read_text().split()[-1] == "300"
    for ctrl in ("memory", "cpu", "pids", "freezer", "devices", "blkio", "cpuset", "unified"):
        procs = cgroup_file(ctrl, cg, "cgroup.procs")
        if procs.exists():
            assert str(pid) in procs.read_text().split(), f"init not in {ctrl} cgroup"
    rt("delete", "--force", "res1", check=0)
    reap_orphans()
    assert not cgroup_file("memory", cg, "").exists(), "cgroup left behind after delete"
    os.rmdir("/sys/fs/cgroup/memory/gasang-test") if os.path.isdir(
        "/sys/fs/cgroup/memory/gasang-test") else None
    for top in pathlib.Path("/sys/fs/cgroup").iterdir():
        d = top / "gasang-test"
        if d.is_dir():
            d.rmdir()


def test_memory_limit_enforced(rt, bundle):
    bundle.config["linux"]["resources"]["memory"] = {"limit": 16 * 1024 * 1024, "swap":
                                                     16 * 1024 * 1024}
    # Fill a tmpfs well past the limit: the kernel must refuse or OOM-kill.
    bundle.config["mounts"].append({"destination": "/big", "type": "tmpfs", "source": "tmpfs",
                                    "options": ["size=256m"]})
    bundle.sh("cat /sys/fs/cgroup/memory/memory.limit_in_bytes; "
              "dd if=/dev/zero of=/big/f bs=1M count=64 2>/dev/null; echo dd-rc=$?")
    r = rt.run("oom1", bundle)
    assert r.stdout.startswith("16777216\n"), r.stdout + r.stderr
    assert "dd-rc=0" not in r.stdout, "64 MiB written under a 16 MiB limit"


def test_pids_limit_enforced(rt, bundle):
    bundle.config["linux"]["resources"]["pids"] = {"limit": 5}
    bundle.sh("for i in 1 2 3 4 5 6 7 8; do sleep 5 & done 2>&1; echo started; "
              "kill $(jobs -p) 2>/dev/null; true")
    r = rt.run("pid1", bundle)
    assert "Resource temporarily unavailable" in r.stdout + r.stderr or \
        "can't fork" in r.stdout + r.stderr, r.stdout + r.stderr


def test_devices_cgroup(rt, bundle):
    # The default spec denies all devices; /dev/null etc. stay usable, others are refused.
    bundle.config["linux"]["devices"] = [{"path": "/dev/loopish", "type": "c", "major": 1,
                                          "minor": 4, "fileMode": 0o666}]
    bundle.sh("echo ok > /dev/null && echo null-ok; (cat /dev/loopish) 2>&1; true")
    r = rt.run("devc1", bundle)
    assert "null-ok" in r.stdout
    assert "Operation not permitted" in r.stdout, r.stdout


def test_pause_resume(rt, bundle, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    bundle.config["mounts"].append({"destination": "/out", "type": "bind",
                                    "source": str(out), "options": ["rbind"]})
    bundle.sh("i=0; while :; do i=$((i+1)); echo $i > /out/n; sleep 0.02; done")
    rt.create("pz1", bundle)
    rt("start", "pz1", check=0)
    assert wait_for(lambda: (out / "n").exists() and (out / "n").read_text().strip() != "")
    rt("pause", "pz1", check=0)
    assert rt.state("pz1")["status"] == "paused"
    cg = cgpath(rt, "pz1")
    assert cgroup_file("freezer", cg, "freezer.state").read_text().strip() == "FROZEN"
    time.sleep(0.1)
    n1 = (out / "n").read_text()
    time.sleep(0.3)
    assert (out / "n").read_text() == n1, "a paused container kept running"
    r = rt("pause", "pz1")
    assert r.returncode == 1
    rt("resume", "pz1", check=0)
    assert rt.state("pz1")["status"] == "running"
    assert wait_for(lambda: (out / "n").read_text() != n1)
    r = rt("delete", "pz1")
    assert r.returncode == 1
    rt("pause", "pz1", check=0)
    rt("delete", "--force", "pz1", check=0)
    assert not cgroup_file("freezer", cg, "").exists()


def test_update_resources(rt, bundle, tmp_path):
    bundle.config["linux"]["resources"]["memory"] = {"limit": 64 * 1024 * 1024}
    bundle.args("sleep", "100")
    rt.create("up1", bundle)
    cg = cgpath(rt, "up1")
    rt("update", "--memory", "32M", "--pids-limit", "77", "up1", check=0)
    assert cgroup_file("memory", cg, "memory.limit_in_bytes").read_text() == "33554432\n"
    assert cgroup_file("pids", cg, "pids.max").read_text() == "77\n"
    res = tmp_path / "res.json"
    res.write_text(json.dumps({"cpu": {"shares": 256}, "pids": {"limit": 99}}))
    rt("update", "-r", res, "up1", check=0)
    assert cgroup_file("cpu", cg, "cpu.shares").read_text() == "256\n"
    assert cgroup_file("pids", cg, "pids.max").read_text() == "99\n"
    r = rt("update", "-r", "-", "up1", input='{"memory": {"limit": "lots"}}')
    assert r.returncode == 1 and "linux.resources.memory.limit" in r.stderr


def test_cgroup_namespace_root(rt, bundle):
    bundle.sh("cat /proc/self/cgroup | grep memory; ls /sys/fs/cgroup")
    r = rt.run("cgns1", bundle)
    assert r.returncode == 0, r.stderr
    assert ":memory:/\n" in r.stdout, "in its cgroup namespace the container is at the root"
    assert "memory" in r.stdout.split() and "pids" in r.stdout.split()


HOOK = """#!/bin/sh
cat > {out}/{name}.json
echo "$@" > {out}/{name}.args
"""


def test_hooks_run_with_state_on_stdin(rt, bundle, tmp_path):
    out = tmp_path / "hooks"
    out.mkdir()
    out.chmod(0o777)
    hooks = {}
    for name in ("prestart", "createRuntime", "createContainer", "poststart", "poststop"):
        script = tmp_path / f"{name}.sh"
        script.write_text(HOOK.format(out=out, name=name))
        script.chmod(0o755)
        hooks[name] = [{"path": str(script), "args": [name, "arg1"], "env": ["X=1"]}]
    # startContainer runs inside the container: its path is resolved there.
    hooks["startContainer"] = [{"path": "/bin/sh", "args": ["sh", "-c",
                                                            "cat > /hooks/startContainer.json"]}]
    bundle.config["hooks"] = hooks
    bundle.config["mounts"].append({"destination": "/hooks", "type": "bind",
                                    "source": str(out), "options": ["rbind"]})
    bundle.args("sleep", "100")
    rt.create("hk1", bundle)
    pid = rt.state("hk1")["pid"]
    for name in ("prestart", "createRuntime", "createContainer"):
        st = json.loads((out / f"{name}.json").read_text())
        assert st["id"] == "hk1" and st["pid"] == pid and st["bundle"] == str(bundle.dir)
        assert (out / f"{name}.args").read_text() == "arg1\n"
    assert not (out / "poststart.json").exists()
    rt("start", "hk1", check=0)
    assert wait_for(lambda: (out / "startContainer.json").exists() and
                    (out / "startContainer.json").read_text())
    assert json.loads((out / "startContainer.json").read_text())["id"] == "hk1"
    assert json.loads((out / "poststart.json").read_text())["pid"] == pid
    assert not (out / "poststop.json").exists()
    rt("delete", "--force", "hk1", check=0)
    st = json.loads((out / "poststop.json").read_text())
    assert st["id"] == "hk1" and st["status"] == "stopped"


def test_failing_prestart_hook_aborts_create(rt, bundle, tmp_path):
    bundle.config["hooks"] = {"prestart": [{"path": "/bin/false"}]}
    bundle.args("true")
    r = rt.create("hk2", bundle, check=1)
    assert "hook /bin/false exited with status 1" in r.stderr
    assert not (pathlib.Path(rt.root) / "hk2").exists()


def recv_fd(conn):
    fds = array.array("i")
    msg, anc, _, _ = conn.recvmsg(1024, socket.CMSG_SPACE(fds.itemsize))
    for level, typ, data in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            fds.frombytes(data[:fds.itemsize])
    return msg, fds[0]


def read_until(fd, needle, timeout=5):
    buf = b""
    end = time.monotonic() + timeout
    os.set_blocking(fd, False)
    while needle not in buf and time.monotonic() < end:
        try:
            buf += os.read(fd, 4096)
        except BlockingIOError:
            time.sleep(0.01)
        except OSError:
            break
    return buf


def test_console_socket_receives_pty(rt, bundle, tmp_path):
    sock_path = str(tmp_path / "console.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock_path)
    srv.listen(1)
    bundle.config["process"]["terminal"] = True
    bundle.config["process"]["consoleSize"] = {"height": 33, "width": 111}
    bundle.sh("tty; stty size; readlink -f /proc/self/fd/0 > /dev/null; "
              "[ /dev/console -ef /dev/pts/0 ] || grep -q ' /dev/console ' /proc/self/mountinfo "
              "&& echo console-ok; read line; echo got:$line; sleep 100")
    rt.create("con1", bundle, "--console-socket", sock_path)
    conn, _ = srv.accept()
    name, master = recv_fd(conn)
    conn.close()
    srv.close()
    try:
        assert name.startswith(b"/dev/pts/")
        rt("start", "con1", check=0)
        out = read_until(master, b"console-ok")
        assert b"/dev/pts/0" in out and b"33 111" in out and b"console-ok" in out, out
        os.set_blocking(master, True)
        os.write(master, b"typed on the tty\n")
        out = read_until(master, b"got:typed on the tty")
        assert b"got:typed on the tty" in out, out
        # exec --tty gets its own pty through the console socket too.
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock2 = str(tmp_path / "exec.sock")
        srv.bind(sock2)
        srv.listen(1)
        rt("exec", "--tty", "--detach", "--console-socket", sock2, "con1", "sh", "-c",
           "tty; sleep 100", check=0)
        conn, _ = srv.accept()
        _, m2 = recv_fd(conn)
        assert b"/dev/pts/1" in read_until(m2, b"/dev/pts/1")
        os.close(m2)
        conn.close()
        srv.close()
    finally:
        os.close(master)
    r = rt("create", "--bundle", bundle.dir, "con2")
    assert r.returncode == 1 and "console socket" in r.stderr


def test_foreground_terminal_without_console_socket(rt, bundle):
    # run and exec --tty relay the pty themselves, like runc without --console-socket.
    bundle.config["process"]["terminal"] = True
    bundle.sh("tty; read line; echo got:$line")
    r = rt.run("ft1", bundle, input="typed\n", timeout=20)
    assert r.returncode == 0, r.stderr
    assert "/dev/pts/0" in r.stdout and "got:typed" in r.stdout
    bundle.config["process"]["terminal"] = False
    bundle.args("sleep", "100")
    rt.create("ft2", bundle)
    rt("start", "ft2", check=0)
    r = rt("exec", "--tty", "ft2", "sh", "-c", "tty; exit 4", timeout=20)
    assert r.returncode == 4, r.stderr
    assert "/dev/pts/" in r.stdout


def test_events_stats(rt, bundle):
    bundle.config["linux"]["resources"]["memory"] = {"limit": 64 * 1024 * 1024}
    bundle.args("sleep", "100")
    rt.create("ev1", bundle)
    rt("start", "ev1", check=0)
    ev = json.loads(rt("events", "--stats", "ev1", check=0).stdout)
    assert ev["type"] == "stats" and ev["id"] == "ev1"
    assert ev["data"]["memory"]["usage"]["limit"] == 64 * 1024 * 1024
    assert ev["data"]["memory"]["usage"]["usage"] > 0
    assert ev["data"]["pids"]["current"] == 1
    assert ev["data"]["cpu"]["usage"]["total"] > 0


def test_hook_timeout(rt, bundle):
    bundle.config["hooks"] = {"createRuntime": [{"path": "/bin/sleep", "args": ["sleep", "10"],
                                                 "timeout": 1}]}
    bundle.args("true")
    r = rt.create("hto1", bundle, check=1)
    assert "timed out after 1 s" in r.stderr
    assert not (pathlib.Path(rt.root) / "hto1").exists()


def test_cgroup_v2_layout(rt, bundle, tmp_path):
    """The pure cgroup v2 code path, in a private mount namespace whose /sys/fs/cgroup is
    the cgroup2 hierarchy (this host's controllers are bound to v1, so no memory/cpu/pids
    here: placement via clone3(CLONE_INTO_CGROUP), ps, freeze/thaw, the eBPF device filter
    and removal)."""
    bundle.config["linux"]["resources"] = {"devices": [{"allow": False, "access": "rwm"}]}
    bundle.config["linux"]["devices"] = [{"path": "/dev/loopish", "type": "c", "major": 1,
                                          "minor": 4, "fileMode": 0o666}]
    bundle.config["linux"]["cgroupsPath"] = "/gasang-v2-test"
    bundle.args("sleep", "100")
    bundle.write()
    rt.ids.add("v2a")
    g = " ".join(oci_binary()) + f" --root {rt.root}"
    script = f"""
umount -l /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup || exit 77
{g} create --bundle {bundle.dir} v2a </dev/null >/dev/null 2>{tmp_path}/err || exit 1
{g} start v2a || exit 2
echo procs $(cat /sys/fs/cgroup/gasang-v2-test/cgroup.procs) ps $({g} ps --format json v2a)
{g} pause v2a && {g} state v2a | grep status
cat /sys/fs/cgroup/gasang-v2-test/cgroup.events | grep frozen
{g} resume v2a && {g} state v2a | grep status
{g} exec v2a sh -c "(cat /dev/loopish) 2>&1; echo x > /dev/null && echo null-ok"
{g} delete --force v2a
test -d /sys/fs/cgroup/gasang-v2-test && echo left || echo removed
"""
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                       capture_output=True, text=True, timeout=60)
    if r.returncode == 77:
        pytest.skip("*** cannot mount cgroup2 in a private mount namespace: SKIPPED ***")
    assert r.returncode == 0, r.stdout + r.stderr + (tmp_path / "err").read_text()
    lines = r.stdout.splitlines()
    procs = lines[0].split()
    assert procs[0] == "procs" and procs[2] == "ps" and procs[3] == f"[{procs[1]}]"
    assert '"status": "paused"' in lines[1] and lines[2] == "frozen 1"
    assert '"status": "running"' in lines[3]
    # The eBPF device filter: /dev/loopish (1:4) is not allowed, /dev/null is.
    assert "Operation not permitted" in lines[4] and lines[5] == "null-ok", lines
    assert lines[6] == "removed"
    reap_orphans()
