#!/bin/busybox sh
# /init of the KVM lab's outer VM (Debian's generic kernel in QEMU TCG with an emulated AMD CPU
# that has SVM): loads KVM, runs the lab script /lab/script.sh (put there by tests/lab/lab.py)
# with its output between markers on the serial console, and powers off.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
echo "@@LAB-INIT uptime=$(cut -d' ' -f1 /proc/uptime)@@"
m=/lib/modules/lab
insmod $m/irqbypass.ko && insmod $m/kvm.ko && insmod $m/ccp.ko &&
	insmod $m/kvm-amd.ko npt=1 nrips=0
if [ -c /dev/kvm ]; then
	echo "@@LAB-KVM ok@@"
else
	echo "@@LAB-KVM missing@@"
	grep -o -w svm /proc/cpuinfo | head -n 1
	dmesg | grep -i -E 'kvm|svm' | tail -n 5
fi
cd /lab
if [ -f /lab/script.sh ]; then
	echo "@@LAB-SCRIPT-BEGIN@@"
	sh /lab/script.sh
	echo "@@LAB-SCRIPT-END rc=$? uptime=$(cut -d' ' -f1 /proc/uptime)@@"
else
	echo "@@LAB-SCRIPT-END rc=127 (no /lab/script.sh)@@"
fi
poweroff -f
