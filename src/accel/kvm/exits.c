/* What the vCPU loop does with each KVM exit: port I/O and MMIO go to the machine's buses (or
 * the hypercall handler), power events stop the machine, and guest errors end gasang with a
 * message and a register dump. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "accel/kvm/kvm_int.h"
#include "base/log.h"
#include "base/util.h"
#include "machine/devstats.h"

int exits_guest_error(struct vcpu *v, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!machine_stopping(v->m)) {
		log_error("guest error: %s", msg);
		cpu_x86_dump(v, stderr);
	}
	machine_request_stop(v->m, STOP_GUEST_ERROR, 1);
	return -1;
}

static uint64_t load_le(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;

	memcpy(&v, p, size); /* x86 hosts only: little endian */
	return v;
}

static int io_hypercall(struct vcpu *v)
{
	struct kvm_vm *k = kvm_of(v->m);
	int fd = kvm_vcpu_of(v)->fd;
	struct kvm_regs r;
	uint64_t regs[6];

	if (ioctl(fd, KVM_GET_REGS, &r) < 0)
		return exits_guest_error(v, "KVM_GET_REGS: %s", strerror(errno));
	regs[0] = r.rax;
	regs[1] = r.rbx;
	regs[2] = r.rcx;
	regs[3] = r.rdx;
	regs[4] = r.rsi;
	regs[5] = r.rdi;
	k->hc_fn(v->m, v->id, regs);
	r.rax = regs[0];
	r.rdx = regs[3];
	if (ioctl(fd, KVM_SET_REGS, &r) < 0)
		return exits_guest_error(v, "KVM_SET_REGS: %s", strerror(errno));
	return 0;
}

/* When the exit-by-device table is kept (--stats): the start of the device's work, else 0. */
static uint64_t dev_t0(const struct vcpu *v)
{
	return v->m->cfg && v->m->cfg->stats ? now_ns() : 0;
}

int exits_io(struct vcpu *v)
{
	struct kvm_vcpu *c = kvm_vcpu_of(v);
	struct kvm_vm *k = kvm_of(v->m);
	struct kvm_run *run = c->run;
	unsigned size = run->io.size;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint64_t t0;

	if (size != 1 && size != 2 && size != 4)
		return exits_guest_error(v, "port I/O of %u bytes", size);
	if (run->io.data_offset + (uint64_t)run->io.count * size > (uint64_t)k->run_size)
		return exits_guest_error(v, "port I/O data outside the run page");
	if (k->hc_fn && run->io.port == k->hc_port && run->io.direction == KVM_EXIT_IO_OUT &&
	    run->io.count == 1) {
		uint64_t t0 = dev_t0(v);
		int r = io_hypercall(v);

		if (t0)
			devstats_add_named(v, 0, "hypercall port", now_ns() - t0);
		return r;
	}
	t0 = dev_t0(v);
	for (uint32_t i = 0; i < run->io.count; i++, data += size) {
		if (run->io.direction == KVM_EXIT_IO_OUT) {
			bus_write(&v->m->pio, run->io.port, size, load_le(data, size));
		} else {
			uint64_t val = 0;

			bus_read(&v->m->pio, run->io.port, size, &val);
			memcpy(data, &val, size);
		}
	}
	if (t0)
		devstats_add(v, &v->m->pio, true, run->io.port, now_ns() - t0);
	return 0;
}

static void mmio_access(struct bus *b, uint64_t addr, uint8_t *data, unsigned len, bool write)
{
	uint64_t val = 0;

	if (write) {
		bus_write(b, addr, len, load_le(data, len));
	} else {
		bus_read(b, addr, len, &val);
		memcpy(data, &val, len);
	}
}

int exits_mmio(struct vcpu *v)
{
	struct kvm_run *run = kvm_vcpu_of(v)->run;
	unsigned len = run->mmio.len;
	uint64_t t0;

	if (len > sizeof(run->mmio.data))
		return exits_guest_error(v, "MMIO of %u bytes", len);
	t0 = dev_t0(v);
	if (len == 1 || len == 2 || len == 4 || len == 8) {
		mmio_access(&v->m->mmio, run->mmio.phys_addr, run->mmio.data, len,
			    run->mmio.is_write);
	} else {
		for (unsigned i = 0; i < len; i++) /* odd sizes: byte by byte */
			mmio_access(&v->m->mmio, run->mmio.phys_addr + i, run->mmio.data + i, 1,
				    run->mmio.is_write);
	}
	if (t0)
		devstats_add(v, &v->m->mmio, false, run->mmio.phys_addr, now_ns() - t0);
	return 0;
}

int exits_shutdown(struct vcpu *v)
{
	return exits_guest_error(v, "vCPU %u triple fault (KVM_EXIT_SHUTDOWN)", v->id);
}

int exits_system_event(struct vcpu *v)
{
	struct kvm_run *run = kvm_vcpu_of(v)->run;

	switch (run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		machine_request_stop(v->m, STOP_POWEROFF, 0);
		return 0;
	case KVM_SYSTEM_EVENT_RESET:
		machine_request_stop(v->m, STOP_REBOOT, 0);
		return 0;
	default:
		return exits_guest_error(v, "vCPU %u system event %u (crash)", v->id,
					 run->system_event.type);
	}
}

/* The instruction KVM failed on, when it reports its bytes ("f0 48 0f c7 ..."). */
static void insn_bytes(const struct kvm_run *run, char *out, size_t len)
{
	const __typeof__(run->emulation_failure) *ef = &run->emulation_failure;
	size_t off = 0;

	out[0] = '\0';
	if (run->internal.ndata < 3 ||
	    !(ef->flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES))
		return;
	for (unsigned i = 0; i < ef->insn_size && i < sizeof(ef->insn_bytes) && off + 4 < len; i++)
		off += (size_t)snprintf(out + off, len - off, "%s%02x", i ? " " : "",
					ef->insn_bytes[i]);
}

int exits_internal_error(struct vcpu *v)
{
	struct kvm_run *run = kvm_vcpu_of(v)->run;
	char words[160] = "";
	size_t off = 0;

	if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION) {
		insn_bytes(run, words, sizeof(words));
		return exits_guest_error(v,
					 "vCPU %u: KVM cannot emulate an instruction "
					 "(KVM_EXIT_INTERNAL_ERROR, emulation failure%s%s)",
					 v->id, words[0] ? "; bytes " : "", words);
	}
	for (unsigned i = 0; i < run->internal.ndata && i < 4 && off < sizeof(words); i++)
		off += (size_t)snprintf(words + off, sizeof(words) - off, " %llx",
					(unsigned long long)run->internal.data[i]);
	return exits_guest_error(v, "vCPU %u: KVM internal error, suberror %u (data%s)", v->id,
				 run->internal.suberror, words);
}

int exits_fail_entry(struct vcpu *v)
{
	struct kvm_run *run = kvm_vcpu_of(v)->run;

	return exits_guest_error(v, "vCPU %u: VM entry failed (KVM_EXIT_FAIL_ENTRY, reason 0x%llx)",
				 v->id,
				 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
}

int exits_unknown(struct vcpu *v)
{
	struct kvm_run *run = kvm_vcpu_of(v)->run;

	return exits_guest_error(v, "vCPU %u: unexpected KVM exit %u (hardware reason 0x%llx)",
				 v->id, run->exit_reason,
				 (unsigned long long)run->hw.hardware_exit_reason);
}
