/* The split virtqueue against well-formed and malicious rings built in real guest RAM. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/virtio_ring.h>

#include "devices/virtio/queue.h"
#include "machine/memory.h"

#define RAM   0x40000000ULL
#define SIZE  0x100000ULL
#define DESC  (RAM + 0x0000)
#define AVAIL (RAM + 0x1000)
#define USED  (RAM + 0x2000)
#define BUF   (RAM + 0x10000)
#define NUM   8

struct fx {
	struct guest_mem mem;
	struct virtq q;
	struct virtq_chain c;
};

static void put_desc(struct fx *f, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	struct vring_desc d = {.addr = addr, .len = len, .flags = flags, .next = next};
	assert_int_equal(gmem_write(&f->mem, DESC + 16ULL * i, &d, sizeof(d)), 0);
}

static void put_u16(struct fx *f, uint64_t gpa, uint16_t v)
{
	assert_int_equal(gmem_write(&f->mem, gpa, &v, 2), 0);
}

static uint16_t get_u16(struct fx *f, uint64_t gpa)
{
	uint16_t v;
	assert_int_equal(gmem_read(&f->mem, gpa, &v, 2), 0);
	return v;
}

/* Makes head the next available chain (avail ring slot = idx % NUM) and bumps avail->idx. */
static void offer(struct fx *f, uint16_t head)
{
	uint16_t idx = get_u16(f, AVAIL + 2);
	put_u16(f, AVAIL + 4 + 2 * (idx % NUM), head);
	put_u16(f, AVAIL + 2, idx + 1);
}

static int setup_ev(void **state, bool event_idx)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(gmem_add_ram(&f->mem, RAM, SIZE), 0);
	f->q.num = NUM;
	f->q.desc_gpa = DESC;
	f->q.avail_gpa = AVAIL;
	f->q.used_gpa = USED;
	assert_int_equal(virtq_enable(&f->q, &f->mem, event_idx), 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_ev(state, false);
}

static int setup_event_idx(void **state)
{
	return setup_ev(state, true);
}

static int teardown(void **state)
{
	struct fx *f = *state;
	gmem_free(&f->mem);
	free(f);
	return 0;
}

static void test_empty(void **state)
{
	struct fx *f = *state;
	assert_int_equal(virtq_pop(&f->q, &f->c), 0);
	assert_false(virtq_has_avail(&f->q));
}

static void test_simple_chain(void **state)
{
	struct fx *f = *state;
	uint8_t *rd = gmem_ptr(&f->mem, BUF, 16);
	uint8_t out[4] = {0};

	memcpy(rd, "hello, virtqueue", 16);
	put_desc(f, 3, BUF, 16, VRING_DESC_F_NEXT, 5);
	put_desc(f, 5, BUF + 0x100, 4, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	put_desc(f, 1, BUF + 0x200, 8, VRING_DESC_F_WRITE, 0);
	offer(f, 3);
	assert_true(virtq_has_avail(&f->q));
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	assert_int_equal(f->c.head, 3);
	assert_int_equal(f->c.nr, 1);
	assert_int_equal(f->c.nw, 2);
	assert_int_equal(f->c.rlen, 16);
	assert_int_equal(f->c.wlen, 12);
	char buf[8];
	assert_int_equal(virtq_chain_read(&f->c, 7, buf, 5), 5);
	assert_memory_equal(buf, "virtq", 5);
	/* A write across the two writable buffers lands in both. */
	assert_int_equal(virtq_chain_write(&f->c, 2, "abcdef", 6), 6);
	assert_int_equal(gmem_read(&f->mem, BUF + 0x102, out, 2), 0);
	assert_memory_equal(out, "ab", 2);
	assert_int_equal(gmem_read(&f->mem, BUF + 0x200, out, 4), 0);
	assert_memory_equal(out, "cdef", 4);
	assert_int_equal(virtq_push(&f->q, f->c.head, 6), 0);
	assert_int_equal(get_u16(f, USED + 2), 1);
	uint32_t used[2];
	assert_int_equal(gmem_read(&f->mem, USED + 4, used, 8), 0);
	assert_int_equal(used[0], 3);
	assert_int_equal(used[1], 6);
	assert_true(virtq_should_notify(&f->q));
	assert_int_equal(virtq_pop(&f->q, &f->c), 0);
}

static void test_indirect(void **state)
{
	struct fx *f = *state;
	struct vring_desc t[3] = {
	    {.addr = BUF, .len = 10, .flags = VRING_DESC_F_NEXT, .next = 2},
	    {.addr = BUF + 0x300, .len = 1, .flags = VRING_DESC_F_WRITE},
	    {.addr = BUF + 0x100, .len = 20, .flags = VRING_DESC_F_NEXT, .next = 1},
	};
	assert_int_equal(gmem_write(&f->mem, BUF + 0x1000, t, sizeof(t)), 0);
	put_desc(f, 0, BUF + 0x1000, sizeof(t), VRING_DESC_F_INDIRECT, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	assert_int_equal(f->c.nr, 2);
	assert_int_equal(f->c.nw, 1);
	assert_int_equal(f->c.rlen, 30);
	assert_int_equal(f->c.wlen, 1);
	assert_false(f->q.broken);
}

static void test_indirect_unaligned_table(void **state)
{
	struct fx *f = *state;
	struct vring_desc t[2] = {
	    {.addr = BUF, .len = 16, .flags = VRING_DESC_F_NEXT, .next = 1},
	    {.addr = BUF + 0x100, .len = 1, .flags = VRING_DESC_F_WRITE},
	};
	/* An 8-byte aligned table, as Linux's kmalloc can return for small allocations. */
	assert_int_equal(gmem_write(&f->mem, BUF + 0x1008, t, sizeof(t)), 0);
	put_desc(f, 0, BUF + 0x1008, sizeof(t), VRING_DESC_F_INDIRECT, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	assert_int_equal(f->c.nr, 1);
	assert_int_equal(f->c.nw, 1);
}

static void test_wraparound_normal(void **state)
{
	struct fx *f = *state;
	/* Drive the 16-bit indexes across 65535 -> 0. */
	f->q.last_avail = 65530;
	f->q.used_idx = 65530;
	put_u16(f, AVAIL + 2, 65530);
	put_desc(f, 0, BUF, 4, 0, 0);
	for (int i = 0; i < 12; i++) {
		offer(f, 0);
		assert_int_equal(virtq_pop(&f->q, &f->c), 1);
		assert_int_equal(virtq_push(&f->q, 0, 0), 0);
	}
	assert_int_equal(get_u16(f, USED + 2), (uint16_t)(65530 + 12));
	assert_false(f->q.broken);
}

static void expect_broken(struct fx *f)
{
	assert_int_equal(virtq_pop(&f->q, &f->c), -EIO);
	assert_true(f->q.broken);
	/* Broken stays broken: no further processing, no push. */
	assert_int_equal(virtq_pop(&f->q, &f->c), -EIO);
	assert_int_equal(virtq_push(&f->q, 0, 0), -EIO);
}

static void test_loop(void **state)
{
	struct fx *f = *state;
	put_desc(f, 0, BUF, 4, VRING_DESC_F_NEXT, 1);
	put_desc(f, 1, BUF, 4, VRING_DESC_F_NEXT, 2);
	put_desc(f, 2, BUF, 4, VRING_DESC_F_NEXT, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_self_loop(void **state)
{
	struct fx *f = *state;
	put_desc(f, 4, BUF, 4, VRING_DESC_F_NEXT, 4);
	offer(f, 4);
	expect_broken(f);
}

static void test_addr_outside_ram(void **state)
{
	struct fx *f = *state;
	put_desc(f, 0, RAM + SIZE, 4, 0, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_addr_below_ram(void **state)
{
	struct fx *f = *state;
	put_desc(f, 0, 0x1000, 4, VRING_DESC_F_WRITE, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_huge_len(void **state)
{
	struct fx *f = *state;
	put_desc(f, 0, BUF, 0xffffffffu, 0, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_len_overflow(void **state)
{
	struct fx *f = *state;
	/* addr + len wraps around 2^64 into RAM. */
	put_desc(f, 0, 0xfffffffffffff000ULL, 0x2000, 0, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_straddles_end_of_ram(void **state)
{
	struct fx *f = *state;
	put_desc(f, 0, RAM + SIZE - 8, 16, VRING_DESC_F_WRITE, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_head_out_of_range(void **state)
{
	struct fx *f = *state;
	offer(f, NUM);
	expect_broken(f);
}

static void test_next_out_of_range(void **state)
{
	struct fx *f = *state;
	put_desc(f, 0, BUF, 4, VRING_DESC_F_NEXT, 200);
	offer(f, 0);
	expect_broken(f);
}

static void test_avail_idx_too_far(void **state)
{
	struct fx *f = *state;
	put_desc(f, 0, BUF, 4, 0, 0);
	put_u16(f, AVAIL + 2, NUM + 1); /* more chains than the queue can hold */
	expect_broken(f);
}

static void test_avail_idx_backwards(void **state)
{
	struct fx *f = *state;
	put_u16(f, AVAIL + 2, 0xffff); /* "behind" us: as unsigned distance, 65535 ahead */
	expect_broken(f);
}

static void test_readable_after_writable(void **state)
{
	struct fx *f = *state;
	put_desc(f, 0, BUF, 4, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	put_desc(f, 1, BUF, 4, 0, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_indirect_in_indirect(void **state)
{
	struct fx *f = *state;
	struct vring_desc t[2] = {
	    {.addr = BUF, .len = 4, .flags = VRING_DESC_F_NEXT, .next = 1},
	    {.addr = BUF + 0x1000, .len = 32, .flags = VRING_DESC_F_INDIRECT},
	};
	assert_int_equal(gmem_write(&f->mem, BUF + 0x1000, t, sizeof(t)), 0);
	put_desc(f, 0, BUF + 0x1000, sizeof(t), VRING_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_indirect_out_of_ram(void **state)
{
	struct fx *f = *state;
	put_desc(f, 0, RAM + SIZE - 16, 32, VRING_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_indirect_bad_len(void **state)
{
	struct fx *f = *state;
	put_desc(f, 0, BUF + 0x1000, 24, VRING_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_indirect_next_out_of_table(void **state)
{
	struct fx *f = *state;
	struct vring_desc t[2] = {
	    {.addr = BUF, .len = 4, .flags = VRING_DESC_F_NEXT, .next = 2},
	    {.addr = BUF, .len = 4},
	};
	assert_int_equal(gmem_write(&f->mem, BUF + 0x1000, t, sizeof(t)), 0);
	put_desc(f, 0, BUF + 0x1000, sizeof(t), VRING_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_indirect_loop(void **state)
{
	struct fx *f = *state;
	struct vring_desc t[2] = {
	    {.addr = BUF, .len = 4, .flags = VRING_DESC_F_NEXT, .next = 1},
	    {.addr = BUF, .len = 4, .flags = VRING_DESC_F_NEXT, .next = 0},
	};
	assert_int_equal(gmem_write(&f->mem, BUF + 0x1000, t, sizeof(t)), 0);
	put_desc(f, 0, BUF + 0x1000, sizeof(t), VRING_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_indirect_table_too_long(void **state)
{
	struct fx *f = *state;
	/* More entries than any queue may have (1024): refused before walking. */
	put_desc(f, 0, BUF + 0x1000, 16 * (VIRTQ_MAX_SIZE + 1), VRING_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_indirect_table_bigger_than_queue_ok(void **state)
{
	struct fx *f = *state;
	/* Linux gives virtio-blk indirect tables of seg_max + 2 entries, which with the ring's
	 * head descriptor exceeds the queue size: that is legal. */
	struct vring_desc t[NUM + 1];
	for (unsigned i = 0; i <= NUM; i++)
		t[i] = (struct vring_desc){.addr = BUF + i,
					   .len = 1,
					   .flags = VRING_DESC_F_NEXT,
					   .next = (uint16_t)(i + 1)};
	t[NUM].flags = VRING_DESC_F_WRITE;
	assert_int_equal(gmem_write(&f->mem, BUF + 0x1000, t, sizeof(t)), 0);
	put_desc(f, 0, BUF + 0x1000, sizeof(t), VRING_DESC_F_INDIRECT, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	assert_int_equal(f->c.nr, NUM);
	assert_int_equal(f->c.nw, 1);
}

static void test_chain_too_long(void **state)
{
	struct fx *f = *state;
	/* Two ring descriptors plus a full 1024-entry indirect table: more buffers than a
	 * chain may carry. */
	static struct vring_desc t[VIRTQ_MAX_SIZE];
	for (unsigned i = 0; i < VIRTQ_MAX_SIZE; i++)
		t[i] = (struct vring_desc){
		    .addr = BUF, .len = 1, .flags = VRING_DESC_F_NEXT, .next = (uint16_t)(i + 1)};
	t[VIRTQ_MAX_SIZE - 1].flags = 0;
	assert_int_equal(gmem_write(&f->mem, BUF + 0x8000, t, sizeof(t)), 0);
	put_desc(f, 0, BUF, 4, VRING_DESC_F_NEXT, 1);
	put_desc(f, 1, BUF, 4, VRING_DESC_F_NEXT, 2);
	put_desc(f, 2, BUF + 0x8000, sizeof(t), VRING_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_full_length_chain_ok(void **state)
{
	struct fx *f = *state;
	for (unsigned i = 0; i < NUM; i++)
		put_desc(f, i, BUF + i, 1, i + 1 < NUM ? VRING_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	assert_int_equal(f->c.nr, NUM);
}

static void test_enable_rejects_bad_rings(void **state)
{
	struct fx *f = *state;
	struct virtq q = {0};

	q.num = NUM;
	q.desc_gpa = RAM + SIZE - 16; /* table of 128 bytes crosses the end of RAM */
	q.avail_gpa = AVAIL;
	q.used_gpa = USED;
	assert_int_equal(virtq_enable(&q, &f->mem, false), -EINVAL);
	assert_true(q.broken);
	q = (struct virtq){.num = 3, .desc_gpa = DESC, .avail_gpa = AVAIL, .used_gpa = USED};
	assert_int_equal(virtq_enable(&q, &f->mem, false), -EINVAL);
	q = (struct virtq){.num = 2048, .desc_gpa = DESC, .avail_gpa = AVAIL, .used_gpa = USED};
	assert_int_equal(virtq_enable(&q, &f->mem, false), -EINVAL);
	q = (struct virtq){.num = NUM, .desc_gpa = DESC + 8, .avail_gpa = AVAIL, .used_gpa = USED};
	assert_int_equal(virtq_enable(&q, &f->mem, false), -EINVAL);
	q = (struct virtq){.num = NUM, .desc_gpa = DESC, .avail_gpa = AVAIL, .used_gpa = ~0ULL - 3};
	assert_int_equal(virtq_enable(&q, &f->mem, false), -EINVAL);
}

static void test_no_interrupt_flag(void **state)
{
	struct fx *f = *state;
	put_desc(f, 0, BUF, 4, 0, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	put_u16(f, AVAIL, VRING_AVAIL_F_NO_INTERRUPT);
	assert_int_equal(virtq_push(&f->q, 0, 0), 0);
	assert_false(virtq_should_notify(&f->q));
	put_u16(f, AVAIL, 0);
	/* Nothing new since: no interrupt; a new entry gets one. */
	assert_false(virtq_should_notify(&f->q));
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	assert_int_equal(virtq_push(&f->q, 0, 0), 0);
	assert_true(virtq_should_notify(&f->q));
}

#define USED_EVENT  (AVAIL + 4 + 2 * NUM)
#define AVAIL_EVENT (USED + 4 + 8 * NUM)

static void test_event_idx(void **state)
{
	struct fx *f = *state;
	put_desc(f, 0, BUF, 4, 0, 0);
	/* The driver wants an interrupt only once the used index passes 3 (used_event = 2). */
	put_u16(f, USED_EVENT, 2);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	/* avail_event tells the driver which avail index to kick us for next. */
	assert_int_equal(get_u16(f, AVAIL_EVENT), 1);
	assert_int_equal(virtq_push(&f->q, 0, 0), 0);
	assert_true(virtq_should_notify(&f->q)); /* first interrupt is always sent */
	for (int i = 0; i < 2; i++) {
		offer(f, 0);
		assert_int_equal(virtq_pop(&f->q, &f->c), 1);
		assert_int_equal(virtq_push(&f->q, 0, 0), 0);
		/* used idx 2: crosses nothing yet (event 2 means "notify when idx becomes 3"). */
		if (i == 0)
			assert_false(virtq_should_notify(&f->q));
		else
			assert_true(virtq_should_notify(&f->q));
	}
	assert_int_equal(get_u16(f, AVAIL_EVENT), 3);
	/* Several entries pushed at once, crossing used_event: one interrupt. */
	put_u16(f, USED_EVENT, 4);
	for (int i = 0; i < 3; i++) {
		offer(f, 0);
		assert_int_equal(virtq_pop(&f->q, &f->c), 1);
		assert_int_equal(virtq_push(&f->q, 0, 0), 0);
	}
	assert_true(virtq_should_notify(&f->q));
	assert_false(virtq_should_notify(&f->q));
	/* Empty pop re-arms avail_event at the current index. */
	assert_int_equal(virtq_pop(&f->q, &f->c), 0);
	assert_int_equal(get_u16(f, AVAIL_EVENT), 6);
}

static void test_reset_then_reuse(void **state)
{
	struct fx *f = *state;
	put_desc(f, 0, BUF, 4, VRING_DESC_F_NEXT, 0);
	offer(f, 0);
	expect_broken(f);
	virtq_reset(&f->q);
	memset(gmem_ptr(&f->mem, RAM, 0x3000), 0, 0x3000);
	f->q.num = NUM;
	f->q.desc_gpa = DESC;
	f->q.avail_gpa = AVAIL;
	f->q.used_gpa = USED;
	assert_int_equal(virtq_enable(&f->q, &f->mem, false), 0);
	put_desc(f, 0, BUF, 4, 0, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_empty),
	    T(test_simple_chain),
	    T(test_indirect),
	    T(test_indirect_unaligned_table),
	    T(test_wraparound_normal),
	    T(test_loop),
	    T(test_self_loop),
	    T(test_addr_outside_ram),
	    T(test_addr_below_ram),
	    T(test_huge_len),
	    T(test_len_overflow),
	    T(test_straddles_end_of_ram),
	    T(test_head_out_of_range),
	    T(test_next_out_of_range),
	    T(test_avail_idx_too_far),
	    T(test_avail_idx_backwards),
	    T(test_readable_after_writable),
	    T(test_indirect_in_indirect),
	    T(test_indirect_out_of_ram),
	    T(test_indirect_bad_len),
	    T(test_indirect_next_out_of_table),
	    T(test_indirect_loop),
	    T(test_indirect_table_too_long),
	    T(test_indirect_table_bigger_than_queue_ok),
	    T(test_chain_too_long),
	    T(test_full_length_chain_ok),
	    T(test_enable_rejects_bad_rings),
	    T(test_no_interrupt_flag),
	    cmocka_unit_test_setup_teardown(test_event_idx, setup_event_idx, teardown),
	    T(test_reset_then_reuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
