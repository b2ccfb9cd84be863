/* gasang's x86 hypercall ABI (docs/x86-platform.md): `out dx, eax` with dx = 0x5e0 and the call
 * number in eax; arguments in rbx, rcx, rsi, rdi; the result comes back in rax, its high half
 * also in edx. Port I/O because vmcall does not exit on every KVM (kvm-pvm). */
#include <time.h>

#include "base/util.h"
#include "devices/pc_misc.h"
#include "machine/machine.h"

#define HC_CONSOLE_MAX (64 * 1024)

static uint64_t hc_console_write(struct machine *m, uint64_t gpa, uint64_t len)
{
	const void *p;

	if (len > HC_CONSOLE_MAX)
		return HC_EINVAL;
	p = gmem_ptr(&m->mem, gpa, len);
	if (!p && len)
		return HC_EFAULT;
	chardev_write(&m->console, p, len);
	return len;
}

static uint64_t hc_time(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void hypercall_handle(struct machine *m, unsigned vcpu, uint64_t regs[6])
{
	uint64_t ret;

	(void)vcpu;
	switch ((uint32_t)regs[0]) {
	case HC_VERSION:
		ret = HC_ABI_VERSION;
		break;
	case HC_CONSOLE_WRITE:
		ret = hc_console_write(m, regs[1], regs[2]);
		break;
	case HC_EXIT:
		machine_request_stop(m, STOP_POWEROFF, (int)(regs[1] & 0xff));
		ret = 0;
		break;
	case HC_TIME:
		ret = hc_time();
		break;
	case HC_BOOT_MARK:
		machine_boot_mark(m);
		ret = 0;
		break;
	case HC_CPU_COUNT:
		ret = m->ncpus;
		break;
	default:
		ret = HC_ENOSYS;
		break;
	}
	regs[0] = ret;
	regs[3] = ret >> 32;
}
