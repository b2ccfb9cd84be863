"""gasang oci: capabilities, no_new_privileges, user and groups, rlimits, seccomp."""
from oci_helpers import bundle, rootfs_template, rt  # noqa: F401

CAP = {"CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_KILL": 5, "CAP_NET_BIND_SERVICE": 10,
       "CAP_NET_RAW": 13, "CAP_SYS_ADMIN": 21, "CAP_AUDIT_WRITE": 29}


def run_ok(rt, cid, bundle):
    r = rt.run(cid, bundle)
    assert r.returncode == 0, f"exit {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    return r.stdout


def status_field(out, name):
    return next(line.split(":", 1)[1].strip() for line in out.splitlines()
                if line.startswith(name + ":"))


def test_capabilities_dropped(rt, bundle):
    caps = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    bundle.config["process"]["capabilities"] = {
        "bounding": caps, "effective": caps, "permitted": caps, "inheritable": [],
        "ambient": []}
    bundle.sh("cat /proc/self/status; (chroot / true) 2>&1; echo chroot=$?")
    out = run_ok(rt, "cap1", bundle)
    want = sum(1 << CAP[c] for c in caps)
    assert int(status_field(out, "CapEff"), 16) == want
    assert int(status_field(out, "CapBnd"), 16) == want
    assert int(status_field(out, "CapPrm"), 16) == want
    assert "chroot=0" not in out, "CAP_SYS_CHROOT was dropped: chroot must fail"


def test_capabilities_ambient_for_non_root(rt, bundle):
    caps = ["CAP_NET_BIND_SERVICE", "CAP_NET_RAW"]
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    bundle.config["process"]["capabilities"] = {
        "bounding": caps, "effective": caps, "permitted": caps, "inheritable": caps,
        "ambient": caps}
    bundle.args("cat", "/proc/self/status")
    out = run_ok(rt, "cap2", bundle)
    want = (1 << 10) | (1 << 13)
    assert int(status_field(out, "CapAmb"), 16) == want
    assert int(status_field(out, "CapEff"), 16) == want
    assert status_field(out, "Uid").split()[0] == "1000"


def test_no_new_privileges(rt, bundle):
    bundle.config["process"]["noNewPrivileges"] = True
    bundle.args("cat", "/proc/self/status")
    assert status_field(run_ok(rt, "nnp1", bundle), "NoNewPrivs") == "1"
    bundle.config["process"]["noNewPrivileges"] = False
    assert status_field(run_ok(rt, "nnp2", bundle), "NoNewPrivs") == "0"


def test_user_groups_umask_cwd_env(rt, bundle):
    bundle.config["process"]["user"] = {"uid": 1234, "gid": 2345, "umask": 0o077,
                                        "additionalGids": [3000, 3001]}
    bundle.config["process"]["cwd"] = "/tmp"
    bundle.config["process"]["env"] = ["PATH=/bin", "GREETING=hi there"]
    bundle.sh("id -u; id -g; id -G; pwd; echo $GREETING; umask")
    out = run_ok(rt, "usr1", bundle).splitlines()
    assert out[0] == "1234" and out[1] == "2345"
    assert set(out[2].split()) == {"2345", "3000", "3001"}
    assert out[3] == "/tmp" and out[4] == "hi there" and out[5] == "0077"


def test_rlimits(rt, bundle):
    bundle.config["process"]["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "soft": 321, "hard": 654},
        {"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
    ]
    bundle.sh("ulimit -n; ulimit -Hn; ulimit -c")
    assert run_ok(rt, "rl1", bundle).split() == ["321", "654", "0"]


def seccomp_profile(*rules, default="SCMP_ACT_ALLOW"):
    return {"defaultAction": default, "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
            "syscalls": list(rules)}


def test_seccomp_denies_syscall_with_eperm(rt, bundle):
    bundle.config["linux"]["seccomp"] = seccomp_profile(
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1})
    bundle.sh("mkdir /tmp/d 2>&1; echo rc=$?; touch /tmp/f && echo touch-ok")
    out = run_ok(rt, "sc1", bundle)
    assert "Operation not permitted" in out and "rc=1" in out
    assert "touch-ok" in out


def test_seccomp_errno_value_and_default_action(rt, bundle):
    # errnoRet chooses the error: EACCES (13) instead of the default EPERM.
    bundle.config["linux"]["seccomp"] = seccomp_profile(
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13})
    bundle.sh("mkdir /tmp/d 2>&1; true")
    assert "Permission denied" in run_ok(rt, "sc2", bundle)


def test_seccomp_argument_filter(rt, bundle):
    # chmod with mode 0777 is refused, any other mode works: arg 1 (chmod) / arg 2 (fchmodat).
    bundle.config["linux"]["seccomp"] = seccomp_profile(
        {"names": ["chmod"], "action": "SCMP_ACT_ERRNO",
         "args": [{"index": 1, "value": 0o777, "op": "SCMP_CMP_EQ"}]},
        {"names": ["fchmodat"], "action": "SCMP_ACT_ERRNO",
         "args": [{"index": 2, "value": 0o777, "op": "SCMP_CMP_EQ"}]},
        {"names": ["fchmodat2"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38})
    bundle.sh("touch /tmp/f; chmod 755 /tmp/f && echo 755-ok; chmod 777 /tmp/f 2>&1; "
              "stat -c %a /tmp/f")
    out = run_ok(rt, "sc3", bundle)
    assert "755-ok" in out
    assert "Operation not permitted" in out
    assert out.splitlines()[-1] == "755"


def test_seccomp_masked_eq_and_kill(rt, bundle):
    # SCMP_CMP_MASKED_EQ: (flags & O_ACCMODE) == O_WRONLY on openat is refused; reading works.
    # open(2) has flags at index 1, openat at index 2: give open its own rule.
    bundle.config["linux"]["seccomp"] = seccomp_profile(
        {"names": ["openat"], "action": "SCMP_ACT_ERRNO",
         "args": [{"index": 2, "value": 3, "valueTwo": 1, "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["open"], "action": "SCMP_ACT_ERRNO",
         "args": [{"index": 1, "value": 3, "valueTwo": 1, "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["sync"], "action": "SCMP_ACT_KILL_PROCESS"})
    bundle.sh("cat /etc/passwd; (echo x > /tmp/w) 2>&1; sync; echo sync-rc=$?; echo after-sync")
    r = rt.run("sc4", bundle)
    assert "root:x:0:0" in r.stdout
    assert "Operation not permitted" in r.stdout
    assert "after-sync" in r.stdout  # the subshell calling sync(2) died, not sh
    assert "sync-rc=159" in r.stdout  # killed by SIGSYS (31)


def test_apparmor_and_selinux_labels_ignored(rt, bundle):
    bundle.config["process"]["apparmorProfile"] = "some-profile"
    bundle.config["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0"
    bundle.config["linux"]["mountLabel"] = "system_u:object_r:container_file_t:s0"
    bundle.args("true")
    run_ok(rt, "lbl1", bundle)


def test_oom_score_adj(rt, bundle):
    bundle.config["process"]["oomScoreAdj"] = 345
    bundle.args("cat", "/proc/self/oom_score_adj")
    assert run_ok(rt, "oom1", bundle) == "345\n"


def test_personality_linux32(rt, bundle):
    bundle.config["linux"]["personality"] = {"domain": "LINUX32"}
    bundle.args("uname", "-m")
    assert run_ok(rt, "per1", bundle).strip() in ("i686", "i386")


def test_home_from_passwd_when_unset(rt, bundle):
    bundle.config["process"]["env"] = ["PATH=/bin"]
    bundle.sh("echo $HOME")
    assert run_ok(rt, "home1", bundle) == "/root\n"
    bundle.config["process"]["env"] = ["PATH=/bin", "HOME=/custom"]
    assert run_ok(rt, "home2", bundle) == "/custom\n"
    bundle.config["process"]["user"] = {"uid": 4321, "gid": 4321}
    bundle.config["process"]["env"] = ["PATH=/bin"]
    assert run_ok(rt, "home3", bundle) == "/\n"
