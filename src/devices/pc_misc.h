/* Small PC devices of the x86 board, each in its own file: isa-debug-exit (debug_exit.c), the
 * i8042 reset line (i8042.c), the CMOS RTC (rtc_cmos.c), QEMU's fw_cfg (fw_cfg.c), the boot
 * marker (boot_mark.c) and gasang's hypercall port (hypercall.c). Ports: docs/x86-platform.md. */
#ifndef GASANG_DEVICES_PC_MISC_H
#define GASANG_DEVICES_PC_MISC_H

#include <pthread.h>
#include <stdint.h>

struct machine;

#define DEBUG_EXIT_PORT 0xf4
#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT	0x64
#define RTC_PORT	0x70
#define FW_CFG_PORT	0x510
#define BOOT_MARK_PORT	0x3f0
#define BOOT_MARK_MAGIC 123
#define HYPERCALL_PORT	0x5e0
#define PVPANIC_PORT	0x505

/* Each registers its ports on m->pio. Return 0 or -errno. */
int debug_exit_init(struct machine *m);
int i8042_init(struct machine *m);
int boot_mark_init(struct machine *m);
int pvpanic_init(struct machine *m);

struct rtc_cmos {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t cmos[128];
};
int rtc_cmos_init(struct rtc_cmos *r, struct machine *m);
/* The time registers for host time t (UTC), in BCD: exported for tests. */
void rtc_cmos_fill_time(struct rtc_cmos *r, int64_t t);

#define FW_CFG_MAX_ITEMS 32
struct fw_cfg_item {
	uint16_t key;
	uint8_t *data;
	uint32_t len;
};
struct fw_cfg {
	pthread_mutex_t lock;
	uint16_t selector;
	uint32_t offset;
	struct fw_cfg_item items[FW_CFG_MAX_ITEMS];
	unsigned n;
};
int fw_cfg_init(struct fw_cfg *f, struct machine *m);
/* Adds an item (copied). Returns 0 or -errno. */
int fw_cfg_add(struct fw_cfg *f, uint16_t key, const void *data, uint32_t len);
void fw_cfg_free(struct fw_cfg *f);
uint8_t fw_cfg_read_byte(struct fw_cfg *f);
void fw_cfg_select(struct fw_cfg *f, uint16_t key);

/* ACPI PM1a registers (ports in boot/acpi.h): S5 + SLP_EN powers off. */
struct acpi_pm {
	struct machine *m;
	pthread_mutex_t lock;
	uint16_t sts, en, cnt;
};
int acpi_pm_init(struct acpi_pm *pm, struct machine *m);

/* Hypercall numbers: call in eax (the value written to HYPERCALL_PORT), arguments in rbx, rcx,
 * rsi, rdi, result in rax (and its high half in edx for 32-bit guests). */
enum hypercall_nr {
	HC_VERSION = 0,	      /* -> ABI version */
	HC_CONSOLE_WRITE = 1, /* rbx = guest physical address, rcx = length -> bytes written */
	HC_EXIT = 2,	      /* rbx = status: gasang exits with status & 0xff */
	HC_TIME = 3,	      /* -> host CLOCK_REALTIME in ns */
	HC_BOOT_MARK = 4,     /* records the boot marker -> 0 */
	HC_CPU_COUNT = 5,     /* -> number of vCPUs */
};
#define HC_ABI_VERSION 1
#define HC_EINVAL      ((uint64_t)-22)
#define HC_EFAULT      ((uint64_t)-14)
#define HC_ENOSYS      ((uint64_t)-38)

/* regs: rax, rbx, rcx, rdx, rsi, rdi; rax and rdx are updated with the result. */
void hypercall_handle(struct machine *m, unsigned vcpu, uint64_t regs[6]);

#endif
