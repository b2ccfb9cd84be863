"""The command line: help, unknown commands, option errors give one line and non-zero."""
from conftest import run_gasang


def test_help_lists_commands():
    r = run_gasang("--help", check_status=0)
    assert "run" in r.stdout


def test_run_help():
    r = run_gasang("run", "--help", check_status=0)
    assert "--kernel" in r.stdout and "--stats" in r.stdout


def test_unknown_command_one_line():
    r = run_gasang("frobnicate")
    assert r.returncode != 0
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("gasang: ")


def test_bad_options_one_line_each():
    for args in (["--mem", "0"], ["--cpus", "0"], ["--mem", "lots"], ["--bogus"], []):
        r = run_gasang("run", "--kernel", "/nonexistent", *args) if args else run_gasang("run")
        assert r.returncode != 0, args
        assert r.stderr.count("\n") == 1 and r.stderr.startswith("gasang: "), (args, r.stderr)
