/* Where map regions live: anonymous shared memory, or a file under the pin
 * directory that every process maps (bpffs pins, in user space).
 *
 * A pinned file appears only complete: it is built under a temporary name
 * and linked into place, so a process opening it never sees a half-made map.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "maps/map.h"

int skep_pin_dir(char *buf, size_t size)
{
	const char *env = getenv("SKEP_PIN_DIR");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	if (env && *env)
		n = snprintf(buf, size, "%s", env);
	else if (xdg && *xdg)
		n = snprintf(buf, size, "%s/skep", xdg);
	else
		n = snprintf(buf, size, "/tmp/skep-%u", (unsigned)getuid());
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* The directory exists (made 0700 if it did not) and, unless the user chose
 * it, is ours: another user must not plant files in a default we trust. */
static int map_pin_dir_ready(const char *dir)
{
	const char *env = getenv("SKEP_PIN_DIR");
	struct stat st;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	if (lstat(dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (!(env && *env) && st.st_uid != getuid())
		return -EPERM;
	return 0;
}

static int map_pin_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (!n || n > 200 || name[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

static int map_pin_path(const char *name, char *path, size_t size, int make_dir)
{
	char dir[4096];
	int err = skep_pin_dir(dir, sizeof(dir));

	if (err)
		return err;
	if (!map_pin_name_ok(name))
		return -EINVAL;
	if (make_dir && (err = map_pin_dir_ready(dir)))
		return err;
	if ((size_t)snprintf(path, size, "%s/%s", dir, name) >= size)
		return -ENAMETOOLONG;
	return 0;
}

int map_region_anon(size_t size, uint8_t **base)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -ENOMEM;
	*base = p;
	return 0;
}

void map_region_free(uint8_t *base, size_t size)
{
	if (base)
		munmap(base, size);
}

static int map_write_all(int fd, const uint8_t *p, size_t n)
{
	for (size_t done = 0; done < n;) {
		ssize_t w = pwrite(fd, p + done, n - done, (off_t)done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		done += (size_t)w;
	}
	return 0;
}

/* Fill the new file: run init on a fresh mapping, or copy the bytes of the
 * existing mapping at *base and map the file over it (MAP_FIXED keeps every
 * pointer into the map valid). */
static int map_region_fill(int fd, size_t size, uint8_t **base, int fixed,
			   int (*init)(void *arg, uint8_t *base), void *arg)
{
	void *p;
	int err;

	if (ftruncate(fd, (off_t)size))
		return -errno;
	if (fixed && (err = map_write_all(fd, *base, size)))
		return err;
	p = mmap(fixed ? *base : NULL, size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | (fixed ? MAP_FIXED : 0), fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	if (!fixed && init && (err = init(arg, p))) {
		munmap(p, size);
		return err;
	}
	*base = p;
	return 0;
}

int map_region_pin(const char *name, size_t size, uint8_t **base, int fixed,
		   int (*init)(void *arg, uint8_t *base), void *arg)
{
	char path[4096], tmp[4200], *slash;
	uint8_t *p = fixed ? *base : NULL;
	int fd, err;

	err = map_pin_path(name, path, sizeof(path), 1);
	if (err)
		return err;
	/* A dot name, so listings skip it while it is being built. */
	slash = strrchr(path, '/');
	snprintf(tmp, sizeof(tmp), "%.*s/.%s.tmp-XXXXXX", (int)(slash - path), path, slash + 1);
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	err = map_region_fill(fd, size, &p, fixed, init, arg);
	if (!err && link(tmp, path))
		err = -errno;
	unlink(tmp);
	close(fd);
	if (err && !fixed && p)
		munmap(p, size);
	else if (!err)
		*base = p;
	return err;
}

int map_region_open(const char *name, uint8_t **base, size_t *size)
{
	char path[4096];
	struct stat st;
	void *p;
	int fd, err = map_pin_path(name, path, sizeof(path), 0);

	if (err)
		return err;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
	} else if (!S_ISREG(st.st_mode) || st.st_size < MAP_HDR_SIZE) {
		err = -EINVAL;
	} else {
		p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			err = -errno;
		} else {
			*base = p;
			*size = (size_t)st.st_size;
		}
	}
	close(fd);
	return err;
}

int skep_map_unpin(const char *name)
{
	char path[4096];
	int err = map_pin_path(name, path, sizeof(path), 0);

	if (err)
		return err;
	if (unlink(path))
		return -errno;
	return map_btf_unpin(name);
}

uint64_t map_random_seed(void)
{
	uint64_t seed;
	struct timespec ts;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == sizeof(seed))
		return seed;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid() << 32;
}

uint32_t skep_nr_cpus(void)
{
	char buf[256];
	FILE *f = fopen("/sys/devices/system/cpu/possible", "r");
	uint32_t n = 0;
	char *p = buf;

	if (f && fgets(buf, sizeof(buf), f)) {
		/* "0-3,8-11": count the CPUs of every range */
		while (*p >= '0' && *p <= '9') {
			unsigned long lo = strtoul(p, &p, 10), hi = lo;
			if (*p == '-')
				hi = strtoul(p + 1, &p, 10);
			if (hi >= lo)
				n += (uint32_t)(hi - lo + 1);
			if (*p == ',')
				p++;
		}
	}
	if (f)
		fclose(f);
	if (!n) {
		long c = sysconf(_SC_NPROCESSORS_CONF);
		n = c > 0 ? (uint32_t)c : 1;
	}
	return n < MAP_MAX_CPUS ? n : MAP_MAX_CPUS;
}
