/* Every hypercall of gasang's x86 ABI, then exit through HC_EXIT with status 42. */
#include "lib.h"

static char buf[256];

int main(struct mb_info *mbi)
{
	uint64_t t0, t1, r;
	char *p;

	(void)mbi;
	hcall(HC_BOOT_MARK, 0, 0);
	p = fmt_s(buf, "version=");
	p = fmt_u(p, hcall(HC_VERSION, 0, 0));
	p = fmt_s(p, " cpus=");
	p = fmt_u(p, hcall(HC_CPU_COUNT, 0, 0));
	t0 = hcall(HC_TIME, 0, 0);
	t1 = hcall(HC_TIME, 0, 0);
	p = fmt_s(p, " time_s=");
	p = fmt_u(p, t0 / 1000000000u);
	p = fmt_s(p, t1 >= t0 ? " monotonic" : " backwards");
	r = hcall(HC_CONSOLE, 0xfffff000u, 0x2000); /* outside RAM */
	p = fmt_s(p, " efault=");
	p = fmt_u(p, (uint64_t)-(int64_t)r);
	r = hcall(0x777, 0, 0);
	p = fmt_s(p, " enosys=");
	p = fmt_u(p, (uint64_t)-(int64_t)r);
	fmt_s(p, "\n");
	r = hcall(HC_CONSOLE, (uint32_t)buf, (uint32_t)(p + 1 - buf));
	p = fmt_s(buf, "console wrote ");
	p = fmt_u(p, r);
	fmt_s(p, " bytes\n");
	puts_hc(buf);
	hcall(HC_EXIT, 42, 0);
	return 0x7f; /* not reached */
}
