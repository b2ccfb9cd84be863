#include "machine/machine.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "accel/accel.h"
#include "base/log.h"
#include "base/util.h"

int machine_init(struct machine *m, const struct vm_config *cfg, const struct accel_ops *accel)
{
	int e;

	/* No memset: m arrives zeroed (machine.h), and writing all of dev_stats' histograms would
	 * make ~200 KiB resident that a run touches a few pages of. */
	m->cfg = cfg;
	m->accel = accel;
	m->ncpus = cfg->cpus;
	pthread_mutex_init(&m->stop_lock, NULL);
	pthread_cond_init(&m->stop_cond, NULL);
	bus_init(&m->mmio, "mmio");
	bus_init(&m->pio, "pio");
	if (!m->ncpus || m->ncpus > MACHINE_MAX_CPUS)
		return -EINVAL;
	e = loop_init(&m->loop);
	if (e)
		return e;
	m->vcpus = calloc(m->ncpus, sizeof(*m->vcpus));
	if (!m->vcpus)
		return -ENOMEM;
	for (unsigned i = 0; i < m->ncpus; i++) {
		m->vcpus[i].m = m;
		m->vcpus[i].id = i;
	}
	return 0;
}

void machine_free(struct machine *m)
{
	loop_stop(&m->loop);
	chardev_close(&m->console);
	if (m->vcpus && m->accel && m->accel->vcpu_free) {
		for (unsigned i = 0; i < m->ncpus; i++)
			if (m->vcpus[i].priv)
				m->accel->vcpu_free(&m->vcpus[i]);
	}
	if (m->accel && m->accel->free && m->accel_priv)
		m->accel->free(m);
	for (unsigned i = 0; m->vcpus && i < m->ncpus; i++)
		free(m->vcpus[i].devstats);
	free(m->vcpus);
	m->vcpus = NULL;
	loop_free(&m->loop);
	bus_free(&m->mmio);
	bus_free(&m->pio);
	gmem_free(&m->mem);
}

void machine_request_stop(struct machine *m, enum stop_reason why, int status)
{
	pthread_mutex_lock(&m->stop_lock);
	if (m->stop_reason == STOP_NONE) {
		m->stop_reason = why;
		m->exit_status = status;
		__atomic_store_n(&m->state, MACHINE_STOPPED, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&m->stop_cond);
	}
	pthread_mutex_unlock(&m->stop_lock);
}

/* Under stop_lock: RUNNING <-> PAUSED; STOPPED is final (machine_request_stop()). */
static bool set_paused(struct machine *m, bool pause)
{
	int from = pause ? MACHINE_RUNNING : MACHINE_PAUSED;
	bool changed;

	pthread_mutex_lock(&m->stop_lock);
	changed = __atomic_load_n(&m->state, __ATOMIC_ACQUIRE) == from;
	if (changed) {
		__atomic_store_n(&m->state, pause ? MACHINE_PAUSED : MACHINE_RUNNING,
				 __ATOMIC_RELEASE);
		pthread_cond_broadcast(&m->stop_cond); /* parked vCPUs recheck */
	}
	pthread_mutex_unlock(&m->stop_lock);
	/* Out of the guest to park, or out of an accelerator's own wait to run again. */
	for (unsigned i = 0; changed && i < m->ncpus; i++)
		m->accel->vcpu_kick(&m->vcpus[i]);
	return changed;
}

bool machine_pause(struct machine *m)
{
	return set_paused(m, true);
}

bool machine_resume(struct machine *m)
{
	return set_paused(m, false);
}

void machine_vcpu_park(struct machine *m)
{
	pthread_mutex_lock(&m->stop_lock);
	while (machine_paused(m))
		pthread_cond_wait(&m->stop_cond, &m->stop_lock);
	pthread_mutex_unlock(&m->stop_lock);
}

void machine_boot_mark(struct machine *m)
{
	uint64_t t = launch_elapsed_ns();
	uint64_t zero = 0;

	if (__atomic_compare_exchange_n(&m->boot_mark_ns, &zero, t, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		log_msg(LOG_WARN, "boot marker: guest reached it %.3f ms after launch",
			(double)t / 1e6);
}

struct sig_watch {
	struct machine *m;
	int fd;
};

static void on_signalfd(void *opaque, uint32_t events)
{
	struct sig_watch *w = opaque;
	struct signalfd_siginfo si;
	(void)events;

	if (read(w->fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGUSR1) {
		if (machine_pause(w->m))
			log_msg(LOG_ERROR, "paused (SIGUSR1): the vCPUs wait, SIGUSR2 resumes");
		return;
	}
	if (si.ssi_signo == SIGUSR2) {
		if (machine_resume(w->m))
			log_msg(LOG_ERROR, "resumed (SIGUSR2)");
		return;
	}
	log_info("received signal %u, stopping the machine", si.ssi_signo);
	machine_request_stop(w->m, STOP_SIGNAL, 128 + (int)si.ssi_signo);
}

static void on_quit_key(void *opaque)
{
	machine_request_stop(opaque, STOP_SIGNAL, 0);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct machine *m = v->m;
	char name[16];

	snprintf(name, sizeof(name), "vcpu%u", v->id);
	pthread_setname_np(pthread_self(), name);
	if (m->accel->vcpu_run(v) < 0 && !machine_stopping(m))
		machine_request_stop(m, STOP_GUEST_ERROR, 1);
	return NULL;
}

int machine_run(struct machine *m)
{
	struct sig_watch sw = {.m = m, .fd = -1};
	sigset_t set, old;
	unsigned started = 0;
	int e = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1); /* pause */
	sigaddset(&set, SIGUSR2); /* resume */
	/* Blocked here, inherited by every thread we create; delivered through the signalfd. */
	pthread_sigmask(SIG_BLOCK, &set, &old);
	sw.fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sw.fd < 0 || loop_add_fd(&m->loop, sw.fd, EPOLLIN, on_signalfd, &sw) < 0) {
		e = -errno;
		goto out;
	}
	m->console.quit = on_quit_key;
	m->console.quit_opaque = m;
	chardev_attach(&m->console, &m->loop);
	e = loop_start(&m->loop);
	if (e)
		goto out;
	__atomic_store_n(&m->state, MACHINE_RUNNING, __ATOMIC_RELEASE);
	for (; started < m->ncpus; started++) {
		int pe = pthread_create(&m->vcpus[started].thread, NULL, vcpu_thread,
					&m->vcpus[started]);
		if (pe) {
			log_error("cannot start vCPU thread: %s", strerror(pe));
			machine_request_stop(m, STOP_GUEST_ERROR, 1);
			break;
		}
	}
	pthread_mutex_lock(&m->stop_lock);
	while (m->stop_reason == STOP_NONE)
		pthread_cond_wait(&m->stop_cond, &m->stop_lock);
	pthread_mutex_unlock(&m->stop_lock);
	for (unsigned i = 0; i < started; i++)
		m->accel->vcpu_kick(&m->vcpus[i]);
	for (unsigned i = 0; i < started; i++)
		pthread_join(m->vcpus[i].thread, NULL);
	loop_stop(&m->loop);
out:
	chardev_restore_tty(&m->console);
	if (sw.fd >= 0) {
		loop_del_fd(&m->loop, sw.fd);
		close(sw.fd);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (m->cfg->stats)
		machine_print_stats(m);
	return e ? e : m->exit_status;
}

void machine_print_stats(struct machine *m)
{
	struct stats_table *all = calloc(1, sizeof(*all));
	char title[96];

	if (!all)
		return;
	for (unsigned i = 0; i < m->ncpus; i++)
		stats_merge(all, &m->vcpus[i].stats);
	stats_merge(all, &m->dev_stats);
	snprintf(title, sizeof(title), "gasang exit statistics (accel %s, %u vCPU%s)",
		 m->accel->name, m->ncpus, m->ncpus == 1 ? "" : "s");
	fflush(stdout);
	stats_print(all, title, stderr);
	devstats_print(m->vcpus, m->ncpus, stderr);
	free(all);
}
