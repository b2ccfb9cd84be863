/* gasang's host-side SBI (RISC-V Supervisor Binary Interface, spec 2.0): the hypercall
 * interface of the software engine. An ECALL from S-mode with no M-mode firmware lands in
 * sbi_call() on the calling hart's thread. Every call is documented in docs/sbi.md and counted
 * in the hart's vcpu statistics as "sbi:<EXT>.<function>". */
#ifndef GASANG_ACCEL_EMU_SBI_H
#define GASANG_ACCEL_EMU_SBI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct hart;
struct chardev;
struct rv_platform;

/* gasang's SBI implementation ID ("gsng"; IDs 0-11 are taken by BBL, OpenSBI, Xvisor, KVM,
 * RustSBI, Diosix, Coffer, Xen, PolarFire HSS, coreboot, oreboot, bhyve). */
#define SBI_IMPL_ID_GASANG 0x67736e67UL
#define SBI_IMPL_VERSION   0x00000100UL	     /* (major << 16) | (minor << 8) | patch: 0.1.0 */
#define SBI_SPEC_VERSION   ((2UL << 24) | 0) /* 2.0 */

/* Extension IDs (a7). */
#define SBI_EXT_LEGACY_SET_TIMER   0x00
#define SBI_EXT_LEGACY_PUTCHAR	   0x01
#define SBI_EXT_LEGACY_GETCHAR	   0x02
#define SBI_EXT_LEGACY_CLEAR_IPI   0x03
#define SBI_EXT_LEGACY_SEND_IPI	   0x04
#define SBI_EXT_LEGACY_FENCE_I	   0x05
#define SBI_EXT_LEGACY_SFENCE_VMA  0x06
#define SBI_EXT_LEGACY_SFENCE_ASID 0x07
#define SBI_EXT_LEGACY_SHUTDOWN	   0x08
#define SBI_EXT_BASE		   0x10
#define SBI_EXT_TIME		   0x54494d45
#define SBI_EXT_IPI		   0x735049
#define SBI_EXT_RFENCE		   0x52464e43
#define SBI_EXT_HSM		   0x48534d
#define SBI_EXT_SRST		   0x53525354
#define SBI_EXT_DBCN		   0x4442434e

/* Errors (a0). */
#define SBI_SUCCESS		  0
#define SBI_ERR_FAILED		  (-1)
#define SBI_ERR_NOT_SUPPORTED	  (-2)
#define SBI_ERR_INVALID_PARAM	  (-3)
#define SBI_ERR_DENIED		  (-4)
#define SBI_ERR_INVALID_ADDRESS	  (-5)
#define SBI_ERR_ALREADY_AVAILABLE (-6)
#define SBI_ERR_ALREADY_STARTED	  (-7)
#define SBI_ERR_ALREADY_STOPPED	  (-8)

/* HSM hart states. */
enum sbi_hsm_state {
	SBI_HSM_STARTED = 0,
	SBI_HSM_STOPPED = 1,
	SBI_HSM_START_PENDING = 2,
	SBI_HSM_STOP_PENDING = 3,
};

/* SRST vendor-specific reasons 0xF0000000 | code stop gasang with exit status code & 0xff. */
#define SBI_SRST_REASON_GASANG_STATUS 0xf0000000UL

/* Statistics ids used by the SBI: from 40 up (the core's trap and interrupt counters use ids
 * below 32, RV_STATS_BOARD_BASE; 32-39 are left for other board events). */
#define SBI_STATS_FIRST 40

struct sbi_hart {
	int state; /* enum sbi_hsm_state */
	uint64_t start_addr, opaque;
};

struct sbi {
	struct rv_platform *plat;
	struct chardev *console; /* may be NULL: console output is dropped */
	pthread_mutex_t lock;	 /* HSM states */
	pthread_cond_t cond;
	struct sbi_hart *harts;
	bool stopping;
};

/* Hart 0 starts STARTED, the others STOPPED. Sets plat->sbi. Returns 0 or -ENOMEM. */
int sbi_init(struct sbi *s, struct rv_platform *plat, struct chardev *console);
void sbi_free(struct sbi *s);

/* The rv_platform.sbi_call hook: handles the ECALL in h->x[17] (EID), x[16] (FID), x[10..15]
 * (arguments); sets a0 (error) and a1 (value). Always returns true. */
bool sbi_call(struct hart *h);

/* HSM for a hart that has not run yet: blocks until another hart starts it with hart_start
 * (or the machine stops). On return true, h is in S-mode at the start address with a0 =
 * hartid, a1 = opaque, satp = 0. Returns false when the machine stops first. */
bool sbi_hsm_wait_start(struct sbi *s, struct hart *h);
/* Marks a hart STARTED without an HSM call (bare-metal mode: every hart runs from reset). */
void sbi_hsm_mark_started(struct sbi *s, unsigned hartid);
/* Wakes every hart waiting in HSM so it notices that the machine stops. */
void sbi_stop(struct sbi *s);

/* Statistics name of an (eid, fid) pair, for tests and docs. */
const char *sbi_call_name(uint64_t eid, uint64_t fid);

#endif
