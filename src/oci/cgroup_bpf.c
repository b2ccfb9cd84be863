/* cgroup v2 device filter. The program sees struct bpf_cgroup_dev_ctx { access_type =
 * (access << 16) | type, major, minor } and returns 1 to allow, 0 to deny. Rules are checked
 * from the last to the first and the first match decides, so later rules override earlier
 * ones exactly as successive writes to v1's devices.allow/devices.deny do; no match denies. */
#include "oci/cgroup_bpf.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/util.h"
#include "oci/spec.h"

/* Registers: r1 = ctx, r2 = type, r3 = access, r4 = major, r5 = minor, r6 = scratch. */
static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	return (struct bpf_insn){
	    .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

#define LDX_W(dst, src, off)   insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define MOV64_REG(dst, src)    insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_IMM(dst, imm)    insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define AND32_IMM(dst, imm)    insn(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH32_IMM(dst, imm)    insn(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm, off) insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define EXIT()		       insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static const struct oci_dev_rule default_rules[] = {
    {true, 'c', -1, -1, "m"},	 {true, 'b', -1, -1, "m"}, {true, 'c', 1, 3, "rwm"},
    {true, 'c', 1, 5, "rwm"},	 {true, 'c', 1, 7, "rwm"}, {true, 'c', 1, 8, "rwm"},
    {true, 'c', 1, 9, "rwm"},	 {true, 'c', 5, 0, "rwm"}, {true, 'c', 5, 2, "rwm"},
    {true, 'c', 136, -1, "rwm"},
};

static int access_mask(const char *a)
{
	int m = 0;

	for (; *a; a++)
		m |= *a == 'r'	 ? BPF_DEVCG_ACC_READ
		     : *a == 'w' ? BPF_DEVCG_ACC_WRITE
				 : BPF_DEVCG_ACC_MKNOD;
	return m ? m : BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
}

/* Emits the checks of one rule; on a mismatch they jump past the rule's two final insns. */
static size_t emit_rule(const struct oci_dev_rule *r, struct bpf_insn *out)
{
	struct bpf_insn body[8];
	size_t n = 0, i;
	int all = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
	int acc = access_mask(r->access);

	if (r->type != 'a')
		body[n++] =
		    JNE_IMM(2, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
	if (acc != all) {
		body[n++] = MOV64_REG(6, 3);
		body[n++] = AND32_IMM(6, ~acc);
		body[n++] = JNE_IMM(6, 0, 0);
	}
	if (r->type != 'a' && r->major >= 0)
		body[n++] = JNE_IMM(4, (int32_t)r->major, 0);
	if (r->type != 'a' && r->minor >= 0)
		body[n++] = JNE_IMM(5, (int32_t)r->minor, 0);
	/* Patch each jump to land after this rule's "r0 = verdict; exit". */
	for (i = 0; i < n; i++) {
		out[i] = body[i];
		if ((body[i].code & 0x07) == BPF_JMP)
			out[i].off = (int16_t)(n - i - 1 + 2);
	}
	out[n++] = MOV64_IMM(0, r->allow ? 1 : 0);
	out[n++] = EXIT();
	return n;
}

int cgroup_bpf_build(const struct oci_dev_rule *rules, size_t n, struct bpf_insn *insns, size_t cap)
{
	size_t k = 0, total = n + ARRAY_SIZE(default_rules);

	if (cap < 6 + total * 8)
		return -E2BIG;
	insns[k++] = LDX_W(2, 1, 0);
	insns[k++] = AND32_IMM(2, 0xffff);
	insns[k++] = LDX_W(3, 1, 0);
	insns[k++] = RSH32_IMM(3, 16);
	insns[k++] = LDX_W(4, 1, 4);
	insns[k++] = LDX_W(5, 1, 8);
	/* Last rule first: the defaults (appended after the spec's rules) come first. */
	for (size_t i = total; i-- > 0;) {
		const struct oci_dev_rule *r = i >= n ? &default_rules[i - n] : &rules[i];
		size_t len = emit_rule(r, insns + k);
		k += len;
		if (len == 2)
			return (int)k; /* matches everything: earlier rules are unreachable */
	}
	insns[k++] = MOV64_IMM(0, 0);
	insns[k++] = EXIT();
	return (int)k;
}

int cgroup_bpf_attach(const char *dir, const struct oci_dev_rule *rules, size_t n)
{
	size_t cap = 16 + (n + ARRAY_SIZE(default_rules)) * 8;
	struct bpf_insn *insns = calloc(cap, sizeof(*insns));
	union bpf_attr a;
	int cnt, prog, cg, r = 0;

	if (!insns)
		return -ENOMEM;
	cnt = cgroup_bpf_build(rules, n, insns, cap);
	if (cnt < 0) {
		free(insns);
		return cnt;
	}
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = (uint32_t)cnt;
	a.license = (uint64_t)(uintptr_t) "Apache";
	prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	free(insns);
	if (prog < 0)
		return -errno;
	cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0) {
		r = -errno;
		close(prog);
		return r;
	}
	memset(&a, 0, sizeof(a));
	a.target_fd = (uint32_t)cg;
	a.attach_bpf_fd = (uint32_t)prog;
	a.attach_type = BPF_CGROUP_DEVICE;
	a.attach_flags = BPF_F_ALLOW_MULTI;
	if (syscall(SYS_bpf, BPF_PROG_ATTACH, &a, sizeof(a)) < 0)
		r = -errno;
	close(cg);
	close(prog); /* the attachment keeps the program */
	return r;
}
