/* Robust, process-shared mutexes for the writers of a map (see map_lock.h). */
#include <errno.h>

#include "maps/map_lock.h"

int map_mutex_init(struct map_mutex *mu)
{
	pthread_mutexattr_t a;
	int err;

	if (pthread_mutexattr_init(&a))
		return -ENOMEM;
	err = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	if (!err)
		err = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	if (!err)
		err = pthread_mutex_init(&mu->m, &a);
	pthread_mutexattr_destroy(&a);
	return -err;
}

void map_mutex_lock(struct map_mutex *mu)
{
	/* A previous owner died holding the lock: the structure it protected is
	 * consistent (writers publish with one store at the end), so carry on. */
	if (pthread_mutex_lock(&mu->m) == EOWNERDEAD)
		pthread_mutex_consistent(&mu->m);
}

void map_mutex_unlock(struct map_mutex *mu)
{
	pthread_mutex_unlock(&mu->m);
}
