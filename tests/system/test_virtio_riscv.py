"""virtio devices with a Linux guest on the riscv64 software engine: the guest's own drivers
(virtio-mmio from the device tree) against gasang's devices, checked from the host side."""
import hashlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import threading
import time
import urllib.request

import pytest

from conftest import run_gasang
from virtio_guest import ROOT, Guest, kernel_with, riscv_kernel

def need(tool):
    if not shutil.which(tool):
        pytest.skip(f"*** {tool} not installed: SKIPPED ***")


def ext4_image(path, size_mb=32):
    need("mkfs.ext4")
    with open(path, "wb") as f:
        f.truncate(size_mb << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", str(path)], check=True)
    return path


def debugfs_cat(img, name):
    need("debugfs")
    r = subprocess.run(["debugfs", "-R", f"cat {name}", str(img)], capture_output=True,
                       text=True)
    return r.stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_blk_ext4_written_in_guest(gasang, tmp_path):
    img = ext4_image(tmp_path / "disk.img")
    token = secrets.token_hex(8)
    g = Guest(gasang, tmp_path, f"""
mount -t ext4 /dev/vda /mnt || echo MOUNT-FAILED
echo {token} > /mnt/hello.txt
sync
umount /mnt && echo UNMOUNTED
""", ["--disk", img])
    out = g.finish()
    assert "UNMOUNTED" in out, out
    assert g.p.returncode == 0, out
    assert debugfs_cat(img, "/hello.txt").strip() == token


def test_blk_data_durable_at_kill9_after_fsync(gasang, tmp_path):
    img = ext4_image(tmp_path / "disk.img")
    token = secrets.token_hex(16)
    g = Guest(gasang, tmp_path, f"""
mount -t ext4 /dev/vda /mnt || echo MOUNT-FAILED
echo {token} > /mnt/durable.txt
fsync /mnt/durable.txt && fsync /mnt && echo FSYNC-RETURNED
sleep 1000
""", ["--disk", img])
    g.wait_for("FSYNC-RETURNED")
    g.kill(9)  # no flush on the way out: only what fsync made durable survives
    copy = tmp_path / "replayed.img"
    shutil.copy(img, copy)
    subprocess.run(["e2fsck", "-fy", str(copy)], capture_output=True)  # replays the journal
    assert debugfs_cat(copy, "/durable.txt").strip() == token


def test_blk_large_direct_io(gasang, tmp_path):
    # 1 MiB O_DIRECT requests: Linux sends indirect tables of seg_max + 2 entries.
    img = tmp_path / "raw.img"
    with open(img, "wb") as f:
        f.truncate(16 << 20)
    g = Guest(gasang, tmp_path, """
dd if=/dev/zero of=/dev/vda bs=1M count=16 oflag=direct 2>/dev/null && echo ZERO-OK
yes gasang-block | head -c 4194304 > /tmp/pattern
dd if=/tmp/pattern of=/dev/vda bs=1M oflag=direct 2>/dev/null && echo WRITE-OK
dd if=/dev/vda bs=1M count=4 iflag=direct 2>/dev/null | cmp - /tmp/pattern && echo READ-OK
""", ["--disk", img])
    out = g.finish()
    assert "ZERO-OK" in out and "WRITE-OK" in out and "READ-OK" in out, out
    data = img.read_bytes()[:4 << 20]
    assert data == (b"gasang-block\n" * (4 << 20))[:4 << 20]


def test_blk_readonly_refuses_writes(gasang, tmp_path):
    img = tmp_path / "ro.img"
    img.write_bytes(os.urandom(1 << 20))
    before = hashlib.sha256(img.read_bytes()).hexdigest()
    g = Guest(gasang, tmp_path, """
echo RO=$(blockdev --getro /dev/vda)
dd if=/dev/zero of=/dev/vda bs=512 count=8 conv=fsync 2>/dev/null; echo DD-RC=$?
dd if=/dev/vda bs=512 count=1 2>/dev/null | wc -c | sed 's/^/READ-BYTES=/'
""", ["--disk", f"{img},ro"])
    out = g.finish()
    assert "RO=1" in out, out
    assert "DD-RC=0" not in out and "DD-RC=" in out, out
    assert "READ-BYTES=512" in out, out
    assert hashlib.sha256(img.read_bytes()).hexdigest() == before


def test_rng_bytes(gasang, tmp_path):
    g = Guest(gasang, tmp_path, """
echo CURRENT=$(cat /sys/class/misc/hw_random/rng_current)
dd if=/dev/hwrng bs=64 count=1 2>/dev/null | hexdump -v -e '64/1 "%02x" "\\n"' | sed 's/^/RNG=/'
""", ["--rng"])
    out = g.finish()
    assert "CURRENT=virtio_rng" in out, out
    line = next(l for l in out.splitlines() if l.startswith("RNG="))
    hexbytes = line[4:].strip()
    assert len(hexbytes) == 128 and hexbytes != "0" * 128, out


NET_SETUP = """
ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up
route add default gw 10.0.2.2
"""


def test_net_hostfwd_and_guest_to_host(gasang, tmp_path):
    token_in, token_out = secrets.token_hex(8), secrets.token_hex(8)
    hostport, serverport = free_port(), free_port()
    got = []
    srv = socket.socket()
    srv.bind(("127.0.0.1", serverport))
    srv.listen(1)
    srv.settimeout(180)

    def serve():
        try:
            c, _ = srv.accept()
            with c:
                c.settimeout(30)
                got.append(c.recv(100).decode().strip())
        except OSError:
            pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    g = Guest(gasang, tmp_path, NET_SETUP + f"""
echo {token_out} | nc 10.0.2.2 {serverport} && echo SENT-TO-HOST
httpd -p 8080 -h /www && echo LISTENING
sleep 1000
""", ["--net", f"user,hostfwd=tcp:127.0.0.1:{hostport}-:8080"],
              files={"www/index.html": token_in})
    try:
        g.wait_for("LISTENING")
        body = urllib.request.urlopen(f"http://127.0.0.1:{hostport}/index.html",
                                      timeout=60).read().decode()
        assert body.strip() == token_in
    finally:
        g.kill(15)
        srv.close()
    t.join(5)
    assert got == [token_out], g.text()


def test_net_bulk_tcp_with_offloads(gasang, tmp_path):
    # 4 MiB each way through libslirp. Guest to host goes out as TSO frames (up to 64 KiB, no
    # checksums from the guest): the device completes the checksums and slirp drops any segment
    # whose checksum is wrong, so the content arriving whole proves them; the frame count shows
    # the guest really sent large frames. Host to guest (an HTTP GET) is marked DATA_VALID.
    size = 4 << 20
    up = (b"gasang-offload\n" * (size // 15 + 1))[:size]
    down = bytes(reversed(up))
    got = bytearray()
    srv_up, srv_down = socket.socket(), socket.socket()
    for srv in (srv_up, srv_down):
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        srv.settimeout(180)

    def receive():
        try:
            c, _ = srv_up.accept()
            with c:
                c.settimeout(60)
                while len(got) < size:
                    d = c.recv(1 << 16)
                    if not d:
                        break
                    got.extend(d)
        except OSError:
            pass

    def send():
        try:
            c, _ = srv_down.accept()
            with c:
                c.settimeout(60)
                c.recv(1000)
                c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % size + down)
        except OSError:
            pass

    threads = [threading.Thread(target=f, daemon=True) for f in (receive, send)]
    for t in threads:
        t.start()
    g = Guest(gasang, tmp_path, NET_SETUP + f"""
yes gasang-offload | head -c {size} > /tmp/out
nc 10.0.2.2 {srv_up.getsockname()[1]} < /tmp/out && echo SENT-TO-HOST
wget -q -O /tmp/in http://10.0.2.2:{srv_down.getsockname()[1]}/ && echo GOT-FROM-HOST
echo IN-SHA=$(sha256sum /tmp/in)
""", ["--net", "user"], env={"GASANG_DEBUG": "1"})
    try:
        out = g.finish()
    finally:
        srv_up.close()
        srv_down.close()
    assert bytes(got) == up, f"{len(got)} bytes from the guest\n{out}"
    assert f"IN-SHA={hashlib.sha256(down).hexdigest()}" in out, out
    err = g.p.stderr.read().decode()
    m = re.search(r"virtio-net: tx (\d+) frames \((\d+) TSO, (\d+) to the back end, "
                  r"(\d+) dropped\)", err)
    assert m, err
    # The 4 MiB upload goes out as TSO frames (~512 of 8 KiB seen here; without TSO there are
    # none, and over 2900 frames of one 1448-byte segment each). The total also counts the
    # download's ACKs, which vary with timing (200-500), so only the TSO count is checked.
    assert 0 < int(m.group(2)) < 2000 and int(m.group(4)) == 0, err


def test_console_virtio_hvc(gasang, tmp_path):
    # With --console virtio the UART is silent. The SBI console may own hvc0 (then
    # virtio-console is hvc1), so the kernel console is hvc0 either way; a distinct token goes
    # to every hvc that takes writes and each must reach the host's stdout.
    token = secrets.token_hex(8)
    g = Guest(gasang, tmp_path, f"""
ls /sys/bus/virtio/drivers/virtio_console/ | grep -q virtio && echo VIRTIO-CONSOLE-BOUND
for n in 0 1 2 3; do
  echo HVC-$n-{token} > /dev/hvc$n 2>/dev/null && echo WROTE-$n
done
""", ["--console", "virtio"], append="console=hvc0")
    out = g.finish()
    assert "VIRTIO-CONSOLE-BOUND" in out, out
    wrote = [n for n in range(4) if f"WROTE-{n}" in out]
    assert wrote, out
    for n in wrote:
        assert f"HVC-{n}-{token}" in out, out


def test_vsock_both_directions(gasang, tmp_path):
    kernel = kernel_with("CONFIG_VIRTIO_VSOCKETS")
    if not kernel:
        pytest.skip("*** no riscv64 kernel with CONFIG_VIRTIO_VSOCKETS (prebuilt or built by "
                    "guests/riscv64/build-kernel.sh --force): vsock test SKIPPED ***")
    need("riscv64-linux-gnu-gcc")
    echo = tmp_path / "vsock_echo"
    subprocess.run(["riscv64-linux-gnu-gcc", "-static", "-O2", "-o", str(echo),
                    str(ROOT / "tests" / "guests" / "vsock_echo.c")], check=True)
    uds = tmp_path / "v.sock"
    # Guest to host: the guest's connect to CID 2 port 5000 reaches the Unix socket uds_5000.
    host_srv = socket.socket(socket.AF_UNIX)
    host_srv.bind(f"{uds}_5000")
    host_srv.listen(1)
    host_srv.settimeout(120)
    token_up = secrets.token_hex(8)

    def serve():
        try:
            c, _ = host_srv.accept()
            with c:
                c.settimeout(30)
                c.sendall(b"host-saw-" + c.recv(100))
        except OSError:
            pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    g = Guest(gasang, tmp_path, f"""chmod 755 /vsock_echo
/vsock_echo send 5000 {token_up}
/vsock_echo 1234 &
sleep 1000
""", ["--vsock", f"3,uds={uds}"], files={"vsock_echo": echo.read_bytes()}, kernel=kernel)
    try:
        g.wait_for("VSOCK-LISTENING")
        assert f"VSOCK-REPLY:host-saw-{token_up}" in g.text()
        # Host to guest, Firecracker style: CONNECT <port>, OK <hostport>, then the stream.
        token = secrets.token_hex(8).encode()
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(60)
            s.connect(str(uds))
            s.sendall(b"CONNECT 1234\n")
            hello = b""
            while not hello.endswith(b"\n"):
                hello += s.recv(1)
            assert hello.startswith(b"OK "), hello
            s.sendall(token)
            back = b""
            while len(back) < len(token):
                back += s.recv(100)
        assert back == token
    finally:
        g.kill(15)
        host_srv.close()


# Bad input: one error line and a non-zero exit, before any guest code runs.
def bad_run(tmp_path, *args):
    r = run_gasang("run", "--arch", "riscv64", "--kernel", riscv_kernel(),
                   *args, timeout=60)
    if "not built yet" in r.stderr:
        pytest.skip(f"*** riscv64 board not built yet: SKIPPED ***")
    assert r.returncode != 0
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("gasang: "), r.stderr
    return r.stderr


def test_missing_disk_file(tmp_path):
    err = bad_run(tmp_path, "--disk", tmp_path / "nope.img")
    assert "nope.img" in err and "No such file" in err


def test_directory_as_disk(tmp_path):
    err = bad_run(tmp_path, "--disk", tmp_path)
    assert "Is a directory" in err


def test_host_port_in_use(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        err = bad_run(tmp_path, "--net", f"user,hostfwd=tcp:127.0.0.1:{port}-:80")
    assert str(port) in err and "in use" in err


def test_tap_without_privileges(tmp_path):
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        pytest.skip("*** root without setpriv: cannot drop privileges, SKIPPED ***")
    args = ["--net", "tap=gsgnopriv0"]
    if os.geteuid() == 0:
        import conftest
        r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            conftest.gasang_path(), "run", "--arch", "riscv64", "--kernel",
                            str(riscv_kernel()), *args],
                           capture_output=True, text=True, timeout=60)
        if "not built yet" in r.stderr:
            pytest.skip("*** riscv64 board not built yet: SKIPPED ***")
        assert r.returncode != 0
        assert r.stderr.count("\n") == 1 and "tap=gsgnopriv0" in r.stderr, r.stderr
    else:
        err = bad_run(tmp_path, *args)
        assert "tap=gsgnopriv0" in err
