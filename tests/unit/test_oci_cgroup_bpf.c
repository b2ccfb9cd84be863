#include <linux/bpf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "oci/cgroup_bpf.h"
#include "oci/spec.h"

/* A tiny interpreter for the subset of eBPF the device filter uses, to check its verdicts. */
static int run(const struct bpf_insn *p, int n, uint32_t access_type, uint32_t major,
	       uint32_t minor)
{
	uint32_t ctx[3] = {access_type, major, minor};
	uint64_t r[11] = {0};

	for (int pc = 0; pc < n; pc++) {
		const struct bpf_insn *i = &p[pc];
		switch (i->code) {
		case BPF_LDX | BPF_MEM | BPF_W:
			r[i->dst_reg] = ctx[i->off / 4];
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			r[i->dst_reg] = (uint32_t)r[i->dst_reg] & (uint32_t)i->imm;
			break;
		case BPF_ALU | BPF_RSH | BPF_K:
			r[i->dst_reg] = (uint32_t)r[i->dst_reg] >> i->imm;
			break;
		case BPF_ALU64 | BPF_MOV | BPF_X:
			r[i->dst_reg] = r[i->src_reg];
			break;
		case BPF_ALU64 | BPF_MOV | BPF_K:
			r[i->dst_reg] = (uint64_t)(int64_t)i->imm;
			break;
		case BPF_JMP | BPF_JNE | BPF_K:
			if (r[i->dst_reg] != (uint64_t)(int64_t)i->imm)
				pc += i->off;
			break;
		case BPF_JMP | BPF_EXIT:
			return (int)r[0];
		default:
			fail_msg("unexpected opcode 0x%02x at %d", i->code, pc);
		}
	}
	fail_msg("fell off the end");
	return -1;
}

#define CHR(acc) ((uint32_t)(acc) << 16 | BPF_DEVCG_DEV_CHAR)
#define BLK(acc) ((uint32_t)(acc) << 16 | BPF_DEVCG_DEV_BLOCK)
#define R	 BPF_DEVCG_ACC_READ
#define W	 BPF_DEVCG_ACC_WRITE
#define M	 BPF_DEVCG_ACC_MKNOD

static void test_deny_all_then_allow(void **state)
{
	struct oci_dev_rule rules[] = {
	    {false, 'a', -1, -1, "rwm"},
	    {true, 'c', 10, 200, "rw"},
	    {true, 'b', 8, -1, "r"},
	    {false, 'c', 10, 200, "w"},
	};
	struct bpf_insn p[256];
	int n = cgroup_bpf_build(rules, 4, p, 256);
	(void)state;

	assert_true(n > 0);
	assert_int_equal(run(p, n, CHR(R), 10, 200), 1);
	assert_int_equal(run(p, n, CHR(W), 10, 200), 0); /* a later deny wins */
	assert_int_equal(run(p, n, CHR(M), 10, 200), 1); /* defaults: mknod of any char */
	assert_int_equal(run(p, n, BLK(R), 8, 3), 1);
	assert_int_equal(run(p, n, BLK(W), 8, 3), 0);
	assert_int_equal(run(p, n, CHR(R), 1, 4), 0);	    /* not allowed */
	assert_int_equal(run(p, n, CHR(R | W), 1, 3), 1);   /* /dev/null, a default */
	assert_int_equal(run(p, n, CHR(R | W), 136, 7), 1); /* ptys */
}

static void test_allow_all_is_terminal(void **state)
{
	struct oci_dev_rule rules[] = {{false, 'c', 1, 4, "rwm"}, {true, 'a', -1, -1, "rwm"}};
	struct bpf_insn p[256];
	int n = cgroup_bpf_build(rules, 2, p, 256);
	(void)state;

	/* Nothing after the catch-all is emitted (the verifier rejects unreachable code): the
	 * program ends with its "allow", not with the final deny. */
	assert_true(n > 2);
	assert_int_equal(p[n - 2].code, BPF_ALU64 | BPF_MOV | BPF_K);
	assert_int_equal(p[n - 2].imm, 1);
	assert_int_equal(run(p, n, CHR(R), 1, 4), 1);
	assert_int_equal(run(p, n, BLK(W), 9, 9), 1);
}

static void test_too_small(void **state)
{
	struct oci_dev_rule rules[] = {{true, 'c', 1, 4, "r"}};
	struct bpf_insn p[8];
	(void)state;
	assert_true(cgroup_bpf_build(rules, 1, p, 8) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_deny_all_then_allow),
	    cmocka_unit_test(test_allow_all_is_terminal),
	    cmocka_unit_test(test_too_small),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
