/* The x86_64 PC-like board on KVM: RAM split around the 3-4 GiB hole, the in-kernel PIC, IOAPIC
 * and PIT, a 16550 UART at 0x3f8 (IRQ 4), CMOS RTC, i8042 reset, isa-debug-exit, fw_cfg, the
 * boot marker and the hypercall port, an MP table, and the kernel loaded by the matching loader.
 * Ports and layout: docs/x86-platform.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel/kvm/kvm.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "board/board.h"
#include "boot/acpi.h"
#include "boot/mptable.h"
#include "boot/x86_boot.h"
#include "devices/pc_misc.h"
#include "devices/pci/host.h"
#include "devices/uart16550.h"
#include "devices/virtio/attach.h"
#include "machine/machine.h"

#define UART_PORT 0x3f8
#define UART_IRQ  4

/* fw_cfg keys (QEMU's numbering). */
#define FW_CFG_SIGNATURE    0x00
#define FW_CFG_ID	    0x01
#define FW_CFG_RAM_SIZE	    0x03
#define FW_CFG_NB_CPUS	    0x05
#define FW_CFG_MAX_CPUS	    0x0f
#define FW_CFG_CMDLINE_SIZE 0x14
#define FW_CFG_CMDLINE_DATA 0x15
#define FW_CFG_FILE_DIR	    0x19

struct x86_pc {
	struct machine m;
	struct uart16550 uart;
	struct rtc_cmos rtc;
	struct fw_cfg fw_cfg;
	struct acpi_pm acpi_pm;
	uint8_t *kernel, *initrd;
	size_t kernel_len, initrd_len;
	bool have_machine;
	struct virtio_set *virtio;
	struct pci_host pci;
	char *append; /* the user's command line plus virtio_mmio.device= for each device */
};

/* virtio-mmio slots: 4 KiB windows from 0xd0000000 in the PCI hole, on ISA IRQs no other
 * device of this board uses (not 8: rtc-cmos, not 9: ACPI SCI); the guest learns of them from
 * virtio_mmio.device= on its command line. */
#define VIRTIO_MMIO_BASE 0xd0000000ULL
static const unsigned virtio_irqs[] = {5, 6, 7, 10, 11, 12, 14, 15};

/* virtio-pci (the default): a PCI host bridge on ports 0xCF8/0xCFC with the devices' BARs in
 * a 256 MiB window from 0xe0000000 (below the IOAPIC and LAPIC, above the virtio-mmio slots),
 * described to ACPI kernels as \_SB.PCI0 in the DSDT (boot/acpi.c); kernels without ACPI
 * probe configuration mechanism #1 and scan bus 0 themselves (docs/virtio-pci.md). */
#define PCI_MMIO_BASE 0xe0000000ULL
#define PCI_MMIO_SIZE 0x10000000ULL

static int pc_check_mem(const struct vm_config *cfg)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	uint64_t host = pages > 0 && psz > 0 ? (uint64_t)pages * (uint64_t)psz : 0;

	if (host && cfg->mem > host) {
		log_error("--mem: %llu MiB is more than this host's %llu MiB of RAM",
			  (unsigned long long)(cfg->mem >> 20), (unsigned long long)(host >> 20));
		return -ENOMEM;
	}
	return 0;
}

/* Maps a kernel or initrd file read-only (its page-cache pages: no copy, no fresh anonymous
 * memory to fault in, which is slow under nested virtualization); unmapped once loaded. */
static int pc_read(const char *opt, const char *path, uint8_t **buf, size_t *len)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	void *p;
	int e = 0;

	if (fd < 0 || fstat(fd, &st) < 0)
		e = -errno;
	else if (S_ISDIR(st.st_mode))
		e = -EISDIR;
	else if (!S_ISREG(st.st_mode))
		e = -EINVAL;
	if (e) {
		log_error("%s %s: %s", opt, path, err_str(e));
		return e;
	}
	if (st.st_size == 0) {
		log_error("%s %s: file is empty", opt, path);
		return -ENOEXEC;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		e = -errno;
		log_error("%s %s: %s", opt, path, err_str(e));
		return e;
	}
	*buf = p;
	*len = (size_t)st.st_size;
	return 0;
}

static void pc_unmap(uint8_t **buf, size_t len)
{
	if (*buf)
		munmap(*buf, len);
	*buf = NULL;
}

static int pc_add_ram(struct machine *m, uint64_t size)
{
	uint64_t low = MIN(size, X86_PCI_HOLE);
	int e = gmem_add_ram(&m->mem, 0, low);

	if (!e && size > low)
		e = gmem_add_ram(&m->mem, X86_4G, size - low);
	if (e)
		log_error("--mem: cannot allocate %llu MiB of guest RAM: %s",
			  (unsigned long long)(size >> 20), err_str(e));
	return e;
}

static int pc_fw_cfg(struct x86_pc *pc)
{
	struct machine *m = &pc->m;
	const char *cmd = pc->append;
	uint32_t id = 1, cmdlen = (uint32_t)strlen(cmd) + 1, files = 0;
	uint64_t ram = m->cfg->mem;
	uint16_t n = (uint16_t)m->ncpus;
	int e = fw_cfg_init(&pc->fw_cfg, m);

	e = e ? e : fw_cfg_add(&pc->fw_cfg, FW_CFG_SIGNATURE, "QEMU", 4);
	e = e ? e : fw_cfg_add(&pc->fw_cfg, FW_CFG_ID, &id, 4);
	e = e ? e : fw_cfg_add(&pc->fw_cfg, FW_CFG_RAM_SIZE, &ram, 8);
	e = e ? e : fw_cfg_add(&pc->fw_cfg, FW_CFG_NB_CPUS, &n, 2);
	e = e ? e : fw_cfg_add(&pc->fw_cfg, FW_CFG_MAX_CPUS, &n, 2);
	e = e ? e : fw_cfg_add(&pc->fw_cfg, FW_CFG_CMDLINE_SIZE, &cmdlen, 4);
	e = e ? e : fw_cfg_add(&pc->fw_cfg, FW_CFG_CMDLINE_DATA, cmd, cmdlen);
	e = e ? e : fw_cfg_add(&pc->fw_cfg, FW_CFG_FILE_DIR, &files, 4);
	return e;
}

static bool pc_pci_used(const struct x86_pc *pc)
{
	for (unsigned i = 0; pc->virtio && i < pc->virtio->n; i++) {
		if (pc->virtio->a[i].pci)
			return true;
	}
	return false;
}

/* Prints its own error line. */
static int pc_virtio(struct x86_pc *pc)
{
	struct virtio_slots slots = {.base = VIRTIO_MMIO_BASE, .n = ARRAY_SIZE(virtio_irqs)};
	const char *append = pc->m.cfg->append ? pc->m.cfg->append : "";
	size_t len = strlen(append) + 64 * ARRAY_SIZE(virtio_irqs) + 2;
	bool pci = !pc->m.cfg->virtio_transport || strcmp(pc->m.cfg->virtio_transport, "mmio");
	int e;

	for (unsigned i = 0; i < slots.n; i++)
		slots.irq[i] = virtio_irqs[i];
	if (pci) {
		e = pci_host_init_quiet(&pc->pci, &pc->m, PCI_MMIO_BASE, PCI_MMIO_SIZE);
		if (e) {
			log_error("x86 board: cannot register the PCI host: %s", err_str(e));
			return e;
		}
		slots.pci = &pc->pci;
	}
	e = virtio_attach_all(&pc->m, pc->m.cfg, &slots, &pc->virtio);
	if (e)
		return e;
	/* No PCI device, no PCI: no configuration ports (and no \_SB.PCI0 in the DSDT), as on
	 * QEMU's microvm, so Linux does not scan an empty bus */
	if (pc_pci_used(pc)) {
		e = pci_host_register_ports(&pc->pci);
		if (e) {
			log_error("x86 board: cannot register the PCI host: %s", err_str(e));
			return e;
		}
	}
	pc->append = malloc(len);
	if (!pc->append) {
		log_error("x86 board: out of memory");
		return -ENOMEM;
	}
	/* The board's parameters go first: Linux hands everything after " -- " to init. */
	pc->append[0] = 0;
	e = virtio_mmio_cmdline(pc->virtio, pc->append, len);
	if (e)
		return e;
	if (pc->append[0] && append[0])
		strcat(pc->append, " ");
	strcat(pc->append, append);
	/* No leading blank: the command line some payloads print stays what the user gave. */
	memmove(pc->append, pc->append + (pc->append[0] == ' '),
		strlen(pc->append + (pc->append[0] == ' ')) + 1);
	return 0;
}

static int pc_devices(struct x86_pc *pc)
{
	struct machine *m = &pc->m;
	int e;

	/* With --console virtio the guest's console is hvc0 and the UART is silent. */
	uart16550_init(&pc->uart, m, strcmp(m->cfg->console, "virtio") ? &m->console : NULL,
		       UART_IRQ);
	e = bus_register(&m->pio, UART_PORT, 8, &uart16550_ops, &pc->uart, "uart16550");
	e = e ? e : debug_exit_init(m);
	e = e ? e : i8042_init(m);
	e = e ? e : boot_mark_init(m);
	e = e ? e : pvpanic_init(m);
	e = e ? e : rtc_cmos_init(&pc->rtc, m);
	e = e ? e : pc_fw_cfg(pc);
	e = e ? e : acpi_pm_init(&pc->acpi_pm, m);
	if (e)
		log_error("x86 board: cannot register devices: %s", err_str(e));
	else
		kvm_set_hypercall(m, HYPERCALL_PORT, hypercall_handle);
	return e;
}

/* Whether a device sits on the PCI bus: without one the guest is not told about the bus. */
static int pc_load(struct x86_pc *pc)
{
	const struct vm_config *cfg = pc->m.cfg;
	struct x86_load ld = {
	    .m = &pc->m,
	    .proto = (enum x86_boot_proto)x86_boot_proto_parse(cfg->boot_protocol),
	    .kernel_path = cfg->kernel,
	    .kernel = pc->kernel,
	    .kernel_len = pc->kernel_len,
	    .initrd = pc->initrd,
	    .initrd_len = pc->initrd_len,
	    .append = pc->append,
	};
	int e = x86_load_kernel(&ld);

	if (e) {
		log_error("--kernel %s: %s", cfg->kernel, ld.err);
		return e;
	}
	e = mptable_write(&pc->m, X86_MPTABLE_ADDR);
	e = e ? e : acpi_write(&pc->m, pc_pci_used(pc));
	if (e) {
		log_error("x86 board: cannot write the MP and ACPI tables: %s", err_str(e));
		return e;
	}
	kvm_set_entry(&pc->m, &ld.entry);
	return 0;
}

static int pc_setup(struct x86_pc *pc, const struct vm_config *cfg)
{
	struct machine *m = &pc->m;
	int e;

	e = pc_check_mem(cfg);
	e = e ? e : pc_read("--kernel", cfg->kernel, &pc->kernel, &pc->kernel_len);
	if (!e && cfg->initrd)
		e = pc_read("--initrd", cfg->initrd, &pc->initrd, &pc->initrd_len);
	if (e)
		return e;
	log_debug("x86 board: kernel and initrd mapped");
	e = machine_init(m, cfg, &kvm_accel_ops);
	pc->have_machine = true;
	if (e) {
		log_error("x86 board: cannot create the machine: %s", err_str(e));
		return e;
	}
	e = pc_add_ram(m, cfg->mem);
	if (e)
		return e;
	e = chardev_open(&m->console, strcmp(cfg->console, "virtio") ? cfg->console : "stdio");
	if (e) {
		log_error("--console %s: %s", cfg->console, err_str(e));
		return e;
	}
	e = m->accel->init(m);
	if (e)
		return e;
	log_debug("x86 board: RAM, console and KVM VM ready");
	m->irq_set = kvm_irq_line;
	m->irq_opaque = m;
	e = pc_virtio(pc);
	e = e ? e : pc_devices(pc);
	e = e ? e : pc_load(pc);
	log_debug("x86 board: devices created and guest loaded");
	pc_unmap(&pc->kernel, pc->kernel_len);
	pc_unmap(&pc->initrd, pc->initrd_len);
	for (unsigned i = 0; !e && i < m->ncpus; i++)
		e = m->accel->vcpu_init(&m->vcpus[i]);
	log_debug("x86 board: %u vCPUs set up", m->ncpus);
	return e;
}

int board_x86_run(const struct vm_config *cfg)
{
	struct x86_pc *pc = calloc(1, sizeof(*pc));
	int status = -1;

	if (!pc) {
		log_error("x86 board: out of memory");
		return -1;
	}
	if (pc_setup(pc, cfg) == 0) {
		if (!kvm_host_has_hw_virt())
			log_warn("this host has no VT-x/AMD-V (no vmx/svm in /proc/cpuinfo): full "
				 "operating systems will be slow or fail on its /dev/kvm");
		status = machine_run(&pc->m);
		if (status < 0) {
			log_error("run: %s", err_str(status));
			status = -1;
		}
	}
	loop_stop(&pc->m.loop); /* no device callbacks from here on */
	virtio_detach_all(pc->virtio);
	free(pc->append);
	if (pc->have_machine)
		machine_free(&pc->m);
	fw_cfg_free(&pc->fw_cfg);
	pc_unmap(&pc->kernel, pc->kernel_len);
	pc_unmap(&pc->initrd, pc->initrd_len);
	free(pc);
	return status;
}
