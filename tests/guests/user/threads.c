/* Threads under gasang exec: pthread_create/join, a mutex-protected counter, atomics, a
 * condition variable, thread-local storage, a signal sent to one thread, and exit from a
 * thread with others running. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NTHREADS 4
#define ITERS    20000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long counter;
static atomic_long acounter;
static int ready;
static __thread int tls_value;
static volatile sig_atomic_t usr1_tid;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_tid = (int)syscall(SYS_gettid);
}

static void *worker(void *arg)
{
	long id = (long)arg;

	tls_value = (int)id * 100;
	for (int i = 0; i < ITERS; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
		atomic_fetch_add(&acounter, 1);
	}
	return (void *)(long)(tls_value + (int)id);
}

static void *waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	while (!ready)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	return (void *)(long)syscall(SYS_gettid);
}

static void *sleeper(void *arg)
{
	int *tid = arg;

	*tid = (int)syscall(SYS_gettid);
	while (!usr1_tid)
		usleep(1000);
	return NULL;
}

static int block_fds[2];

static void *blocker(void *arg)
{
	char c;

	(void)arg;
	read(block_fds[0], &c, 1); /* never returns: nothing writes */
	return NULL;
}

static void *exiter(void *arg)
{
	(void)arg;
	usleep(20000);
	exit(5); /* exit_group from a thread while the others are blocked */
}

/* fork() from a second thread: the child has only that thread. */
static void *forker(void *arg)
{
	int status = -1;
	pid_t pid;

	(void)arg;
	pid = fork();
	if (pid == 0)
		_exit(11);
	waitpid(pid, &status, 0);
	return (void *)(long)WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	pthread_t th[NTHREADS], w, s;
	void *ret;
	long sum = 0;
	int sleeper_tid = 0;

	if (argc > 1 && !strcmp(argv[1], "exit-from-thread")) {
		pthread_t b, e;

		pipe(block_fds);
		pthread_create(&b, NULL, blocker, NULL);
		pthread_create(&e, NULL, exiter, NULL);
		pthread_join(b, NULL);
		return 1;
	}
	tls_value = 7;
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], &ret);
		sum += (long)ret;
	}
	printf("counter=%ld atomic=%ld joined_sum=%ld main_tls=%d\n", counter,
	       atomic_load(&acounter), sum, tls_value);

	pthread_create(&w, NULL, waiter, NULL);
	usleep(20000);
	pthread_mutex_lock(&lock);
	ready = 1;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	pthread_join(w, &ret);
	printf("cond: woke=%d distinct_tid=%d\n", ret != NULL, (long)ret != getpid());

	signal(SIGUSR1, on_usr1);
	pthread_create(&s, NULL, sleeper, &sleeper_tid);
	while (!sleeper_tid)
		usleep(1000);
	pthread_kill(s, SIGUSR1);
	pthread_join(s, NULL);
	printf("signal to thread: handled_on_target=%d\n", usr1_tid == sleeper_tid);
	pthread_create(&s, NULL, forker, NULL);
	pthread_join(s, &ret);
	printf("fork from thread: child status=%ld\n", (long)ret);
	fflush(stdout);
	return 3;
}
