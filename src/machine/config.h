/* What the user asked for on the command line: filled by cli/run.c, read by the boards. */
#ifndef GASANG_MACHINE_CONFIG_H
#define GASANG_MACHINE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define CONFIG_MAX_DEVS 8

enum arch { ARCH_X86_64, ARCH_RISCV64 };

struct disk_config {
	const char *path;
	bool readonly;
	const char *id; /* serial/device ID reported to the guest, may be NULL */
};

struct net_config {
	const char *spec; /* "user[,hostfwd=...]" or "tap=NAME" */
};

struct vsock_config {
	uint64_t cid;
	const char *uds; /* host Unix socket path */
};

struct vm_config {
	enum arch arch;
	const char *accel; /* "kvm", "emu", "emu-interp"; NULL = board default */
	const char *kernel;
	const char *elf; /* riscv64: bare ELF started in M-mode with no firmware */
	const char *initrd;
	const char *append;
	uint64_t mem; /* bytes */
	unsigned cpus;
	const char *console; /* "stdio", "file:PATH", "virtio" (hvc0 on stdio) or "none" */
	bool stats;
	struct disk_config disks[CONFIG_MAX_DEVS];
	unsigned ndisks;
	struct net_config nets[CONFIG_MAX_DEVS];
	unsigned nnets;
	bool rng;
	bool vsock_enabled;
	struct vsock_config vsock;
	const char *virtio_transport; /* x86: "pci" (default, NULL) or "mmio" */
	const char *boot_protocol;    /* x86: auto (NULL), multiboot, pvh, bzimage, vmlinux64 */
};

#endif
