"""gasang exec: static riscv64 Linux programs on the software engine (process VM).

Test programs are cross-compiled at test time from tests/guests/user/*.c with Debian's
gcc-riscv64-linux-gnu; where the output is deterministic it is compared with qemu-riscv64
(Debian's qemu-user), the reference."""
import hashlib
import os
import pathlib
import shutil
import subprocess

import pytest

import riscv_guest
from conftest import ROOT, run_gasang

SRC = ROOT / "tests" / "guests" / "user"
CC = "riscv64-linux-gnu-gcc"


def busybox_path():
    """The prebuilt riscv64 busybox, else the project's own (cross-built once, cached)."""
    p = riscv_guest.busybox()
    return p if p.is_file() else None


@pytest.fixture(scope="session")
def progs(tmp_path_factory):
    if not shutil.which(CC):
        pytest.skip(f"*** {CC} missing (scripts/install-deps.sh): gasang exec tests SKIPPED ***")
    out = tmp_path_factory.mktemp("rvprogs")
    built = {}
    for name in ("args", "files", "procs", "sig", "hostile", "net", "hotfault"):
        exe = out / name
        subprocess.run([CC, "-O2", "-static", "-o", exe, SRC / f"{name}.c"], check=True)
        built[name] = exe
    exe = out / "threads"
    subprocess.run([CC, "-O2", "-static", "-pthread", "-o", exe, SRC / "threads.c"], check=True)
    built["threads"] = exe
    exe = out / "pie"
    subprocess.run([CC, "-O2", "-fPIE", "-static-pie", "-nostdlib", "-ffreestanding",
                    "-Wl,--no-dynamic-linker", "-o", exe, SRC / "pie.c"], check=True)
    built["pie"] = exe
    exe = out / "dynamic"
    subprocess.run([CC, "-O2", "-o", exe, SRC / "args.c"], check=True)
    built["dynamic"] = exe
    return built


@pytest.fixture(scope="session")
def busybox():
    p = busybox_path()
    if p is None:
        pytest.skip("*** no riscv64 busybox (guests/riscv64/build-initramfs.sh could not "
                    "build one): busybox exec tests SKIPPED ***")
    return p


def qemu(*args, env=None):
    if not shutil.which("qemu-riscv64"):
        return None
    return subprocess.run(["qemu-riscv64", *map(str, args)], capture_output=True, text=True,
                          timeout=60, env=env)


def same_as_qemu(prog, *args, out):
    """Where qemu-riscv64 is installed, the reference prints the same."""
    ref = qemu(prog, *args)
    if ref is not None:
        assert ref.stdout == out


def test_argv_envp_auxv(progs):
    env = dict(os.environ, GASANG_TEST_VAR="from-host")
    r = subprocess.run([os.environ.get("GASANG") or str(ROOT / "build/src/gasang"), "exec",
                        progs["args"], "one", "two words", "7"],
                       capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 7, r.stderr
    out = r.stdout
    for line in ("argc=4", "argv[1]=one", "argv[2]=two words", "argv[argc]=null",
                 "envp_matches_environ=1", "GASANG_TEST_VAR=from-host", "pagesz=4096",
                 "phent=56", "phnum_ok=1", "entry_is_start=1", "uid_ok=1 gid_ok=1 secure=0",
                 "clktck=100", "random_ok=1", "hwcap_imafdc=1", f"execfn={progs['args']}",
                 "sp_aligned=1"):
        assert line + "\n" in out, (line, out)
    ref = qemu(progs["args"], "one", "two words", "7", env=env)
    if ref is not None:
        assert ref.stdout == out


def test_argv0_option(progs):
    r = run_gasang("exec", "--argv0", "renamed", progs["args"], check_status=0)
    assert "argv[0]=renamed\n" in r.stdout


def test_static_pie_is_relocated(progs):
    r = run_gasang("exec", progs["pie"], check_status=3)
    assert r.stdout.startswith("pie at 0x") and int(r.stdout.split()[2], 16) > 0x10000


def test_files(progs, tmp_path):
    r = run_gasang("exec", progs["files"], tmp_path, check_status=0)
    expected = ["cwd_matches=1", "size=12 mode=640 nlink=1 reg=1", "read=World",
                "pread=hello", "readv=hel|lo W", "readlink=a.txt", "dir: hard link sub",
                "pipe=pipe!", "machine=riscv64 sysname=Linux", "bad_pointer=1", "done"]
    for line in expected:
        assert line + "\n" in r.stdout, (line, r.stdout)
    assert list(tmp_path.iterdir()) == []
    ref_dir = tmp_path / "ref"
    ref_dir.mkdir()
    ref = qemu(progs["files"], ref_dir)
    if ref is not None:
        assert ref.stdout == r.stdout


def test_processes_and_memory(progs):
    r = run_gasang("exec", progs["procs"], check_status=0)
    for line in ("mmap64M sum=2088960 zero_after_remap=1", "mremap_kept=1", "file_map_elf=1",
                 "brk_grows=1", "fork: pipe=from child exited=1 status=5 shared=77",
                 "exec'd child argv0=renamed arg=xyz", "vfork+exec: status=9",
                 "killed child: signaled=1 sig=9", "execve_missing=1"):
        assert line + "\n" in r.stdout, (line, r.stdout)


def test_signals(progs):
    r = run_gasang("exec", progs["sig"], check_status=0, timeout=30)
    expected = ("usr1: got=10 siginfo_ok=1 fp=17.557774\n"
                "pending: usr1=1 usr2=1 delivered_early=0\n"
                "order: 12 10\n"
                "alarm: got=14\n"
                "sa_restart: read=1 ticks=1\n"
                "no restart: read=-1 eintr=1 ticks=2\n"
                "sigwait: sig=12 from_self=1\n"
                "sigwait: sig=17 child_ok=1 status=4\n"
                "sigtimedwait timeout: 1 eagain=1\n"
                "segv handler: sig=11 addr=0x10\n"
                "after segv\n")
    assert r.stdout == expected
    same_as_qemu(progs["sig"], out=r.stdout)


def test_fault_in_translated_block(progs):
    """A load through a bad pointer in a hot, translated loop (direct RAM loads in exec):
    SIGSEGV with the interpreter's fault address, pc and registers."""
    outs = [run_gasang("exec", "--accel", accel, progs["hotfault"], check_status=0).stdout
            for accel in ("emu", "emu-interp")]
    assert "segv: sig=11 addr=0x18 pc=sum_loop+" in outs[0], outs[0]
    assert outs[0].endswith("after segv\n")
    assert outs[0] == outs[1]


def test_signal_death_exit_status(progs):
    r = run_gasang("exec", progs["sig"], "die", timeout=30)
    assert r.returncode == 128 + 15
    assert "still alive" not in r.stdout


def test_exit_status(progs):
    run_gasang("exec", progs["args"], "x", "42", check_status=42)
    run_gasang("exec", progs["args"], "x", "300", check_status=300 & 0xff)


def one_error_line(r, *words):
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gasang: "), r.stderr
    for w in words:
        assert w in lines[0], r.stderr


def test_bad_inputs(progs, tmp_path):
    r = run_gasang("exec", tmp_path / "missing")
    assert r.returncode == 127
    one_error_line(r, "No such file")
    text = tmp_path / "text"
    text.write_text("just text\n")
    r = run_gasang("exec", text)
    assert r.returncode == 126
    one_error_line(r, "not an ELF")
    r = run_gasang("exec", "/bin/true")
    assert r.returncode == 126
    one_error_line(r, "wrong architecture")
    r = run_gasang("exec", progs["dynamic"])
    assert r.returncode == 126
    one_error_line(r, "dynamically linked")
    r = run_gasang("exec")
    assert r.returncode == 2
    one_error_line(r, "no program")


def test_help():
    r = run_gasang("exec", "--help", check_status=0)
    assert "usage: gasang exec" in r.stdout
    assert "exec" in run_gasang("--help", check_status=0).stdout


def test_busybox_ls(busybox, tmp_path):
    for n in ("zeta", "alpha", "mid"):
        (tmp_path / n).write_text(n)
    (tmp_path / "dir").mkdir()
    r = run_gasang("exec", busybox, "ls", "-1", tmp_path, check_status=0)
    assert r.stdout == "alpha\ndir\nmid\nzeta\n"
    r = run_gasang("exec", busybox, "ls", "-l", tmp_path / "alpha", check_status=0)
    assert r.stdout.startswith("-rw") and " 5 " in r.stdout


def test_busybox_sha256sum(busybox, tmp_path):
    data = os.urandom(300_000)
    f = tmp_path / "blob"
    f.write_bytes(data)
    r = run_gasang("exec", busybox, "sha256sum", f, check_status=0)
    assert r.stdout.split()[0] == hashlib.sha256(data).hexdigest()
    host = subprocess.run(["sha256sum", f], capture_output=True, text=True, check=True)
    assert r.stdout == host.stdout


def applet_dir(busybox, tmp_path):
    """A PATH directory of busybox applet links, so the shell execs riscv64 programs."""
    d = tmp_path / "bin"
    d.mkdir()
    for a in ("sh", "ls", "cat", "echo", "sort", "tr", "wc", "head", "seq", "expr"):
        (d / a).symlink_to(busybox)
    return d


def test_busybox_sh_pipeline(busybox, tmp_path):
    env = dict(os.environ, PATH=str(applet_dir(busybox, tmp_path)))
    (tmp_path / "f1").write_text("x")
    r = subprocess.run([os.environ.get("GASANG") or str(ROOT / "build/src/gasang"), "exec",
                        busybox, "sh", "-c",
                        f"cd {tmp_path} && ls; echo hi | cat; "
                        "echo 'c b a' | tr ' ' '\\n' | sort | head -2; exit 4"],
                       capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 4, r.stderr
    assert r.stdout == "bin\nf1\nhi\na\nb\n"


def test_busybox_sh_script(busybox, tmp_path):
    env = dict(os.environ, PATH=str(applet_dir(busybox, tmp_path)))
    script = tmp_path / "script.sh"
    script.write_text(
        "set -e\n"
        "total=0\n"
        "for i in $(seq 1 10); do total=$((total + i)); done\n"
        "echo total=$total\n"
        "f() { echo \"args:$#:$1\"; return 3; }\n"
        "f a b || echo rc=$?\n"
        "trap 'echo trapped USR1' USR1\n"
        "kill -USR1 $$\n"
        "x=$(echo sub | tr a-z A-Z)\n"
        "echo $x\n"
        "(exit 6) || echo sub=$?\n"
        "case $total in 55) echo case-ok;; esac\n"
        "echo line1 > out.txt; echo line2 >> out.txt; wc -l < out.txt\n")
    r = subprocess.run([os.environ.get("GASANG") or str(ROOT / "build/src/gasang"), "exec",
                        busybox, "sh", script], capture_output=True, text=True, timeout=60,
                       env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ("total=55\nargs:2:a\nrc=3\ntrapped USR1\nSUB\nsub=6\ncase-ok\n2\n")


def test_hostile_syscalls_are_contained(progs, tmp_path):
    """Every syscall number with garbage and boundary arguments: gasang must not crash."""
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    runs = [(os.environ.get("GASANG") or str(ROOT / "build/src/gasang"), seed)
            for seed in ("1", "2")]
    if os.environ.get("GASANG_ASAN"):  # scripts/test.sh: the ASan+UBSan build as well
        runs.append((os.environ["GASANG_ASAN"], "3"))
    for binary, seed in runs:
        r = subprocess.run([binary, "exec", progs["hostile"], seed], capture_output=True,
                           timeout=300, env=env, cwd=tmp_path, stdin=subprocess.DEVNULL)
        out = r.stdout.decode(errors="replace")
        err = r.stderr.decode(errors="replace")
        assert "Sanitizer" not in err and "runtime error" not in err, err[-2000:]
        assert r.returncode == 0, out
        assert "contained\n" in out


def test_threads(progs):
    for _ in range(3):  # races would show as wrong counts or hangs
        r = run_gasang("exec", progs["threads"], timeout=60, check_status=3)
        assert r.stdout == ("counter=80000 atomic=80000 joined_sum=606 main_tls=7\n"
                            "cond: woke=1 distinct_tid=1\n"
                            "signal to thread: handled_on_target=1\n"
                            "fork from thread: child status=11\n")
    same_as_qemu(progs["threads"], out=r.stdout)


def test_exit_group_from_thread_ends_blocked_threads(progs):
    run_gasang("exec", progs["threads"], "exit-from-thread", timeout=30, check_status=5)


def test_sockets_loopback(progs):
    r = run_gasang("exec", progs["net"], timeout=60, check_status=0)
    assert r.stdout == ("tcp: ECHO server_ok=1\n"
                        "udp: dgram from_loopback=1\n"
                        "scm_rights: via fd\n"
                        "epoll: events=1 data=1122334455667788 eventfd=3\n")
    same_as_qemu(progs["net"], out=r.stdout)


def test_cpubench_checksums_match_native(progs, tmp_path):
    """The benchmark program (bench/cpubench.c) gives the native checksums under gasang."""
    src = ROOT / "bench" / "cpubench.c"
    native, rv = tmp_path / "native", tmp_path / "rv64"
    subprocess.run(["gcc", "-O2", "-ffp-contract=off", "-static", "-o", native, src], check=True)
    subprocess.run([CC, "-O2", "-ffp-contract=off", "-static", "-o", rv, src], check=True)
    want = subprocess.run([native], capture_output=True, text=True, check=True).stdout
    r = run_gasang("exec", rv, timeout=120, check_status=0)

    def sums(out):
        return [line.split()[1:3] for line in out.splitlines() if "total" not in line]
    assert len(sums(want)) == 5 and sums(r.stdout) == sums(want)


def test_script_with_riscv64_interpreter(busybox, tmp_path):
    """execve of a #! script whose interpreter is a riscv64 program (no binfmt_misc needed)."""
    script = tmp_path / "s.sh"
    script.write_text(f"#!{busybox} sh\necho script: $# $1 $2\nexit 7\n")
    script.chmod(0o755)
    r = run_gasang("exec", busybox, "sh", "-c", f"{script} a 'b c'; echo rc=$?",
                   check_status=0)
    assert r.stdout == "script: 2 a b c\nrc=7\n"


def test_strace_option(progs):
    r = run_gasang("exec", "--strace", progs["args"], "x", "5", check_status=5)
    assert "argc=3\n" in r.stdout
    calls = [line for line in r.stderr.splitlines() if "] syscall " in line]
    assert any(" syscall 64 (0x1," in line for line in calls), r.stderr  # write(1, ...)
