/* Threads of the process VM: clone(CLONE_THREAD) starts a host thread running another hart
 * over the same guest address space (the core's atomics and LR/SC work across host
 * threads), and the end of threads and of the whole process. */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "accel/emu/user/syscall.h"

#define G_SS_DISABLE 2

struct thread_start {
	struct uthread *t;
	uint64_t flags, ptid, ctid;
	sem_t ready;
	int tid;
};

void uproc_exit_process(struct uproc *p)
{
	/* With several threads the process must end all of them at once, wherever they are
	 * (running, or blocked in a host syscall): that is what the host's exit_group does,
	 * and the guest's exit_group means exactly that. */
	if (__atomic_load_n(&p->nthreads, __ATOMIC_ACQUIRE) > 1)
		syscall(SYS_exit_group, p->exit_code);
}

/* Called when a thread leaves its loop for good. */
static void thread_gone(struct uproc *p)
{
	__atomic_sub_fetch(&p->nthreads, 1, __ATOMIC_ACQ_REL);
	syscall(SYS_futex, &p->nthreads, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *thread_main(void *arg)
{
	struct thread_start *s = arg;
	struct uthread *t = s->t;
	struct uproc *p = t->proc;
	int32_t tid = gettid();

	t->tid = tid;
	uthread_set_current(t);
	if (s->flags & CLONE_PARENT_SETTID)
		uproc_write(p, s->ptid, &tid, sizeof(tid));
	if (s->flags & CLONE_CHILD_SETTID)
		uproc_write(p, s->ctid, &tid, sizeof(tid));
	s->tid = tid;
	sem_post(&s->ready); /* s lives on the parent's stack: not touched after this */

	uthread_loop(t);
	if (p->exited)
		uproc_exit_process(p);
	/* Only this thread is left (e.g. in a forked child) and it called exit: the process
	 * ends with its status. */
	if (p->exited || __atomic_load_n(&p->nthreads, __ATOMIC_ACQUIRE) == 1)
		syscall(SYS_exit_group, p->exit_code);
	hart_free(&t->hart);
	free(t);
	thread_gone(p);
	return NULL;
}

int64_t uproc_clone_thread(struct uproc *p, struct uthread *parent, const uint64_t *a)
{
	uint64_t flags = a[0];
	struct thread_start s = {.flags = flags, .ptid = a[2], .ctid = a[4]};
	pthread_attr_t attr;
	struct uthread *t;
	pthread_t th;
	int ret;

	if ((flags & (CLONE_VM | CLONE_SIGHAND | CLONE_THREAD)) !=
	    (CLONE_VM | CLONE_SIGHAND | CLONE_THREAD))
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -EAGAIN;
	t->proc = p;
	ret = hart_init(&t->hart, &p->plat, __atomic_load_n(&p->nthreads, __ATOMIC_RELAXED));
	if (ret) {
		free(t);
		return -EAGAIN;
	}
	hart_reset(&t->hart, PRV_U, parent->hart.pc); /* pc is already past the ECALL */
	memcpy(t->hart.x, parent->hart.x, sizeof(t->hart.x));
	memcpy(t->hart.f, parent->hart.f, sizeof(t->hart.f));
	t->hart.fflags = parent->hart.fflags;
	t->hart.frm = parent->hart.frm;
	t->hart.mstatus = parent->hart.mstatus;
	t->hart.mcounteren = parent->hart.mcounteren;
	t->hart.scounteren = parent->hart.scounteren;
	t->hart.x[10] = 0;
	if (a[1])
		t->hart.x[2] = a[1];
	if (flags & CLONE_SETTLS)
		t->hart.x[4] = a[3];
	t->hart_ready = true;
	t->sigmask = parent->sigmask;
	t->ss_flags = G_SS_DISABLE;
	if (flags & CLONE_CHILD_CLEARTID)
		t->clear_child_tid = a[4];
	s.t = t;
	sem_init(&s.ready, 0, 0);
	p->plat.nharts = 2; /* fences must now order memory between host threads */
	__atomic_add_fetch(&p->nthreads, 1, __ATOMIC_ACQ_REL);

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	ret = pthread_create(&th, &attr, thread_main, &s);
	pthread_attr_destroy(&attr);
	if (ret) {
		__atomic_sub_fetch(&p->nthreads, 1, __ATOMIC_ACQ_REL);
		hart_free(&t->hart);
		free(t);
		sem_destroy(&s.ready);
		return -EAGAIN;
	}
	while (sem_wait(&s.ready) && errno == EINTR)
		;
	sem_destroy(&s.ready);
	return s.tid;
}

int uproc_wait_threads(struct uproc *p)
{
	unsigned n;

	/* The main thread called exit while others run: Linux keeps the process alive. */
	while (!p->exited && (n = __atomic_load_n(&p->nthreads, __ATOMIC_ACQUIRE)) > 1)
		syscall(SYS_futex, &p->nthreads, FUTEX_WAIT_PRIVATE, n, NULL, NULL, 0);
	uproc_exit_process(p);
	return p->exit_code;
}

SYSCALL(exit)
{
	struct uthread *t = uthread_self(p);
	int32_t zero = 0;
	uint32_t *ctid;

	if (t->clear_child_tid && !uproc_write(p, t->clear_child_tid, &zero, sizeof(zero))) {
		ctid = uproc_ptr(p, t->clear_child_tid, sizeof(*ctid));
		syscall(SYS_futex, ctid, FUTEX_WAKE, 1, NULL, NULL, 0);
	}
	t->exited = true;
	t->no_ret = true;
	if (__atomic_load_n(&p->nthreads, __ATOMIC_ACQUIRE) == 1 || t == &p->main)
		p->exit_code = (int)(a[0] & 0xff);
	if (__atomic_load_n(&p->nthreads, __ATOMIC_ACQUIRE) == 1)
		p->exited = true;
	return 0;
}

SYSCALL(exit_group)
{
	struct uthread *t = uthread_self(p);

	p->exit_code = (int)(a[0] & 0xff);
	p->exited = true;
	t->no_ret = true;
	return 0;
}
