"""gasang oci: bad input gets a runc-compatible error (one line, exit status 1) and leaves
nothing behind (no state directory, no cgroup, no process)."""
import json
import os
import pathlib

from oci_helpers import (bundle, cgroup_dirs, new_bundle, reap_orphans, rootfs_template,  # noqa: F401
                         rt)


def assert_no_new_cgroup(before, cid):
    # Only this container's: other jobs on the host may create cgroups meanwhile.
    new = [d for d in cgroup_dirs() - before if cid in d]
    assert not new, f"cgroups left behind: {new}"


def assert_clean_failure(r, rt, cid, *words):
    assert r.returncode == 1, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gasang: "), r.stderr
    for w in words:
        assert w in r.stderr, r.stderr
    assert not (pathlib.Path(rt.root) / cid).exists(), "state left behind"


def test_malformed_config_json(rt, bundle):
    bundle.write()
    (bundle.dir / "config.json").write_text('{"ociVersion": "1.1.0", "root": {')
    before = cgroup_dirs()
    r = rt("create", "--bundle", bundle.dir, "bad1")
    assert_clean_failure(r, rt, "bad1", "config.json", "invalid JSON")
    assert_no_new_cgroup(before, "bad1")


def test_invalid_value_names_the_json_path(rt, bundle):
    cases = [
        (lambda c: c["linux"]["namespaces"].append({"type": "bogus"}),
         "linux.namespaces[6].type"),
        (lambda c: c["process"].__setitem__("args", "sh"), "process.args"),
        (lambda c: c["process"]["rlimits"].append({"type": "RLIMIT_NOPE", "soft": 1,
                                                   "hard": 1}), "process.rlimits[1].type"),
        (lambda c: c["mounts"][0].__setitem__("destination", "relative"), "mounts[0]"),
        (lambda c: c["linux"]["resources"].__setitem__("memory", {"limit": "1G"}),
         "linux.resources.memory.limit"),
        (lambda c: c["linux"].__setitem__("seccomp", {"defaultAction": "SCMP_ACT_MAYBE"}),
         "linux.seccomp.defaultAction"),
        (lambda c: c["process"]["user"].__setitem__("uid", -5), "process.user.uid"),
        (lambda c: c.__delitem__("root"), "root"),
    ]
    for i, (mutate, path) in enumerate(cases):
        bundle.config = json.loads(json.dumps(bundle.config))
        saved = json.loads(json.dumps(bundle.config))
        mutate(bundle.config)
        bundle.write()
        r = rt("create", "--bundle", bundle.dir, f"inv{i}")
        assert_clean_failure(r, rt, f"inv{i}", path)
        bundle.config = saved


def test_unknown_fields_are_ignored(rt, bundle):
    bundle.config["someFutureField"] = {"x": 1}
    bundle.config["process"]["futureProcessField"] = [1, 2]
    bundle.config["linux"]["intelRdt"] = {"closID": "x"}
    bundle.args("true")
    r = rt.run("unk1", bundle)
    assert r.returncode == 0, r.stderr


def test_missing_rootfs(rt, bundle):
    bundle.config["root"]["path"] = "no-such-rootfs"
    bundle.write()
    before = cgroup_dirs()
    r = rt("create", "--bundle", bundle.dir, "nr1")
    assert_clean_failure(r, rt, "nr1", "rootfs", "does not exist")
    assert_no_new_cgroup(before, "nr1")


def test_missing_config(rt, tmp_path):
    r = rt("create", "--bundle", tmp_path, "nc1")
    assert_clean_failure(r, rt, "nc1", "config.json not found")


def test_duplicate_id(rt, bundle, new_bundle):
    bundle.args("sleep", "100")
    rt.create("dup1", bundle)
    pid = rt.state("dup1")["pid"]
    other = new_bundle()
    other.args("true")
    other.write()
    r = rt("create", "--bundle", other.dir, "dup1")
    assert r.returncode == 1 and "container with id exists: dup1" in r.stderr
    st = rt.state("dup1")
    assert st["status"] == "created" and st["pid"] == pid and st["bundle"] == str(bundle.dir)


def test_invalid_id(rt, bundle):
    bundle.write()
    r = rt("create", "--bundle", bundle.dir, "../escape")
    assert r.returncode == 1 and "invalid container id" in r.stderr
    assert not (pathlib.Path(rt.root).parent / "escape").exists()


def test_unknown_signal(rt, bundle):
    bundle.args("sleep", "100")
    rt.create("sig1", bundle)
    for bad in ("SIGNOPE", "NOPE", "99999", "-9", ""):
        r = rt("kill", "sig1", bad)
        assert r.returncode == 1 and "unknown signal" in r.stderr, (bad, r.stderr)
    assert rt.state("sig1")["status"] == "created"


def test_delete_running_without_force(rt, bundle):
    bundle.args("sleep", "100")
    rt.create("run1", bundle)
    rt("start", "run1", check=0)
    pid = rt.state("run1")["pid"]
    r = rt("delete", "run1")
    assert r.returncode == 1
    assert "cannot delete container run1 that is not stopped: running" in r.stderr
    assert rt.state("run1")["status"] == "running"
    assert os.path.exists(f"/proc/{pid}")
    cg = json.loads((pathlib.Path(rt.root) / "run1" / "state.json").read_text())["cgroup"]
    rt("delete", "--force", "run1", check=0)
    reap_orphans()
    assert not (pathlib.Path(rt.root) / "run1").exists()
    assert not pathlib.Path(f"/sys/fs/cgroup/memory{cg}").exists()


def test_operations_on_missing_container(rt):
    for args in (("start", "ghost"), ("state", "ghost"), ("kill", "ghost", "KILL"),
                 ("delete", "ghost"), ("pause", "ghost"), ("exec", "ghost", "true")):
        r = rt(*args)
        assert r.returncode == 1 and "does not exist" in r.stderr, (args, r.stderr)
    assert rt("delete", "--force", "ghost").returncode == 0


def test_missing_executable(rt, bundle):
    bundle.args("no-such-binary")
    bundle.write()
    before = cgroup_dirs()
    r = rt("create", "--bundle", bundle.dir, "nx1")
    assert_clean_failure(r, rt, "nx1", 'exec: "no-such-binary": executable file not found')
    assert_no_new_cgroup(before, "nx1")


def test_failing_mount_cleans_up(rt, bundle):
    bundle.config["mounts"].append({"destination": "/x", "type": "bind",
                                    "source": "/no/such/source", "options": ["bind"]})
    bundle.args("true")
    bundle.write()
    before = cgroup_dirs()
    r = rt("create", "--bundle", bundle.dir, "fm1")
    assert_clean_failure(r, rt, "fm1", "/no/such/source")
    assert_no_new_cgroup(before, "fm1")


def test_usage_errors(rt):
    r = rt("create")
    assert r.returncode == 1 and "expected 1 argument" in r.stderr
    r = rt("frobnicate")
    assert r.returncode == 1 and "unknown command" in r.stderr
