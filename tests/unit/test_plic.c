/* PLIC (accel/emu/plic.c): gateway, priorities, thresholds, claim/complete, both contexts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "accel/emu/plic.h"

struct outs {
	bool level[8];
	int changes;
};

static void record(void *opaque, unsigned ctx, bool level)
{
	struct outs *o = opaque;

	assert_true(ctx < 8);
	o->level[ctx] = level;
	o->changes++;
}

struct fx {
	struct plic p;
	struct outs o;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_int_equal(plic_init(&f->p, 2, record, &f->o), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	plic_free(&f->p);
	free(f);
	return 0;
}

static uint32_t rd(struct plic *p, uint64_t off)
{
	return (uint32_t)plic_ops.read(p, off, 4);
}

static void wr(struct plic *p, uint64_t off, uint32_t v)
{
	plic_ops.write(p, off, v, 4);
}

#define PRIO(s)	  ((uint64_t)(s)*4)
#define ENABLE(c) (PLIC_ENABLE_OFF + (uint64_t)(c)*PLIC_ENABLE_STRIDE)
#define THRESH(c) (PLIC_CTX_OFF + (uint64_t)(c)*PLIC_CTX_STRIDE)
#define CLAIM(c)  (THRESH(c) + 4)

static void test_init_rejects(void **state)
{
	struct plic p;
	(void)state;
	assert_int_equal(plic_init(&p, 0, NULL, NULL), -22);
	assert_int_equal(plic_init(&p, PLIC_MAX_CTX, NULL, NULL), -22);
}

static void test_claim_complete_level(void **state)
{
	struct fx *f = *state;
	struct plic *p = &f->p;

	plic_set_irq(p, 10, true);
	/* Priority 0 means never. */
	assert_false(f->o.level[1]);
	assert_int_equal(rd(p, PLIC_PENDING_OFF), 1u << 10);
	wr(p, PRIO(10), 1);
	assert_false(f->o.level[1]); /* not enabled yet */
	wr(p, ENABLE(1), 1u << 10);  /* hart 0, S-mode */
	assert_true(f->o.level[1]);
	assert_false(f->o.level[0]); /* M context not enabled */
	assert_int_equal(rd(p, CLAIM(1)), 10);
	assert_false(f->o.level[1]);
	assert_int_equal(rd(p, PLIC_PENDING_OFF), 0);
	/* A second claim finds nothing. */
	assert_int_equal(rd(p, CLAIM(1)), 0);
	/* Completing while the line is still high makes it pending again (level gateway). */
	wr(p, CLAIM(1), 10);
	assert_true(f->o.level[1]);
	assert_int_equal(rd(p, CLAIM(1)), 10);
	plic_set_irq(p, 10, false);
	wr(p, CLAIM(1), 10);
	assert_false(f->o.level[1]);
	assert_int_equal(rd(p, PLIC_PENDING_OFF), 0);
}

static void test_priority_order_and_threshold(void **state)
{
	struct fx *f = *state;
	struct plic *p = &f->p;

	wr(p, PRIO(3), 2);
	wr(p, PRIO(5), 5);
	wr(p, PRIO(7), 5);
	wr(p, ENABLE(3), (1u << 3) | (1u << 5) | (1u << 7)); /* hart 1, S-mode */
	plic_set_irq(p, 3, true);
	plic_set_irq(p, 7, true);
	plic_set_irq(p, 5, true);
	assert_true(f->o.level[3]);
	/* Highest priority first; ties go to the lowest source id. */
	assert_int_equal(rd(p, CLAIM(3)), 5);
	assert_int_equal(rd(p, CLAIM(3)), 7);
	/* Threshold 2 masks priority 2. */
	wr(p, THRESH(3), 2);
	assert_int_equal(rd(p, THRESH(3)), 2);
	assert_false(f->o.level[3]);
	assert_int_equal(rd(p, CLAIM(3)), 0);
	wr(p, THRESH(3), 1);
	assert_true(f->o.level[3]);
	assert_int_equal(rd(p, CLAIM(3)), 3);
	/* Priorities are 3 bits wide. */
	wr(p, PRIO(9), 0xffffffff);
	assert_int_equal(rd(p, PRIO(9)), PLIC_PRIO_MAX);
}

static void test_contexts_are_separate(void **state)
{
	struct fx *f = *state;
	struct plic *p = &f->p;

	wr(p, PRIO(1), 1);
	wr(p, ENABLE(0), 1u << 1); /* hart 0, M-mode */
	plic_set_irq(p, 1, true);
	assert_true(f->o.level[0]);
	assert_false(f->o.level[1]);
	assert_false(f->o.level[2]);
	/* Completing from a context where the source is not enabled is ignored. */
	assert_int_equal(rd(p, CLAIM(0)), 1);
	wr(p, CLAIM(1), 1);
	assert_false(f->o.level[0]);
	wr(p, CLAIM(0), 1);
	assert_true(f->o.level[0]);
}

static void test_hostile_accesses(void **state)
{
	struct fx *f = *state;
	struct plic *p = &f->p;
	int before = f->o.changes;

	plic_set_irq(p, 0, true);
	plic_set_irq(p, PLIC_NSRC, true);
	plic_set_irq(p, 0xffffffff, true);
	assert_int_equal(rd(p, PLIC_PENDING_OFF), 0);
	/* Source 0 cannot get a priority or be enabled. */
	wr(p, PRIO(0), 7);
	assert_int_equal(rd(p, PRIO(0)), 0);
	wr(p, ENABLE(1), 0xffffffff);
	assert_int_equal(rd(p, ENABLE(1)), 0xfffffffe);
	/* Pending is read-only. */
	wr(p, PLIC_PENDING_OFF, 0xffffffff);
	assert_int_equal(rd(p, PLIC_PENDING_OFF), 0);
	/* Contexts past the last hart, odd sizes and misaligned offsets are ignored. */
	wr(p, THRESH(4), 3);
	assert_int_equal(rd(p, THRESH(4)), 0);
	assert_int_equal(rd(p, CLAIM(4)), 0);
	wr(p, THRESH(1) + 1, 7);
	assert_int_equal(rd(p, THRESH(1)), 0);
	plic_ops.write(p, THRESH(1), 7, 1);
	assert_int_equal(rd(p, THRESH(1)), 0);
	assert_int_equal(plic_ops.read(p, CLAIM(1), 8), 0);
	wr(p, CLAIM(1), 0xffffffff);
	wr(p, CLAIM(1), 0);
	assert_int_equal(rd(p, 0x1ffffc), 0);
	assert_int_equal(rd(p, ENABLE(1) + 0x7c), 0);
	assert_int_equal(f->o.changes, before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_rejects),
	    cmocka_unit_test_setup_teardown(test_claim_complete_level, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_priority_order_and_threshold, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_contexts_are_separate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile_accesses, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
