/* The BTF types of a pinned map, kept beside its pin as bpffs keeps them
 * with the map: `.NAME.btf` in the pin directory (a dot name, so listings
 * skip it) holds "SKEPBTF1", the key and value type ids (u32 each) and the
 * raw .BTF blob they index.  The maps stage only stores the bytes; what
 * they mean is libbpf's to read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skep/maps.h"

#define MAP_BTF_MAGIC "SKEPBTF1"
#define MAP_BTF_MAX (64u << 20)

static int map_btf_path(const char *name, char *path, size_t size)
{
	char dir[4096];
	int err = skep_pin_dir(dir, sizeof(dir));

	if (err)
		return err;
	if (!name[0] || name[0] == '.' || strchr(name, '/'))
		return -EINVAL;
	if ((size_t)snprintf(path, size, "%s/.%s.btf", dir, name) >= size)
		return -ENAMETOOLONG;
	return 0;
}

int skep_map_pin_btf(const char *name, const struct skep_map_btf *t)
{
	char path[4096], tmp[4200];
	uint32_t ids[2];
	FILE *f;
	int err = map_btf_path(name, path, sizeof(path)), bad;

	if (err)
		return err;
	if (!t || !t->btf || !t->btf_size || t->btf_size > MAP_BTF_MAX)
		return -EINVAL;
	ids[0] = t->key_type;
	ids[1] = t->value_type;
	/* written aside and renamed, so a reader never sees half a file */
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	f = fopen(tmp, "wb");
	if (!f)
		return -errno;
	bad = fwrite(MAP_BTF_MAGIC, 8, 1, f) != 1 || fwrite(ids, sizeof(ids), 1, f) != 1 ||
	      fwrite(t->btf, t->btf_size, 1, f) != 1;
	if (fclose(f) || bad || rename(tmp, path)) {
		unlink(tmp);
		return -EIO;
	}
	return 0;
}

int skep_map_pinned_btf(const char *name, struct skep_map_btf *t)
{
	char path[4096], head[16];
	long size;
	void *blob;
	FILE *f;
	int err = map_btf_path(name, path, sizeof(path));

	if (err)
		return err;
	f = fopen(path, "rb");
	if (!f)
		return -ENOENT;
	err = -EINVAL;
	if (fread(head, 16, 1, f) != 1 || memcmp(head, MAP_BTF_MAGIC, 8) || fseek(f, 0, SEEK_END) ||
	    (size = ftell(f)) <= 16 || size - 16 > (long)MAP_BTF_MAX || fseek(f, 16, SEEK_SET))
		goto out;
	blob = malloc((size_t)size - 16);
	if (!blob) {
		err = -ENOMEM;
		goto out;
	}
	if (fread(blob, (size_t)size - 16, 1, f) != 1) {
		free(blob);
		goto out;
	}
	memcpy(&t->key_type, head + 8, 4);
	memcpy(&t->value_type, head + 12, 4);
	t->btf = blob;
	t->btf_size = (size_t)size - 16;
	err = 0;
out:
	fclose(f);
	return err;
}

int map_btf_unpin(const char *name)
{
	char path[4096];

	if (map_btf_path(name, path, sizeof(path)))
		return 0;
	return unlink(path) && errno != ENOENT ? -errno : 0;
}
