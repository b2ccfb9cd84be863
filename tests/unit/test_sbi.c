/* gasang's host SBI (accel/emu/sbi.c) on real harts: every extension's results, error codes,
 * guest-memory bounds checks, HSM state machine, and per-call statistics. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "accel/emu/cpu.h"
#include "accel/emu/sbi.h"
#include "backends/chardev.h"
#include "base/util.h"
#include "machine/machine.h"

#define RAM 0x80000000ULL
#define NH  2

struct fx {
	struct vm_config cfg;
	struct machine m;
	struct rv_platform plat;
	struct hart h[NH];
	struct hart *hp[NH];
	struct sbi sbi;
	struct chardev cd;
	int pipefd[2];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->cfg.cpus = NH;
	assert_int_equal(machine_init(&f->m, &f->cfg, NULL), 0);
	assert_int_equal(gmem_add_ram(&f->m.mem, RAM, 1 << 20), 0);
	assert_int_equal(pipe(f->pipefd), 0);
	assert_int_equal(chardev_open(&f->cd, "none"), 0);
	f->cd.out_fd = f->pipefd[1];
	f->plat.m = &f->m;
	f->plat.timebase_hz = 10000000;
	f->plat.time_origin_ns = now_ns();
	f->plat.nharts = NH;
	f->plat.harts = f->hp;
	assert_int_equal(sbi_init(&f->sbi, &f->plat, &f->cd), 0);
	f->plat.sbi_call = sbi_call;
	for (int i = 0; i < NH; i++) {
		f->hp[i] = &f->h[i];
		assert_int_equal(hart_init(&f->h[i], &f->plat, i), 0);
		hart_reset(&f->h[i], PRV_S, RAM);
		f->h[i].vcpu = &f->m.vcpus[i];
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < NH; i++)
		hart_free(&f->h[i]);
	sbi_free(&f->sbi);
	close(f->pipefd[0]);
	close(f->pipefd[1]);
	f->cd.out_fd = -1;
	chardev_close(&f->cd);
	machine_free(&f->m);
	free(f);
	return 0;
}

/* Makes the call on hart h; returns a0 (error), *val = a1. */
static int64_t call(struct hart *h, uint64_t eid, uint64_t fid, uint64_t a0, uint64_t a1,
		    uint64_t a2, uint64_t *val)
{
	h->x[17] = eid;
	h->x[16] = fid;
	h->x[10] = a0;
	h->x[11] = a1;
	h->x[12] = a2;
	assert_true(sbi_call(h));
	if (val)
		*val = h->x[11];
	return (int64_t)h->x[10];
}

static void test_base(void **state)
{
	struct fx *f = *state;
	struct hart *h = &f->h[0];
	uint64_t v;

	assert_int_equal(call(h, SBI_EXT_BASE, 0, 0, 0, 0, &v), 0);
	assert_int_equal(v, 0x02000000);
	assert_int_equal(call(h, SBI_EXT_BASE, 1, 0, 0, 0, &v), 0);
	assert_int_equal(v, SBI_IMPL_ID_GASANG);
	assert_int_equal(call(h, SBI_EXT_BASE, 2, 0, 0, 0, &v), 0);
	assert_int_equal(v, SBI_IMPL_VERSION);
	const uint64_t exts[] = {SBI_EXT_BASE, SBI_EXT_TIME, SBI_EXT_IPI,  SBI_EXT_RFENCE,
				 SBI_EXT_HSM,  SBI_EXT_SRST, SBI_EXT_DBCN, SBI_EXT_LEGACY_PUTCHAR};
	for (unsigned i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		assert_int_equal(call(h, SBI_EXT_BASE, 3, exts[i], 0, 0, &v), 0);
		assert_int_equal(v, 1);
	}
	assert_int_equal(call(h, SBI_EXT_BASE, 3, 0x48534d + 1, 0, 0, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(call(h, SBI_EXT_BASE, 4, 0, 0, 0, &v), 0);
	assert_int_equal(call(h, SBI_EXT_BASE, 7, 0, 0, 0, &v), SBI_ERR_NOT_SUPPORTED);
	assert_int_equal(call(h, 0x0a000000, 0, 0, 0, 0, &v), SBI_ERR_NOT_SUPPORTED);
	assert_int_equal(call(h, SBI_EXT_TIME, 1, 0, 0, 0, &v), SBI_ERR_NOT_SUPPORTED);
	/* Statistics by extension and function. */
	assert_int_equal(stats_count(&f->m.vcpus[0].stats, "sbi:BASE.probe_extension"), 9);
	assert_int_equal(stats_count(&f->m.vcpus[0].stats, "sbi:unsupported"), 3);
	assert_string_equal(sbi_call_name(SBI_EXT_HSM, 0), "sbi:HSM.hart_start");
}

static void test_timer(void **state)
{
	struct fx *f = *state;
	struct hart *h = &f->h[0];
	uint64_t now = rv_mtime(&f->plat);

	assert_int_equal(call(h, SBI_EXT_TIME, 0, now + 10000000, 0, 0, NULL), 0);
	assert_int_equal(h->stimecmp, now + 10000000);
	assert_false(h->mip & (1u << IRQ_S_TIMER));
	/* A deadline in the past is pending at once. */
	assert_int_equal(call(h, SBI_EXT_TIME, 0, 1, 0, 0, NULL), 0);
	assert_true(h->mip & (1u << IRQ_S_TIMER));
	/* Setting a future deadline clears STIP (legacy call: a0 only). */
	call(h, SBI_EXT_LEGACY_SET_TIMER, 0, UINT64_MAX, 0, 0, NULL);
	assert_false(h->mip & (1u << IRQ_S_TIMER));
	assert_int_equal(stats_count(&f->m.vcpus[0].stats, "sbi:TIME.set_timer"), 2);
}

static void test_ipi_and_rfence(void **state)
{
	struct fx *f = *state;
	struct hart *h0 = &f->h[0], *h1 = &f->h[1];

	assert_int_equal(call(h0, SBI_EXT_IPI, 0, 0x2, 0, 0, NULL), 0);
	assert_true(h1->mip & (1u << IRQ_S_SOFT));
	assert_false(h0->mip & (1u << IRQ_S_SOFT));
	/* A mask naming a hart that does not exist changes nothing. */
	h1->mip = 0;
	assert_int_equal(call(h0, SBI_EXT_IPI, 0, 0x6, 0, 0, NULL), SBI_ERR_INVALID_PARAM);
	assert_false(h1->mip & (1u << IRQ_S_SOFT));
	assert_int_equal(call(h0, SBI_EXT_IPI, 0, 1, UINT64_MAX - 5, 0, NULL),
			 SBI_ERR_INVALID_PARAM);
	/* base -1: every hart. */
	assert_int_equal(call(h0, SBI_EXT_IPI, 0, 0, UINT64_MAX, 0, NULL), 0);
	assert_true(h0->mip & (1u << IRQ_S_SOFT));
	assert_true(h1->mip & (1u << IRQ_S_SOFT));
	call(h0, SBI_EXT_LEGACY_CLEAR_IPI, 0, 0, 0, 0, NULL);
	assert_false(h0->mip & (1u << IRQ_S_SOFT));
	/* Fences: on itself at once; hart 1 is stopped (HSM) so it is not waited for. */
	assert_int_equal(call(h0, SBI_EXT_RFENCE, 1, 0, UINT64_MAX, 0, NULL), 0);
	assert_int_equal(call(h0, SBI_EXT_RFENCE, 1, UINT64_MAX, 0, 0, NULL),
			 SBI_ERR_INVALID_PARAM);
	assert_int_equal(call(h0, SBI_EXT_RFENCE, 0, 1, 0, 0, NULL), 0);
	assert_int_equal(call(h0, SBI_EXT_RFENCE, 3, 1, 0, 0, NULL), SBI_ERR_NOT_SUPPORTED);
	assert_int_equal(call(h0, SBI_EXT_RFENCE, 2, 1, 7, 0, NULL), SBI_ERR_INVALID_PARAM);
}

static void test_legacy_ipi_mask_pointer(void **state)
{
	struct fx *f = *state;
	struct hart *h0 = &f->h[0], *h1 = &f->h[1];
	uint64_t mask = 2;

	/* satp = 0: the pointer is a physical address in RAM. */
	assert_int_equal(gmem_write(&f->m.mem, RAM + 0x300, &mask, 8), 0);
	h0->pc = RAM + 0x40;
	assert_int_equal(call(h0, SBI_EXT_LEGACY_SEND_IPI, 0, RAM + 0x300, 0, 0, NULL), 0);
	assert_true(h1->mip & (1u << IRQ_S_SOFT));
	assert_false(h0->mip & (1u << IRQ_S_SOFT));
	/* A pointer outside RAM: the load fault goes to the guest (stvec), a0 untouched. */
	h0->stvec = RAM + 0x800;
	call(h0, SBI_EXT_LEGACY_SEND_IPI, 0, 0x1000, 0, 0, NULL);
	assert_int_equal(h0->pc, RAM + 0x800);
	assert_int_equal(h0->scause, EXC_LOAD_ACCESS);
	assert_int_equal(h0->sepc, RAM + 0x40);
	assert_int_equal(h0->x[10], 0x1000);
}

static void test_hsm(void **state)
{
	struct fx *f = *state;
	struct hart *h0 = &f->h[0], *h1 = &f->h[1];
	uint64_t v;

	assert_int_equal(call(h0, SBI_EXT_HSM, 2, 0, 0, 0, &v), 0);
	assert_int_equal(v, SBI_HSM_STARTED);
	assert_int_equal(call(h0, SBI_EXT_HSM, 2, 1, 0, 0, &v), 0);
	assert_int_equal(v, SBI_HSM_STOPPED);
	assert_int_equal(call(h0, SBI_EXT_HSM, 2, 2, 0, 0, &v), SBI_ERR_INVALID_PARAM);
	/* Start address outside RAM, hart that does not exist, hart already running. */
	assert_int_equal(call(h0, SBI_EXT_HSM, 0, 1, 0x1000, 0, NULL), SBI_ERR_INVALID_ADDRESS);
	assert_int_equal(call(h0, SBI_EXT_HSM, 0, 9, RAM, 0, NULL), SBI_ERR_INVALID_PARAM);
	assert_int_equal(call(h0, SBI_EXT_HSM, 0, 0, RAM, 0, NULL), SBI_ERR_ALREADY_AVAILABLE);
	assert_int_equal(call(h0, SBI_EXT_HSM, 0, 1, RAM + 0x1000, 0xabcd, NULL), 0);
	assert_int_equal(call(h0, SBI_EXT_HSM, 2, 1, 0, 0, &v), 0);
	assert_int_equal(v, SBI_HSM_START_PENDING);
	assert_int_equal(call(h0, SBI_EXT_HSM, 0, 1, RAM, 0, NULL), SBI_ERR_ALREADY_AVAILABLE);
	/* The hart's own thread picks the start up: S-mode, a0 = hartid, a1 = opaque. */
	h1->satp = 8ULL << 60;
	h1->x[5] = 55;
	assert_true(sbi_hsm_wait_start(&f->sbi, h1));
	assert_int_equal(h1->pc, RAM + 0x1000);
	assert_int_equal(h1->priv, PRV_S);
	assert_int_equal(h1->x[10], 1);
	assert_int_equal(h1->x[11], 0xabcd);
	assert_int_equal(h1->satp, 0);
	assert_int_equal(call(h0, SBI_EXT_HSM, 2, 1, 0, 0, &v), 0);
	assert_int_equal(v, SBI_HSM_STARTED);
	assert_int_equal(call(h0, SBI_EXT_HSM, 3, 0, 0, 0, &v), SBI_ERR_NOT_SUPPORTED);
}

static void test_hsm_stop_wakes_waiters(void **state)
{
	struct fx *f = *state;

	sbi_stop(&f->sbi);
	assert_false(sbi_hsm_wait_start(&f->sbi, &f->h[1]));
}

static void test_dbcn_and_console(void **state)
{
	struct fx *f = *state;
	struct hart *h = &f->h[0];
	uint8_t *ram = gmem_ptr(&f->m.mem, RAM, 1 << 20);
	char buf[64] = {0};
	uint64_t v;

	memcpy(ram + 0x100, "hello sbi", 9);
	assert_int_equal(call(h, SBI_EXT_DBCN, 0, 9, RAM + 0x100, 0, &v), 0);
	assert_int_equal(v, 9);
	assert_int_equal(call(h, SBI_EXT_DBCN, 2, '!', 0, 0, NULL), 0);
	call(h, SBI_EXT_LEGACY_PUTCHAR, 0, '?', 0, 0, NULL);
	assert_int_equal(read(f->pipefd[0], buf, sizeof(buf)), 11);
	assert_string_equal(buf, "hello sbi!?");
	/* Bounds: outside RAM, straddling its end, upper address bits, wrap-around. */
	assert_int_equal(call(h, SBI_EXT_DBCN, 0, 16, 0x1000, 0, &v), SBI_ERR_INVALID_PARAM);
	assert_int_equal(call(h, SBI_EXT_DBCN, 0, 32, RAM + (1 << 20) - 16, 0, &v),
			 SBI_ERR_INVALID_PARAM);
	assert_int_equal(call(h, SBI_EXT_DBCN, 0, 4, RAM, 1, &v), SBI_ERR_INVALID_PARAM);
	assert_int_equal(call(h, SBI_EXT_DBCN, 0, UINT64_MAX, RAM, 0, &v), SBI_ERR_INVALID_PARAM);
	assert_int_equal(call(h, SBI_EXT_DBCN, 1, 8, UINT64_MAX - 3, 0, &v), SBI_ERR_INVALID_PARAM);
	/* Reads: nothing buffered yet, then typed input lands in guest memory. */
	assert_int_equal(call(h, SBI_EXT_DBCN, 1, 8, RAM + 0x200, 0, &v), 0);
	assert_int_equal(v, 0);
	chardev_push_input(&f->cd, (const uint8_t *)"abc", 3);
	assert_int_equal(call(h, SBI_EXT_DBCN, 1, 2, RAM + 0x200, 0, &v), 0);
	assert_int_equal(v, 2);
	assert_memory_equal(ram + 0x200, "ab", 2);
	assert_int_equal(call(h, SBI_EXT_LEGACY_GETCHAR, 0, 0, 0, 0, NULL), 'c');
	assert_int_equal(call(h, SBI_EXT_LEGACY_GETCHAR, 0, 0, 0, 0, NULL), -1);
	assert_int_equal(call(h, SBI_EXT_DBCN, 3, 0, 0, 0, NULL), SBI_ERR_NOT_SUPPORTED);
}

static void test_srst(void **state)
{
	struct fx *f = *state;
	struct hart *h = &f->h[0];

	assert_int_equal(call(h, SBI_EXT_SRST, 0, 3, 0, 0, NULL), SBI_ERR_INVALID_PARAM);
	assert_int_equal(call(h, SBI_EXT_SRST, 0, 0xf0000001, 0, 0, NULL), SBI_ERR_NOT_SUPPORTED);
	assert_int_equal(call(h, SBI_EXT_SRST, 0, 1ULL << 32, 0, 0, NULL), SBI_ERR_INVALID_PARAM);
	assert_int_equal(call(h, SBI_EXT_SRST, 0, 0, 2, 0, NULL), SBI_ERR_INVALID_PARAM);
	assert_int_equal(call(h, SBI_EXT_SRST, 1, 0, 0, 0, NULL), SBI_ERR_NOT_SUPPORTED);
	assert_false(machine_stopping(&f->m));
	assert_int_equal(call(h, SBI_EXT_SRST, 0, 0, 0xf0000000 | 7, 0, NULL), 0);
	assert_true(machine_stopping(&f->m));
	assert_int_equal(f->m.stop_reason, STOP_POWEROFF);
	assert_int_equal(f->m.exit_status, 7);
}

static void test_srst_failure_and_reboot(void **state)
{
	struct fx *f = *state;

	assert_int_equal(call(&f->h[1], SBI_EXT_SRST, 0, 1, 1, 0, NULL), 0);
	assert_int_equal(f->m.stop_reason, STOP_REBOOT);
	assert_int_equal(f->m.exit_status, 1); /* system failure => non-zero */
}

static void test_legacy_shutdown(void **state)
{
	struct fx *f = *state;

	call(&f->h[0], SBI_EXT_LEGACY_SHUTDOWN, 0, 0, 0, 0, NULL);
	assert_int_equal(f->m.stop_reason, STOP_POWEROFF);
	assert_int_equal(f->m.exit_status, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_base),
	    T(test_timer),
	    T(test_ipi_and_rfence),
	    T(test_legacy_ipi_mask_pointer),
	    T(test_hsm),
	    T(test_hsm_stop_wakes_waiters),
	    T(test_dbcn_and_console),
	    T(test_srst),
	    T(test_srst_failure_and_reboot),
	    T(test_legacy_shutdown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
