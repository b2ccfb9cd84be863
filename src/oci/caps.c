/* process.capabilities through libcap and prctl. */
#include "oci/fmt.h"
#include "oci/caps.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "oci/spec.h"

int caps_from_name(const char *name)
{
	char low[64];
	cap_value_t v;
	size_t i;

	for (i = 0; name[i] && i < sizeof(low) - 1; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[i] = 0;
	if (strncmp(low, "cap_", 4) != 0)
		return -1;
	if (cap_from_name(low, &v) < 0 || v < 0 || v > 63 ||
	    strspn(low + 4, "0123456789") == strlen(low + 4))
		return -1;
	return (int)v;
}

uint64_t caps_available(void)
{
	uint64_t m = 0;
	int last = (int)cap_max_bits() - 1;

	for (int c = 0; c <= last && c < 64; c++)
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
			m |= 1ULL << c;
	return m;
}

int caps_drop_bounding(const struct oci_caps *caps)
{
	int last = (int)cap_max_bits() - 1;

	for (int c = 0; c <= last && c < 64; c++) {
		if (caps->bounding & (1ULL << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	}
	return 0;
}

int caps_apply(const struct oci_caps *caps)
{
	uint64_t avail = caps_available();
	cap_t c = cap_init();
	int last = (int)cap_max_bits() - 1;
	int ret = 0;

	if (!c)
		return -ENOMEM;
	for (int i = 0; i <= last && i < 64; i++) {
		cap_value_t v = i;
		uint64_t bit = 1ULL << i;
		/* Capabilities outside our own bounding set cannot be granted: skip them
		 * instead of failing, as runc does with unknown ones. */
		if (caps->effective & bit & avail)
			cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_SET);
		if (caps->permitted & bit & avail)
			cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_SET);
		if (caps->inheritable & bit & avail)
			cap_set_flag(c, CAP_INHERITABLE, 1, &v, CAP_SET);
	}
	if (cap_set_proc(c) < 0)
		ret = -errno;
	cap_free(c);
	if (ret)
		return ret;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	for (int i = 0; i <= last && i < 64; i++) {
		/* The kernel only allows ambient capabilities that are also permitted and
		 * inheritable; others are skipped (default specs list ambient without
		 * inheritable). */
		if (!(caps->ambient & caps->inheritable & caps->permitted & (1ULL << i) & avail))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, i, 0, 0) < 0)
			return -errno;
	}
	return 0;
}
