/* The riscv64 board on the software engine: RAM, CLINT, PLIC, UART, host SBI, device tree,
 * a Linux Image or bare ELF loaded, one hart per --cpus, then machine_run(). */
#include "board/riscv_virt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "accel/accel.h"
#include "accel/emu/clint.h"
#include "accel/emu/cpu.h"
#include "accel/emu/plic.h"
#include "accel/emu/sbi.h"
#include "base/log.h"
#include "base/util.h"
#include "board/board.h"
#include "boot/elf.h"
#include "boot/fdt.h"
#include "boot/linux_riscv.h"
#include "devices/goldfish_rtc.h"
#include "devices/uart16550.h"
#include "devices/virtio/attach.h"
#include "machine/machine.h"

struct rv_board {
	struct machine m; /* first: the accel wrappers find the board from the machine */
	struct rv_platform plat;
	struct hart *harts;
	struct hart **hart_ptrs;
	unsigned nharts_init;
	struct plic plic;
	struct clint clint;
	struct uart16550 uart;
	struct goldfish_rtc rtc;
	struct sbi sbi;
	bool sbi_ready, plic_ready, elf_mode;
	const struct accel_ops *core;
	struct accel_ops ops; /* the core's ops with HSM-aware run and kick */
	uint64_t entry, fdt_addr;
	struct virtio_set *virtio;
};

static struct rv_board *board_of(struct machine *m)
{
	return (struct rv_board *)m;
}

/* Secondary harts of a Linux guest stay stopped until a hart_start SBI call. */
static int board_vcpu_run(struct vcpu *v)
{
	struct rv_board *b = board_of(v->m);
	struct hart *h = v->priv;

	if (!b->elf_mode && h->hartid != 0 && !sbi_hsm_wait_start(&b->sbi, h))
		return 0;
	return b->core->vcpu_run(v);
}

static void board_vcpu_kick(struct vcpu *v)
{
	struct rv_board *b = board_of(v->m);

	if (machine_stopping(v->m))
		sbi_stop(&b->sbi);
	b->core->vcpu_kick(v);
}

static void plic_out(void *opaque, unsigned ctx, bool level)
{
	struct rv_board *b = opaque;

	hart_set_irq(b->hart_ptrs[ctx / 2], ctx % 2 ? IRQ_S_EXT : IRQ_M_EXT, level);
}

static void board_htif_write(struct hart *h, uint64_t val)
{
	struct machine *m = h->plat->m;

	/* HTIF device 1, command 1: console putchar (riscv-tests, pk). */
	if ((val >> 48) == 0x0101) {
		uint8_t c = (uint8_t)val;

		chardev_write(&m->console, &c, 1);
		return;
	}
	/* Exit status v >> 1; values past 255 become 255 so that a failure never wraps to 0. */
	machine_request_stop(m, STOP_DEBUG_EXIT, (val >> 1) > 255 ? 255 : (int)(val >> 1));
}

/* Bare-metal mode: the host SBI answers S-mode ECALLs only while the program has installed
 * no M-mode trap handler (mtvec == 0); otherwise the ECALL traps to M-mode as usual. */
static bool elf_sbi_call(struct hart *h)
{
	if (h->mtvec != 0)
		return false;
	return sbi_call(h);
}

static const char *console_spec(const struct vm_config *cfg)
{
	return strcmp(cfg->console, "virtio") ? cfg->console : "stdio";
}

static int setup_devices(struct rv_board *b)
{
	struct machine *m = &b->m;
	const struct vm_config *cfg = m->cfg;
	struct chardev *uart_cd = strcmp(cfg->console, "virtio") ? &m->console : NULL;
	int e;

	e = plic_init(&b->plic, cfg->cpus, plic_out, b);
	if (e)
		return e;
	b->plic_ready = true;
	m->irq_set = plic_irq_set;
	m->irq_opaque = &b->plic;
	clint_init(&b->clint, &b->plat);
	uart16550_init(&b->uart, m, uart_cd, RV_UART_IRQ);
	goldfish_rtc_init(&b->rtc);
	e = bus_register(&m->mmio, CLINT_BASE, CLINT_SIZE, &clint_ops, &b->clint, "clint");
	if (!e)
		e = bus_register(&m->mmio, PLIC_BASE, PLIC_SIZE(2 * cfg->cpus), &plic_ops, &b->plic,
				 "plic");
	if (!e)
		e = bus_register(&m->mmio, RV_RTC_BASE, GOLDFISH_RTC_SIZE, &goldfish_rtc_ops,
				 &b->rtc, "rtc");
	if (!e)
		e = bus_register(&m->mmio, RV_UART_BASE, RV_UART_SIZE, &uart16550_ops, &b->uart,
				 "uart");
	return e;
}

static int setup_harts(struct rv_board *b)
{
	struct machine *m = &b->m;
	unsigned n = m->ncpus;

	b->harts = calloc(n, sizeof(*b->harts));
	b->hart_ptrs = calloc(n, sizeof(*b->hart_ptrs));
	if (!b->harts || !b->hart_ptrs)
		return -ENOMEM;
	b->plat.m = m;
	b->plat.timebase_hz = RV_TIMEBASE_HZ;
	b->plat.nharts = n;
	b->plat.harts = b->hart_ptrs;
	for (unsigned i = 0; i < n; i++)
		b->hart_ptrs[i] = &b->harts[i];
	if (sbi_init(&b->sbi, &b->plat, &m->console))
		return -ENOMEM;
	b->sbi_ready = true;
	b->plat.sbi_call = b->elf_mode ? elf_sbi_call : sbi_call;
	for (unsigned i = 0; b->elf_mode && i < n; i++)
		sbi_hsm_mark_started(&b->sbi, i);
	for (unsigned i = 0; i < n; i++) {
		int e = hart_init(&b->harts[i], &b->plat, i);

		if (e)
			return e;
		b->nharts_init++;
		b->harts[i].vcpu = &m->vcpus[i];
		m->vcpus[i].priv = &b->harts[i];
	}
	return 0;
}

/* Device tree: built after the devices (virtio slots) are registered. */
static int build_fdt(struct rv_board *b, const struct riscv_boot *rb)
{
	struct machine *m = &b->m;
	const struct vm_config *cfg = m->cfg;
	struct fdt_riscv c = {
	    .ram_base = RV_RAM_BASE,
	    .ram_size = cfg->mem,
	    .nharts = m->ncpus,
	    .isa = RV_ISA,
	    .mmu_type = RV_MMU_TYPE,
	    .timebase_hz = RV_TIMEBASE_HZ,
	    .bootargs = cfg->append ? cfg->append : RV_DEFAULT_APPEND,
	    .initrd_start = rb->initrd_start,
	    .initrd_end = rb->initrd_end,
	    .clint_base = CLINT_BASE,
	    .clint_size = CLINT_SIZE,
	    .plic_base = PLIC_BASE,
	    .plic_size = PLIC_SIZE(2 * m->ncpus),
	    .plic_ndev = PLIC_NSRC - 1,
	    .uart_base = RV_UART_BASE,
	    .uart_size = RV_UART_SIZE,
	    .uart_irq = RV_UART_IRQ,
	    .uart_clock_hz = RV_UART_CLOCK,
	    .rtc_base = RV_RTC_BASE,
	    .rtc_irq = RV_RTC_IRQ,
	};
	void *fdt = gmem_ptr(&m->mem, rb->fdt_addr, FDT_MAX_SIZE);
	int e;

	if (!fdt)
		return -EFAULT;
	e = fdt_riscv_build(&c, fdt, FDT_MAX_SIZE);
	/* Highest slot first: Linux numbers virtio devices in reverse device-tree order. */
	for (unsigned i = RV_VIRTIO_SLOTS; !e && i-- > 0;) {
		const struct bus_range *r = bus_find(&m->mmio, riscv_virt_virtio_base(i));

		if (r && r->base == riscv_virt_virtio_base(i))
			e = fdt_riscv_add_virtio_mmio(fdt, r->base, RV_VIRTIO_STRIDE,
						      riscv_virt_virtio_irq(i));
	}
	return e ? e : (fdt_riscv_finish(fdt) < 0 ? -EINVAL : 0);
}

/* Loads the guest; prints the one error line itself. */
static int load_guest(struct rv_board *b)
{
	struct machine *m = &b->m;
	const struct vm_config *cfg = m->cfg;
	struct riscv_boot rb;
	struct elf_image img;
	char err[256];
	int e;

	if (b->elf_mode) {
		e = elf_riscv_load(&m->mem, cfg->elf, &img, err, sizeof(err));
		if (e) {
			log_error("%s: %s", cfg->elf, err);
			return e;
		}
		b->entry = img.entry;
		b->plat.tohost_pa = img.tohost;
		b->plat.htif_write = board_htif_write;
		return 0;
	}
	e = linux_riscv_load(&m->mem, RV_RAM_BASE, cfg->mem, cfg->kernel, cfg->initrd, FDT_MAX_SIZE,
			     &rb, err, sizeof(err));
	if (e) {
		log_error("%s", err);
		return e;
	}
	e = build_fdt(b, &rb);
	if (e) {
		log_error("device tree: %s", err_str(e));
		return e;
	}
	b->entry = rb.entry;
	b->fdt_addr = rb.fdt_addr;
	return 0;
}

/* Linux: hart 0 in S-mode at the kernel with a0 = hartid, a1 = device tree, satp = 0; the
 * others wait in HSM. Bare ELF: every hart in M-mode at the entry, a0 = hartid. */
static void reset_harts(struct rv_board *b)
{
	for (unsigned i = 0; i < b->m.ncpus; i++) {
		struct hart *h = &b->harts[i];

		hart_reset(h, b->elf_mode ? PRV_M : PRV_S, b->entry);
		h->x[10] = i;
		h->x[11] = b->fdt_addr;
		if (!b->elf_mode)
			h->scounteren = 7; /* firmware's job: see sbi.c hsm_enter() */
		if (b->elf_mode) {
			/* Bare metal starts from the architectural reset state: nothing delegated,
			 * no counters or Sstc for lower modes until the program sets them. */
			h->medeleg = h->mideleg = 0;
			h->menvcfg = h->mcounteren = 0;
		}
	}
}

/* The virtio devices the command line asks for, on the board's slots; prints its own error. */
static int attach_virtio(struct rv_board *b)
{
	struct virtio_slots slots = {.base = RV_VIRTIO_BASE, .n = RV_VIRTIO_SLOTS};

	for (unsigned i = 0; i < RV_VIRTIO_SLOTS; i++)
		slots.irq[i] = riscv_virt_virtio_irq(i);
	return virtio_attach_all(&b->m, b->m.cfg, &slots, &b->virtio);
}

static void board_free(struct rv_board *b)
{
	loop_stop(&b->m.loop); /* no device callbacks from here on */
	virtio_detach_all(b->virtio);
	machine_free(&b->m);
	for (unsigned i = 0; i < b->nharts_init; i++)
		hart_free(&b->harts[i]);
	if (b->sbi_ready)
		sbi_free(&b->sbi);
	if (b->plic_ready)
		plic_free(&b->plic);
	free(b->harts);
	free(b->hart_ptrs);
	free(b);
}

static int board_setup(struct rv_board *b, const struct vm_config *cfg)
{
	struct machine *m = &b->m;
	int e;

	b->elf_mode = cfg->elf != NULL;
	if (b->elf_mode && (cfg->kernel || cfg->initrd)) {
		log_error("run: --elf cannot be combined with --kernel or --initrd");
		return -EINVAL;
	}
	b->core = cfg->accel && !strcmp(cfg->accel, "emu-interp") ? &emu_interp_accel_ops
								  : &emu_accel_ops;
	b->ops = *b->core;
	b->ops.vcpu_run = board_vcpu_run;
	b->ops.vcpu_kick = board_vcpu_kick;
	e = machine_init(m, cfg, &b->ops);
	if (e) {
		log_error("run: cannot create the machine: %s", err_str(e));
		return e;
	}
	if (cfg->mem % 4096 || (e = gmem_add_ram(&m->mem, RV_RAM_BASE, cfg->mem))) {
		log_error("run: cannot allocate %llu MiB of guest RAM: %s",
			  (unsigned long long)(cfg->mem >> 20), err_str(e ? e : -EINVAL));
		return e ? e : -EINVAL;
	}
	e = chardev_open(&m->console, console_spec(cfg));
	if (e) {
		log_error("run: --console %s: %s", cfg->console, err_str(e));
		return e;
	}
	e = setup_harts(b);
	if (!e)
		e = setup_devices(b);
	if (e) {
		log_error("run: cannot set up the riscv64 board: %s", err_str(e));
		return e;
	}
	if ((e = attach_virtio(b)))
		return e;
	e = load_guest(b);
	if (e)
		return e;
	if (b->core->init && (e = b->core->init(m)) < 0) {
		log_error("run: %s engine: %s", b->core->name, err_str(e));
		return e;
	}
	for (unsigned i = 0; i < m->ncpus && b->core->vcpu_init; i++)
		if ((e = b->core->vcpu_init(&m->vcpus[i])) < 0) {
			log_error("run: vCPU %u: %s", i, err_str(e));
			return e;
		}
	reset_harts(b);
	return 0;
}

int board_riscv_run(const struct vm_config *cfg)
{
	struct rv_board *b = calloc(1, sizeof(*b));
	int r;

	if (!b) {
		log_error("run: out of memory");
		return -1;
	}
	r = board_setup(b, cfg);
	if (!r) {
		b->plat.time_origin_ns = now_ns();
		r = machine_run(&b->m);
		if (r < 0) {
			log_error("run: %s", err_str(r));
			r = -1;
		}
	} else {
		r = -1;
	}
	board_free(b);
	return r;
}
