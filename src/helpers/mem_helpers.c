/* Helpers that read memory the program does not own: probe_read and its
 * _str forms (any address of this process, with fault safety: a bad address
 * gives -EFAULT, never a signal), and strncmp. */
#include <errno.h>
#include <string.h>

#include "helpers/helpers.h"

HELPER_FN(probe_read)
{
	void *dst = (void *)(uintptr_t)r1;
	int err;

	if (!helper_mem(cx, r1, r2, 1, "bpf_probe_read", "r1 (dst)"))
		return 0;
	err = helper_read_user(dst, r3, r2);
	if (err)
		memset(dst, 0, r2); /* as the kernel: no stale bytes on failure */
	return (uint64_t)(int64_t)err;
}

/* A string of at most size-1 bytes, NUL-terminated: the length with the NUL. */
HELPER_FN(probe_read_str)
{
	char *dst = (char *)(uintptr_t)r1;
	uint64_t size = r2, src = r3, done = 0;

	if (!helper_mem(cx, r1, r2, 1, "bpf_probe_read_str", "r1 (dst)"))
		return 0;
	if (!size)
		return 0;
	/* Page by page, so a string that ends just before unmapped memory reads. */
	while (done < size - 1) {
		uint64_t page_left = 4096 - ((src + done) & 4095), n = size - 1 - done;
		char *nul;
		if (n > page_left)
			n = page_left;
		if (helper_read_user(dst + done, src + done, n)) {
			memset(dst, 0, size);
			return (uint64_t)-EFAULT;
		}
		nul = memchr(dst + done, '\0', n);
		if (nul)
			return (uint64_t)(nul - dst) + 1;
		done += n;
	}
	dst[size - 1] = '\0';
	return size;
}

HELPER_FN(strncmp)
{
	const unsigned char *a = (const unsigned char *)(uintptr_t)r1;
	const unsigned char *b = (const unsigned char *)(uintptr_t)r3;

	if (!helper_mem(cx, r1, r2, 0, "bpf_strncmp", "r1 (s1)"))
		return 0;
	for (uint64_t i = 0; i < r2; i++) {
		if (!helper_mem(cx, r3 + i, 1, 0, "bpf_strncmp", "r3 (s2)"))
			return 0;
		if (a[i] != b[i])
			return a[i] < b[i] ? (uint64_t)-1 : 1;
		if (!a[i])
			return 0;
	}
	return 0;
}
