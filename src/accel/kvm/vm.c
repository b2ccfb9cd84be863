/* The KVM virtual machine: /dev/kvm, the VM with its in-kernel irqchip and PIT, guest RAM as
 * memory slots, interrupt lines, ioeventfd/irqfd, and the accelerator ops table. */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "accel/kvm/kvm_int.h"
#include "base/log.h"

static int kvm_ioctl_retry(int fd, unsigned long req, unsigned long arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && (errno == EINTR || errno == EAGAIN));
	return r < 0 ? -errno : r;
}

/* CPUID rather than /proc/cpuinfo, whose flags are the same bits but which takes ~10 ms to
 * generate on some hosts. */
/* CPUID.1:ECX.VMX[5], CPUID.80000001h:ECX.SVM[2] */
bool kvm_host_has_hw_virt(void)
{
	unsigned a, b, c, d;

	if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 5)))
		return true;
	return __get_cpuid(0x80000001, &a, &b, &c, &d) && (c & (1u << 2));
}

static int vm_fetch_cpuid(struct kvm_vm *k)
{
	for (unsigned n = 128; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

		if (!c)
			return -ENOMEM;
		c->nent = n;
		if (ioctl(k->sys_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			k->cpuid = c;
			return 0;
		}
		free(c);
		if (errno != E2BIG)
			return -errno;
	}
	return -E2BIG;
}

static int vm_check_caps(struct kvm_vm *k)
{
	static const struct {
		int cap;
		const char *name;
	} need[] = {
	    {KVM_CAP_IRQCHIP, "IRQCHIP"},
	    {KVM_CAP_USER_MEMORY, "USER_MEMORY"},
	    {KVM_CAP_SET_TSS_ADDR, "SET_TSS_ADDR"},
	    {KVM_CAP_EXT_CPUID, "EXT_CPUID"},
	    {KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT"},
	    {KVM_CAP_PIT2, "PIT2"},
	    {KVM_CAP_IRQFD, "IRQFD"},
	    {KVM_CAP_IOEVENTFD, "IOEVENTFD"},
	};
	int r;

	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (ioctl(k->sys_fd, KVM_CHECK_EXTENSION, need[i].cap) <= 0) {
			log_error("kvm: this KVM lacks KVM_CAP_%s", need[i].name);
			return -ENOTSUP;
		}
	}
	r = ioctl(k->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (r <= 0)
		r = ioctl(k->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	k->max_vcpus = r > 0 ? (unsigned)r : 4;
	return 0;
}

static int vm_create_chips(struct kvm_vm *k)
{
	/* SPEAKER_DUMMY: port 0x61 (PIT channel 2 gate and output) in the kernel too. */
	struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
	uint64_t idmap = KVM_IDENTITY_MAP_ADDR;
	int r;

	r = kvm_ioctl_retry(k->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, (unsigned long)&idmap);
	if (r < 0 && r != -ENOTTY && r != -EINVAL)
		return r;
	r = kvm_ioctl_retry(k->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR);
	if (r < 0)
		return r;
	r = kvm_ioctl_retry(k->vm_fd, KVM_CREATE_IRQCHIP, 0);
	if (r < 0)
		return r;
	return kvm_ioctl_retry(k->vm_fd, KVM_CREATE_PIT2, (unsigned long)&pit);
}

static int vm_map_ram(struct machine *m, struct kvm_vm *k)
{
	for (int i = 0; i < m->mem.n; i++) {
		const struct gmem_region *g = &m->mem.r[i];
		struct kvm_userspace_memory_region r = {
		    .slot = (uint32_t)i,
		    .guest_phys_addr = g->gpa,
		    .memory_size = g->size,
		    .userspace_addr = (uint64_t)(uintptr_t)g->hva,
		};
		int e = kvm_ioctl_retry(k->vm_fd, KVM_SET_USER_MEMORY_REGION, (unsigned long)&r);

		if (e < 0) {
			log_error("kvm: cannot map %llu MiB of guest RAM: %s",
				  (unsigned long long)(g->size >> 20), strerror(-e));
			return e;
		}
	}
	return 0;
}

static void kvm_free(struct machine *m)
{
	struct kvm_vm *k = kvm_of(m);

	if (!k)
		return;
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	if (k->sys_fd >= 0)
		close(k->sys_fd);
	free(k->cpuid);
	free(k);
	m->accel_priv = NULL;
}

static int kvm_init(struct machine *m)
{
	struct kvm_vm *k = calloc(1, sizeof(*k));
	int r;

	if (!k)
		return -ENOMEM;
	k->sys_fd = k->vm_fd = -1;
	pthread_mutex_init(&k->msi_lock, NULL);
	m->accel_priv = k;
	k->sys_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (k->sys_fd < 0) {
		r = -errno;
		log_error("kvm: cannot open /dev/kvm: %s", strerror(errno));
		return r;
	}
	if (ioctl(k->sys_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		log_error("kvm: unsupported KVM API version");
		return -ENOTSUP;
	}
	r = kvm_ioctl_retry(k->sys_fd, KVM_CREATE_VM, 0);
	if (r < 0) {
		log_error("kvm: cannot create a VM: %s", strerror(-r));
		return r;
	}
	k->vm_fd = r;
	r = vm_check_caps(k);
	if (r)
		return r;
	if (m->ncpus > k->max_vcpus) {
		log_error("--cpus: %u exceeds this KVM's limit of %u vCPUs", m->ncpus,
			  k->max_vcpus);
		return -E2BIG;
	}
	k->run_size = ioctl(k->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (k->run_size <= 0) {
		log_error("kvm: KVM_GET_VCPU_MMAP_SIZE failed");
		return -EINVAL;
	}
	r = vm_fetch_cpuid(k);
	if (r) {
		log_error("kvm: KVM_GET_SUPPORTED_CPUID: %s", strerror(-r));
		return r;
	}
	r = vm_create_chips(k);
	if (r) {
		log_error("kvm: cannot create the in-kernel irqchip and PIT: %s", strerror(-r));
		return r;
	}
	return vm_map_ram(m, k);
}

void kvm_set_entry(struct machine *m, const struct x86_entry *e)
{
	struct kvm_vm *k = kvm_of(m);

	k->entry = *e;
	k->have_entry = true;
}

void kvm_set_hypercall(struct machine *m, uint16_t port, kvm_hypercall_fn fn)
{
	struct kvm_vm *k = kvm_of(m);

	k->hc_port = port;
	k->hc_fn = fn;
}

static void kvm_irq_set(struct machine *m, unsigned line, bool level)
{
	struct kvm_irq_level l = {.irq = line, .level = level ? 1 : 0};

	if (ioctl(kvm_of(m)->vm_fd, KVM_IRQ_LINE, &l) < 0)
		log_debug("kvm: KVM_IRQ_LINE %u: %s", line, strerror(errno));
}

static int kvm_ioeventfd(struct machine *m, uint64_t addr, unsigned len, bool pio, bool datamatch,
			 uint64_t data, int fd)
{
	struct kvm_ioeventfd io = {
	    .datamatch = data,
	    .addr = addr,
	    .len = len,
	    .fd = fd,
	    .flags =
		(pio ? KVM_IOEVENTFD_FLAG_PIO : 0) | (datamatch ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0),
	};

	int r = kvm_ioctl_retry(kvm_of(m)->vm_fd, KVM_IOEVENTFD, (unsigned long)&io);

	return r < 0 ? r : 0;
}

static int kvm_irqfd(struct machine *m, unsigned gsi, int fd)
{
	struct kvm_irqfd f = {.fd = (uint32_t)fd, .gsi = gsi};
	int r = kvm_ioctl_retry(kvm_of(m)->vm_fd, KVM_IRQFD, (unsigned long)&f);

	return r < 0 ? r : 0;
}

static int kvm_msi(struct machine *m, uint64_t addr, uint32_t data)
{
	struct kvm_msi msi = {.address_lo = (uint32_t)addr,
			      .address_hi = (uint32_t)(addr >> 32),
			      .data = data};
	int r = kvm_ioctl_retry(kvm_of(m)->vm_fd, KVM_SIGNAL_MSI, (unsigned long)&msi);

	/* 0: the interrupt was blocked (e.g. a masked LAPIC), still delivered as far as the
	 * device is concerned. */
	return r < 0 ? r : 0;
}

/* vcpu.c */
int kvm_vcpu_init(struct vcpu *v);
int kvm_vcpu_run(struct vcpu *v);
void kvm_vcpu_kick(struct vcpu *v);
void kvm_vcpu_dump(struct vcpu *v, FILE *f);
void kvm_vcpu_free(struct vcpu *v);

const struct accel_ops kvm_accel_ops = {
    .name = "kvm",
    .init = kvm_init,
    .vcpu_init = kvm_vcpu_init,
    .vcpu_run = kvm_vcpu_run,
    .vcpu_kick = kvm_vcpu_kick,
    .vcpu_dump = kvm_vcpu_dump,
    .vcpu_free = kvm_vcpu_free,
    .free = kvm_free,
    .ioeventfd = kvm_ioeventfd,
    .irqfd = kvm_irqfd,
    .msi = kvm_msi,
    .msi_route = kvm_msi_route,
};

/* The board installs this as m->irq_set. */
void kvm_irq_line(void *opaque, unsigned line, bool level)
{
	kvm_irq_set(opaque, line, level);
}
