/* Locks that live inside a map's shared memory.
 *
 * A map region may be mapped by several processes, so its locks must work
 * across processes and survive a process that dies holding one: writers use
 * robust, process-shared mutexes (the next locker takes over a dead owner's
 * lock), one per cache line.  The lock inside a value (struct bpf_spin_lock,
 * taken by programs) is a 4-byte spin lock, as the kernel's.
 */
#ifndef SKEP_MAPS_MAP_LOCK_H
#define SKEP_MAPS_MAP_LOCK_H

#include <pthread.h>
#include <sched.h>
#include <errno.h>
#include <stdint.h>

struct map_mutex {
	pthread_mutex_t m;
} __attribute__((aligned(64)));

/* On fresh shared memory only; 0 or a negative errno. */
int map_mutex_init(struct map_mutex *mu);
void map_mutex_lock(struct map_mutex *mu);
void map_mutex_unlock(struct map_mutex *mu);

static inline void map_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* A struct bpf_spin_lock: 0 free, 1 held.  Spin briefly, then yield, since a
 * user-space holder can be descheduled. */
static inline void map_spin_lock(uint32_t *w)
{
	for (unsigned spins = 0;; spins++) {
		if (!__atomic_load_n(w, __ATOMIC_RELAXED) &&
		    !__atomic_exchange_n(w, 1, __ATOMIC_ACQUIRE))
			return;
		if (spins < 64)
			map_cpu_relax();
		else
			sched_yield();
	}
}

/* The same, giving up after `tries` attempts (about as many microseconds
 * once it yields): 0 when taken, -EDEADLK when not. */
static inline int map_spin_lock_bounded(uint32_t *w, unsigned long tries)
{
	for (unsigned long spins = 0; spins < tries; spins++) {
		if (!__atomic_load_n(w, __ATOMIC_RELAXED) &&
		    !__atomic_exchange_n(w, 1, __ATOMIC_ACQUIRE))
			return 0;
		if (spins < 64)
			map_cpu_relax();
		else
			sched_yield();
	}
	return -EDEADLK;
}

static inline void map_spin_unlock(uint32_t *w)
{
	__atomic_store_n(w, 0, __ATOMIC_RELEASE);
}

#endif
