/* linux.seccomp -> libseccomp filter: default action, architectures, flags and per-syscall
 * rules with argument comparisons. Argument entries with distinct indices form one rule
 * (AND); when an index repeats, each entry becomes its own rule (OR), as runc does. */
#include "oci/fmt.h"
#include "oci/seccomp.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include "oci/spec.h"

/* An action libseccomp has but we cannot serve (no listener support). */
#define ACT_NOTIFY_UNSUPPORTED 0xfffffffeU

int seccomp_parse_action(const char *name, int64_t errno_ret, uint32_t *out)
{
	uint16_t e = errno_ret >= 0 ? (uint16_t)errno_ret : EPERM;

	if (!strcmp(name, "SCMP_ACT_KILL") || !strcmp(name, "SCMP_ACT_KILL_THREAD"))
		*out = SCMP_ACT_KILL_THREAD;
	else if (!strcmp(name, "SCMP_ACT_KILL_PROCESS"))
		*out = SCMP_ACT_KILL_PROCESS;
	else if (!strcmp(name, "SCMP_ACT_TRAP"))
		*out = SCMP_ACT_TRAP;
	else if (!strcmp(name, "SCMP_ACT_ERRNO"))
		*out = SCMP_ACT_ERRNO(e);
	else if (!strcmp(name, "SCMP_ACT_TRACE"))
		*out = SCMP_ACT_TRACE(e);
	else if (!strcmp(name, "SCMP_ACT_ALLOW"))
		*out = SCMP_ACT_ALLOW;
	else if (!strcmp(name, "SCMP_ACT_LOG"))
		*out = SCMP_ACT_LOG;
	else if (!strcmp(name, "SCMP_ACT_NOTIFY"))
		*out = ACT_NOTIFY_UNSUPPORTED;
	else
		return -EINVAL;
	return 0;
}

static const char *const oci_archs[] = {
    "SCMP_ARCH_X86",	 "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",		"SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",	"SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",	 "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",	 "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",	"SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",	 "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
};

int seccomp_arch_known(const char *name)
{
	for (size_t i = 0; i < sizeof(oci_archs) / sizeof(oci_archs[0]); i++)
		if (!strcmp(oci_archs[i], name))
			return 0;
	return -EINVAL;
}

int seccomp_parse_arch(const char *name, uint32_t *out)
{
	char low[32];
	size_t i;

	if (seccomp_arch_known(name))
		return -EINVAL;
	name += strlen("SCMP_ARCH_");
	for (i = 0; name[i] && i < sizeof(low) - 1; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[i] = 0;
	*out = seccomp_arch_resolve_name(low);
	return *out ? 0 : -EINVAL;
}

int seccomp_parse_op(const char *name)
{
	static const struct {
		const char *n;
		int op;
	} t[] = {
	    {"SCMP_CMP_NE", SCMP_CMP_NE},
	    {"SCMP_CMP_LT", SCMP_CMP_LT},
	    {"SCMP_CMP_LE", SCMP_CMP_LE},
	    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
	    {"SCMP_CMP_GE", SCMP_CMP_GE},
	    {"SCMP_CMP_GT", SCMP_CMP_GT},
	    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(t[i].n, name))
			return t[i].op;
	return -1;
}

static struct scmp_arg_cmp to_cmp(const struct oci_seccomp_arg *a)
{
	return (struct scmp_arg_cmp){.arg = a->index,
				     .op = (enum scmp_compare)a->op,
				     .datum_a = a->value,
				     .datum_b = a->value_two};
}

static bool repeated_index(const struct oci_seccomp_rule *r)
{
	unsigned seen = 0;

	for (size_t i = 0; i < r->nargs; i++) {
		if (seen & (1u << r->args[i].index))
			return true;
		seen |= 1u << r->args[i].index;
	}
	return false;
}

static int add_rule(scmp_filter_ctx ctx, const struct oci_seccomp_rule *r, int nr, char *msg,
		    size_t msglen, const char *name)
{
	struct scmp_arg_cmp cmp[6];
	int ret = 0;

	if (r->nargs == 0) {
		ret = seccomp_rule_add_array(ctx, r->action, nr, 0, NULL);
	} else if (repeated_index(r)) {
		for (size_t i = 0; i < r->nargs && !ret; i++) {
			cmp[0] = to_cmp(&r->args[i]);
			ret = seccomp_rule_add_array(ctx, r->action, nr, 1, cmp);
		}
	} else {
		for (size_t i = 0; i < r->nargs; i++)
			cmp[i] = to_cmp(&r->args[i]);
		ret = seccomp_rule_add_array(ctx, r->action, nr, (unsigned)r->nargs, cmp);
	}
	if (ret)
		fmt(msg, msglen, "seccomp rule for %s: %s", name, strerror(-ret));
	return ret;
}

int seccomp_apply(const struct oci_seccomp *sc, char *msg, size_t msglen)
{
	scmp_filter_ctx ctx;
	int ret = 0;

	if (sc->default_action == ACT_NOTIFY_UNSUPPORTED) {
		fmt(msg, msglen, "seccomp: SCMP_ACT_NOTIFY is not supported");
		return -EOPNOTSUPP;
	}
	ctx = seccomp_init(sc->default_action);
	if (!ctx) {
		fmt(msg, msglen, "seccomp_init failed");
		return -ENOMEM;
	}
	/* no_new_privileges is the spec's own setting; do not let libseccomp force it. */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (sc->flag_log)
		seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
	if (sc->flag_spec_allow)
		seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
	for (size_t i = 0; i < sc->narchs; i++) {
		ret = seccomp_arch_add(ctx, sc->archs[i]);
		if (ret && ret != -EEXIST) {
			fmt(msg, msglen, "seccomp: adding architecture: %s", strerror(-ret));
			goto out;
		}
	}
	ret = 0;
	for (size_t i = 0; i < sc->nrules && !ret; i++) {
		const struct oci_seccomp_rule *r = &sc->rules[i];
		if (r->action == ACT_NOTIFY_UNSUPPORTED) {
			fmt(msg, msglen, "seccomp: SCMP_ACT_NOTIFY is not supported");
			ret = -EOPNOTSUPP;
			break;
		}
		if (r->action == sc->default_action)
			continue; /* libseccomp rejects rules equal to the default */
		for (size_t j = 0; j < r->nnames && !ret; j++) {
			int nr = seccomp_syscall_resolve_name(r->names[j]);
			if (nr == __NR_SCMP_ERROR)
				continue; /* unknown to this libseccomp: ignored, like runc */
			ret = add_rule(ctx, r, nr, msg, msglen, r->names[j]);
		}
	}
	if (!ret) {
		ret = seccomp_load(ctx);
		if (ret)
			fmt(msg, msglen, "seccomp_load: %s", strerror(-ret));
	}
out:
	seccomp_release(ctx);
	return ret;
}
