"""gasang oci: create/start/state/kill/delete/run, the state machine and the State JSON."""
import json
import os
import pathlib
import signal
import subprocess

from oci_helpers import (bundle, new_bundle, oci_binary, reap_orphans, rootfs_template, rt,  # noqa: F401
                         wait_for)
from conftest import gasang_path


def test_run_prints_and_returns_exit_status(rt, bundle):
    bundle.sh("echo hello from the container; exit 7")
    r = rt.run("r1", bundle)
    assert r.returncode == 7, r.stderr
    assert r.stdout == "hello from the container\n"
    assert not (pathlib.Path(rt.root) / "r1").exists(), "run left its state behind"


def test_alias_and_subcommand_are_the_same(rt, bundle):
    bundle.args("echo", "via-subcommand").write()
    r = subprocess.run([gasang_path(), "oci", "--root", rt.root, "run", "--bundle",
                        str(bundle.dir), "sub1"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "via-subcommand\n"
    assert os.path.basename(oci_binary()[0]) == "gasang-oci", "build must create gasang-oci"
    assert os.path.realpath(oci_binary()[0]) == os.path.realpath(gasang_path())


def test_stdio_is_inherited_without_terminal(rt, bundle):
    bundle.args("cat")
    r = rt.run("io1", bundle, input="piped through the container\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "piped through the container\n"


def test_create_blocks_until_start_and_state_transitions(rt, bundle, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    bundle.config["mounts"].append({"destination": "/out", "type": "bind",
                                    "source": str(out), "options": ["rbind", "rw"]})
    bundle.sh("echo started > /out/mark; exec sleep 100")
    pidfile = tmp_path / "pid"
    rt.create("st1", bundle, "--pid-file", pidfile)
    st = rt.state("st1")
    assert st["status"] == "created"
    assert st["id"] == "st1" and st["ociVersion"].startswith("1.")
    assert st["bundle"] == str(bundle.dir)
    assert st["pid"] == int(pidfile.read_text())
    assert os.path.exists(f"/proc/{st['pid']}")
    # The init is set up but must not run the user process before start.
    assert not (out / "mark").exists()
    rt("start", "st1", check=0)
    assert wait_for(lambda: (out / "mark").exists())
    assert rt.state("st1")["status"] == "running"
    r = rt("start", "st1")
    assert r.returncode == 1 and "already running" in r.stderr
    rt("kill", "st1", "KILL", check=0)
    assert wait_for(lambda: reap_orphans() or rt.state("st1")["status"] == "stopped")
    r = rt("start", "st1")
    assert r.returncode == 1 and "stopped" in r.stderr
    rt("delete", "st1", check=0)
    r = rt("state", "st1")
    assert r.returncode == 1 and "does not exist" in r.stderr
    assert not (pathlib.Path(rt.root) / "st1").exists()


def test_state_annotations_and_list(rt, bundle):
    bundle.config["annotations"] = {"org.example.key": "value"}
    bundle.args("sleep", "100")
    rt.create("an1", bundle)
    st = rt.state("an1")
    assert st["annotations"] == {"org.example.key": "value"}
    r = rt("list", "--format", "json", check=0)
    lst = json.loads(r.stdout)
    assert [c["id"] for c in lst] == ["an1"] and lst[0]["status"] == "created"
    r = rt("list", check=0)
    assert "an1" in r.stdout and "created" in r.stdout
    r = rt("list", "-q", check=0)
    assert r.stdout == "an1\n"


def test_dead_process_reports_stopped(rt, bundle):
    bundle.args("true")
    rt.create("dead1", bundle)
    rt("start", "dead1", check=0)
    assert wait_for(lambda: reap_orphans() or rt.state("dead1")["status"] == "stopped")
    rt("delete", "dead1", check=0)


def test_created_container_can_be_deleted_without_force(rt, bundle):
    bundle.args("sleep", "100")
    rt.create("cd1", bundle)
    pid = rt.state("cd1")["pid"]
    rt("delete", "cd1", check=0)
    reap_orphans()
    assert not os.path.exists(f"/proc/{pid}/status") or \
        "zombie" in pathlib.Path(f"/proc/{pid}/status").read_text()


def test_kill_signal_forms(rt, bundle, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    bundle.config["mounts"].append({"destination": "/out", "type": "bind",
                                    "source": str(out), "options": ["rbind"]})
    # The shell is pid 1 in its namespace: only signals it traps reach it.
    bundle.sh("trap 'echo usr1 >> /out/log' USR1; trap 'echo hup >> /out/log' HUP; "
              "trap 'echo term >> /out/log; exit 0' TERM; echo ready > /out/ready; "
              "while :; do sleep 0.05; done")
    rt.create("k1", bundle)
    rt("start", "k1", check=0)
    assert wait_for(lambda: (out / "ready").exists())
    rt("kill", "k1", "USR1", check=0)
    assert wait_for(lambda: (out / "log").exists() and "usr1" in (out / "log").read_text())
    rt("kill", "k1", "SIGHUP", check=0)
    assert wait_for(lambda: "hup" in (out / "log").read_text())
    rt("kill", "k1", str(int(signal.SIGTERM)), check=0)
    assert wait_for(lambda: "term" in (out / "log").read_text())
    assert wait_for(lambda: reap_orphans() or rt.state("k1")["status"] == "stopped")


def test_kill_all_reaches_every_process(rt, bundle, tmp_path):
    # No pid namespace: killing the init alone would leave the children running.
    bundle.config["linux"]["namespaces"] = [n for n in bundle.config["linux"]["namespaces"]
                                            if n["type"] != "pid"]
    bundle.sh("sleep 100 & sleep 100 & exec sleep 100")
    rt.create("ka1", bundle)
    rt("start", "ka1", check=0)
    assert wait_for(lambda: len(json.loads(rt("ps", "--format", "json", "ka1").stdout)) == 3)
    pids = json.loads(rt("ps", "--format", "json", "ka1", check=0).stdout)
    rt("kill", "--all", "ka1", "KILL", check=0)

    def all_gone():
        reap_orphans()
        for p in pids:
            try:
                if "zombie" not in pathlib.Path(f"/proc/{p}/status").read_text():
                    return False
            except FileNotFoundError:
                pass
        return True
    assert wait_for(all_gone)


def test_detached_run(rt, bundle):
    bundle.args("sleep", "100")
    rt.run("d1", bundle, "--detach", check=0)
    assert rt.state("d1")["status"] == "running"
    rt("delete", "--force", "d1", check=0)
    assert rt("state", "d1").returncode == 1


def test_ps_lists_container_processes(rt, bundle):
    bundle.args("sleep", "100")
    rt.create("ps1", bundle)
    rt("start", "ps1", check=0)
    pid = rt.state("ps1")["pid"]
    assert json.loads(rt("ps", "--format", "json", "ps1", check=0).stdout) == [pid]
    r = rt("ps", "ps1", check=0)
    assert "PID" in r.stdout.splitlines()[0] and str(pid) in r.stdout
    # the table comes from ps(1), as with runc: without it, one clear error, not empty output
    r = rt("ps", "ps1", env={"PATH": str(bundle.dir)})
    assert r.returncode == 1 and r.stdout == "", r
    assert r.stderr.count("\n") == 1 and "install procps" in r.stderr, r.stderr


def test_features_and_spec(rt, tmp_path):
    f = json.loads(rt("features", check=0).stdout)
    assert f["ociVersionMax"].startswith("1.1")
    assert "user" in f["linux"]["namespaces"] and f["linux"]["seccomp"]["enabled"]
    rt("spec", "--bundle", tmp_path, check=0)
    c = json.loads((tmp_path / "config.json").read_text())
    assert c["root"]["path"] == "rootfs" and c["process"]["args"] == ["sh"]
    r = rt("spec", "--bundle", tmp_path)
    assert r.returncode == 1 and "exists" in r.stderr


def test_log_file_json_format(rt, tmp_path):
    log = tmp_path / "log.json"
    r = rt("state", "nosuch", glob=("--log", str(log), "--log-format", "json"))
    assert r.returncode == 1
    entry = json.loads(log.read_text().splitlines()[-1])
    assert entry["level"] == "error" and "does not exist" in entry["msg"]


def test_systemd_cgroup_refused_cleanly(rt, bundle):
    bundle.args("true")
    bundle.write()
    r = rt("create", "--bundle", bundle.dir, "sd1", glob=("--systemd-cgroup",))
    assert r.returncode == 1 and "systemd" in r.stderr
    assert r.stderr.count("\n") == 1
    assert not (pathlib.Path(rt.root) / "sd1").exists()
