/* Process VM address space: range bookkeeping, brk, mmap/munmap/mremap via the dispatcher,
 * and the guest-pointer checks every syscall relies on. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "accel/emu/user/uproc.h"

enum { NR_brk = 214, NR_munmap = 215, NR_mremap = 216, NR_mmap = 222 };
#define MAP_PRIVATE_ANON (0x02 | 0x20)
#define MAP_FIXED	 0x10
#define MAP_NOREPLACE	 0x100000

static int setup(void **state)
{
	struct uproc *p = calloc(1, sizeof(*p));

	if (!p || uproc_init(p))
		return -1;
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	uproc_free(*state);
	free(*state);
	return 0;
}

static int64_t sys(struct uproc *p, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		   uint64_t a4, uint64_t a5)
{
	uint64_t a[6] = {a0, a1, a2, a3, a4, a5};

	return uproc_syscall_dispatch(p, nr, a);
}

static void test_vma_add_merge_split(void **state)
{
	struct uproc *p = *state;
	unsigned base = p->nvma;

	assert_int_equal(uproc_vma_add(p, 0x100000, 0x200000), 0);
	assert_int_equal(uproc_vma_add(p, 0x200000, 0x300000), 0); /* merges */
	assert_int_equal(p->nvma, base + 1);
	assert_int_equal(uproc_vma_add(p, 0x180000, 0x190000), -EEXIST);
	assert_false(uproc_vma_free(p, 0x2ff000, 0x301000));
	assert_true(uproc_vma_free(p, 0x300000, 0x301000));
	assert_int_equal(uproc_vma_remove(p, 0x180000, 0x190000), 0); /* splits */
	assert_int_equal(p->nvma, base + 2);
	assert_true(uproc_vma_free(p, 0x180000, 0x190000));
	assert_int_equal(uproc_vma_remove(p, 0x000000, 0x400000), 0);
	assert_int_equal(p->nvma, base);
	/* Outside the guest space is never free. */
	assert_false(uproc_vma_free(p, 0, 0x1000));
	assert_false(uproc_vma_free(p, UPROC_TOP, UPROC_TOP + 0x1000));
}

static void test_find_is_top_down(void **state)
{
	struct uproc *p = *state;
	uint64_t a = uproc_vma_find(p, 0x10000, UPROC_MMAP_TOP);

	assert_int_equal(a, UPROC_MMAP_TOP - 0x10000);
	assert_int_equal(uproc_vma_add(p, a, a + 0x10000), 0);
	assert_int_equal(uproc_vma_find(p, 0x1000, UPROC_MMAP_TOP), a - 0x1000);
}

static void test_mmap_munmap_zeroes(void **state)
{
	struct uproc *p = *state;
	int64_t a = sys(p, NR_mmap, 0, 3 * UPROC_PAGE, 3, MAP_PRIVATE_ANON, -1, 0);
	uint8_t *h;

	assert_true(a > 0 && (a & 0xfff) == 0);
	h = uproc_ptr(p, (uint64_t)a, 3 * UPROC_PAGE);
	assert_non_null(h);
	memset(h, 0xab, 3 * UPROC_PAGE);
	assert_int_equal(sys(p, NR_munmap, (uint64_t)a + UPROC_PAGE, UPROC_PAGE, 0, 0, 0, 0), 0);
	assert_int_equal(h[UPROC_PAGE], 0); /* unmapped pages read as zero when reused */
	assert_int_equal(h[0], 0xab);
	/* The hole can be filled with MAP_FIXED; NOREPLACE refuses a used range. */
	assert_int_equal(sys(p, NR_mmap, (uint64_t)a + UPROC_PAGE, UPROC_PAGE, 3,
			     MAP_PRIVATE_ANON | MAP_FIXED, -1, 0),
			 a + (int64_t)UPROC_PAGE);
	assert_int_equal(
	    sys(p, NR_mmap, (uint64_t)a, UPROC_PAGE, 3, MAP_PRIVATE_ANON | MAP_NOREPLACE, -1, 0),
	    -EEXIST);
	/* Bad arguments. */
	assert_int_equal(sys(p, NR_mmap, 0, 0, 3, MAP_PRIVATE_ANON, -1, 0), -EINVAL);
	assert_int_equal(sys(p, NR_mmap, 0, 4096, 3, 0x20, -1, 0), -EINVAL); /* no type */
	assert_int_equal(sys(p, NR_mmap, 0, 4096, 3, 0x02, 999, 0), -EBADF);
	assert_int_equal(sys(p, NR_mmap, 0x123, 4096, 3, MAP_PRIVATE_ANON | MAP_FIXED, -1, 0),
			 -EINVAL);
	assert_int_equal(sys(p, NR_mmap, UPROC_TOP, 4096, 3, MAP_PRIVATE_ANON | MAP_FIXED, -1, 0),
			 -ENOMEM);
	assert_int_equal(sys(p, NR_munmap, 1, 4096, 0, 0, 0, 0), -EINVAL);
}

static void test_mremap_grows_and_moves(void **state)
{
	struct uproc *p = *state;
	int64_t a = sys(p, NR_mmap, 0, UPROC_PAGE, 3, MAP_PRIVATE_ANON, -1, 0), b;
	uint8_t *h = uproc_ptr(p, (uint64_t)a, 1);

	*h = 42;
	/* Below a is the next mapping's space, above it is used: growing must move. */
	b = sys(p, NR_mremap, (uint64_t)a, UPROC_PAGE, 64 * UPROC_PAGE, 1, 0, 0);
	assert_true(b > 0 && b != a);
	assert_int_equal(*(uint8_t *)uproc_ptr(p, (uint64_t)b, 1), 42);
	/* Shrinking keeps the address. */
	assert_int_equal(sys(p, NR_mremap, (uint64_t)b, 64 * UPROC_PAGE, UPROC_PAGE, 0, 0, 0), b);
}

static void test_brk(void **state)
{
	struct uproc *p = *state;
	uint64_t start = 0x400000;
	uint8_t *h;

	p->brk_start = p->brk_cur = start;
	assert_int_equal(sys(p, NR_brk, 0, 0, 0, 0, 0, 0), start);
	assert_int_equal(sys(p, NR_brk, start + 10000, 0, 0, 0, 0, 0), start + 10000);
	h = uproc_ptr(p, start, 10000);
	assert_non_null(h);
	memset(h, 7, 10000);
	assert_int_equal(sys(p, NR_brk, start + 10, 0, 0, 0, 0, 0), start + 10);
	assert_int_equal(sys(p, NR_brk, start + 10000, 0, 0, 0, 0, 0), start + 10000);
	assert_int_equal(h[8192], 0); /* freed then regrown pages are zero */
	/* A brk running into a mapping fails and returns the old break. */
	assert_int_equal(uproc_vma_add(p, start + 0x10000, start + 0x11000), 0);
	assert_int_equal(sys(p, NR_brk, start + 0x20000, 0, 0, 0, 0, 0), start + 10000);
	assert_int_equal(sys(p, NR_brk, start - 1, 0, 0, 0, 0, 0), start + 10000);
}

static void test_guest_pointers(void **state)
{
	struct uproc *p = *state;
	char buf[8];

	assert_null(uproc_ptr(p, 0, 1));
	assert_null(uproc_ptr(p, UPROC_BASE - 1, 2));
	assert_null(uproc_ptr(p, UPROC_TOP - 1, 2));
	assert_null(uproc_ptr(p, UPROC_BASE, UINT64_MAX));
	assert_non_null(uproc_ptr(p, UPROC_TOP - 1, 1));
	assert_int_equal(uproc_write(p, UPROC_TOP - 4, "abc", 4), 0);
	assert_int_equal(uproc_strcpy(p, UPROC_TOP - 4, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "abc");
	assert_int_equal(uproc_strcpy(p, UPROC_TOP - 4, buf, 3), -ENAMETOOLONG);
	/* A string running off the end of the space is a fault, not an overread. */
	assert_int_equal(uproc_write(p, UPROC_TOP - 2, "xy", 2), 0);
	assert_int_equal(uproc_strcpy(p, UPROC_TOP - 2, buf, sizeof(buf)), -EFAULT);
	assert_int_equal(uproc_strcpy(p, 8, buf, sizeof(buf)), -EFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_vma_add_merge_split, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_find_is_top_down, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mmap_munmap_zeroes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mremap_grows_and_moves, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_brk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_guest_pointers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
