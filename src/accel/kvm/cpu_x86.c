/* x86 vCPU state: CPUID from KVM_GET_SUPPORTED_CPUID (KVM's paravirtual leaves included), the
 * MSRs a fresh PC has, FPU and LAPIC defaults, and the entry state a loader asks for: real mode,
 * 32-bit protected mode (flat, paging off) or 64-bit long mode (identity-mapped 4 GiB). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "accel/kvm/kvm_int.h"
#include "base/util.h"

#define MSR_IA32_TSC	      0x10
#define MSR_IA32_SYSENTER_CS  0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE  0x1a0
#define MSR_MTRR_DEF_TYPE     0x2ff
#define MSR_STAR	      0xc0000081
#define MSR_LSTAR	      0xc0000082
#define MSR_CSTAR	      0xc0000083
#define MSR_SYSCALL_MASK      0xc0000084
#define MSR_KERNEL_GS_BASE    0xc0000102

#define CR0_PE	 0x1ULL
#define CR0_ET	 0x10ULL
#define CR0_NE	 0x20ULL
#define CR0_PG	 0x80000000ULL
#define CR4_PAE	 0x20ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL

#define APIC_LVT0	 0x350
#define APIC_LVT1	 0x360
#define APIC_MODE_NMI	 0x400
#define APIC_MODE_EXTINT 0x700

int cpu_x86_setup_cpuid(struct vcpu *v)
{
	const struct kvm_cpuid2 *sup = kvm_of(v->m)->cpuid;
	size_t sz = sizeof(*sup) + sup->nent * sizeof(sup->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz);
	int r;

	if (!c)
		return -ENOMEM;
	memcpy(c, sup, sz);
	/* KVM emulates the TSC-deadline timer with its in-kernel LAPIC but leaves the bit out of
	 * KVM_GET_SUPPORTED_CPUID. Without it Linux calibrates the LAPIC timer against the PIT,
	 * which is slow and, on a busy host, fails ("APIC timer disabled due to verification
	 * failure"), leaving the guest on PIT ticks without high-resolution timers. */
	bool deadline =
	    ioctl(kvm_of(v->m)->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			/* Initial APIC ID = vCPU id; we run under a hypervisor. */
			e->ebx = (e->ebx & 0x00ffffffu) | (v->id << 24);
			e->ecx |= 1u << 31;
			if (deadline)
				e->ecx |= 1u << 24;
			break;
		case 0xb:
		case 0x1f:
			e->edx = v->id; /* x2APIC ID */
			break;
		default:
			break;
		}
	}
	r = ioctl(kvm_vcpu_of(v)->fd, KVM_SET_CPUID2, c) < 0 ? -errno : 0;
	free(c);
	return r;
}

int cpu_x86_setup_msrs(struct vcpu *v)
{
	static const struct {
		uint32_t index;
		uint64_t data;
	} init[] = {
	    {MSR_IA32_SYSENTER_CS, 0},
	    {MSR_IA32_SYSENTER_ESP, 0},
	    {MSR_IA32_SYSENTER_EIP, 0},
	    {MSR_STAR, 0},
	    {MSR_CSTAR, 0},
	    {MSR_KERNEL_GS_BASE, 0},
	    {MSR_SYSCALL_MASK, 0},
	    {MSR_LSTAR, 0},
	    {MSR_IA32_TSC, 0},
	    {MSR_IA32_MISC_ENABLE, 1},	/* fast strings */
	    {MSR_MTRR_DEF_TYPE, 0x806}, /* MTRRs on, default write-back */
	};
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[ARRAY_SIZE(init)];
	} msrs;

	memset(&msrs, 0, sizeof(msrs));
	msrs.hdr.nmsrs = ARRAY_SIZE(init);
	for (size_t i = 0; i < ARRAY_SIZE(init); i++) {
		msrs.e[i].index = init[i].index;
		msrs.e[i].data = init[i].data;
	}
	/* KVM_SET_MSRS returns how many it set: an MSR this KVM lacks is not fatal. */
	return ioctl(kvm_vcpu_of(v)->fd, KVM_SET_MSRS, &msrs) < 0 ? -errno : 0;
}

static void lapic_set(struct kvm_lapic_state *l, unsigned reg, uint32_t val)
{
	memcpy(&l->regs[reg], &val, sizeof(val));
}

int cpu_x86_setup_fpu_lapic(struct vcpu *v)
{
	int fd = kvm_vcpu_of(v)->fd;
	struct kvm_fpu fpu = {.fcw = 0x37f, .mxcsr = 0x1f80};
	struct kvm_lapic_state lapic;

	if (ioctl(fd, KVM_SET_FPU, &fpu) < 0)
		return -errno;
	/* As on a PC: the 8259 reaches the BSP through LINT0 (ExtINT), NMIs come in on LINT1. */
	if (ioctl(fd, KVM_GET_LAPIC, &lapic) < 0)
		return -errno;
	if (v->id == 0)
		lapic_set(&lapic, APIC_LVT0, APIC_MODE_EXTINT);
	lapic_set(&lapic, APIC_LVT1, APIC_MODE_NMI);
	return ioctl(fd, KVM_SET_LAPIC, &lapic) < 0 ? -errno : 0;
}

/* Flat segments: 0x10 code (64-bit or 32-bit), 0x18 data, as the Linux boot protocol wants. */
static void flat_segments(struct kvm_sregs *s, bool long_mode)
{
	struct kvm_segment code = {
	    .base = 0,
	    .limit = 0xffffffff,
	    .selector = 0x10,
	    .type = 0xb,
	    .present = 1,
	    .s = 1,
	    .g = 1,
	    .db = long_mode ? 0 : 1,
	    .l = long_mode ? 1 : 0,
	};
	struct kvm_segment data = code;

	data.selector = 0x18;
	data.type = 0x3;
	data.db = 1;
	data.l = 0;
	s->cs = code;
	s->ds = s->es = s->fs = s->gs = s->ss = data;
}

/* GDT at X86_GDT_ADDR matching flat_segments(), and for long mode an identity map of the first
 * 4 GiB with 2 MiB pages at X86_PML4_ADDR. */
static int write_tables(struct machine *m, bool long_mode)
{
	uint64_t gdt[4] = {0, 0, long_mode ? 0x00af9b000000ffffULL : 0x00cf9b000000ffffULL,
			   0x00cf93000000ffffULL};
	uint64_t *pml4, *pdpt, *pd;

	if (gmem_write(&m->mem, X86_GDT_ADDR, gdt, sizeof(gdt)))
		return -EFAULT;
	if (!long_mode)
		return 0;
	pml4 = gmem_ptr(&m->mem, X86_PML4_ADDR, 6 * 4096);
	if (!pml4)
		return -EFAULT;
	memset(pml4, 0, 6 * 4096);
	pdpt = pml4 + 512;
	pd = pdpt + 512;
	pml4[0] = (X86_PML4_ADDR + 0x1000) | 0x3;
	for (unsigned i = 0; i < 4; i++)
		pdpt[i] = (X86_PML4_ADDR + 0x2000 + i * 0x1000ULL) | 0x3;
	for (unsigned i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83; /* present, writable, 2 MiB */
	return 0;
}

int cpu_x86_setup_entry(struct vcpu *v, const struct x86_entry *e)
{
	int fd = kvm_vcpu_of(v)->fd;
	struct kvm_sregs s;
	struct kvm_regs r;
	int err;

	if (ioctl(fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	if (e->mode == X86_MODE_REAL) {
		s.cs.selector = e->cs;
		s.cs.base = (uint64_t)e->cs << 4;
	} else {
		bool lm = e->mode == X86_MODE_LONG64;

		err = write_tables(v->m, lm);
		if (err)
			return err;
		flat_segments(&s, lm);
		s.gdt.base = X86_GDT_ADDR;
		s.gdt.limit = 4 * 8 - 1;
		s.cr0 = CR0_PE | CR0_ET | CR0_NE;
		if (lm) {
			s.cr0 |= CR0_PG;
			s.cr3 = X86_PML4_ADDR;
			s.cr4 = CR4_PAE;
			s.efer = EFER_LME | EFER_LMA;
		}
	}
	if (ioctl(fd, KVM_SET_SREGS, &s) < 0)
		return -errno;
	memset(&r, 0, sizeof(r));
	r.rflags = 0x2;
	r.rip = e->rip;
	r.rsp = e->rsp;
	r.rax = e->rax;
	r.rbx = e->rbx;
	r.rsi = e->rsi;
	return ioctl(fd, KVM_SET_REGS, &r) < 0 ? -errno : 0;
}

static void dump_seg(FILE *f, const char *n, const struct kvm_segment *s)
{
	fprintf(f, "  %-3s sel=%04x base=%016llx limit=%08x type=%x p=%u dpl=%u db=%u l=%u g=%u\n",
		n, s->selector, (unsigned long long)s->base, s->limit, s->type, s->present, s->dpl,
		s->db, s->l, s->g);
}

void cpu_x86_dump(struct vcpu *v, FILE *f)
{
	int fd = kvm_vcpu_of(v)->fd;
	struct kvm_regs r;
	struct kvm_sregs s;

	fprintf(f, "vCPU %u registers:\n", v->id);
	if (ioctl(fd, KVM_GET_REGS, &r) == 0) {
		fprintf(f, "  rip=%016llx rsp=%016llx rflags=%016llx\n", r.rip, r.rsp, r.rflags);
		fprintf(f, "  rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n", r.rax, r.rbx,
			r.rcx, r.rdx);
		fprintf(f, "  rsi=%016llx rdi=%016llx rbp=%016llx r8 =%016llx\n", r.rsi, r.rdi,
			r.rbp, r.r8);
		fprintf(f, "  r9 =%016llx r10=%016llx r11=%016llx r12=%016llx\n", r.r9, r.r10,
			r.r11, r.r12);
		fprintf(f, "  r13=%016llx r14=%016llx r15=%016llx\n", r.r13, r.r14, r.r15);
	}
	if (ioctl(fd, KVM_GET_SREGS, &s) == 0) {
		fprintf(f, "  cr0=%016llx cr2=%016llx cr3=%016llx cr4=%016llx efer=%llx\n", s.cr0,
			s.cr2, s.cr3, s.cr4, s.efer);
		dump_seg(f, "cs", &s.cs);
		dump_seg(f, "ss", &s.ss);
		dump_seg(f, "ds", &s.ds);
		dump_seg(f, "tr", &s.tr);
		fprintf(f, "  gdt=%016llx/%04x idt=%016llx/%04x\n", s.gdt.base, s.gdt.limit,
			s.idt.base, s.idt.limit);
	}
	fflush(f);
}
