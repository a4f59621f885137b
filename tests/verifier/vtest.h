/* Shared pieces of the verifier tests: assemble a program, make its maps,
 * verify it with skep. */
#ifndef SKEP_TESTS_VERIFIER_VTEST_H
#define SKEP_TESTS_VERIFIER_VTEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "isa/isa.h"
#include "skep/maps.h"
#include "skep/skep.h"
#include "skep/verifier.h"

/* Maps by a short spec: "array:4:16:1 hash:4:8:16 ringbuf:0:0:4096 ...". */
struct vt_maps {
	struct skep_map *m[8];
	size_t n;
};

static inline int vt_maps_make(struct vt_maps *vm, const char *spec)
{
	char buf[256], *save = NULL;

	memset(vm, 0, sizeof(*vm));
	if (!spec || !*spec)
		return 0;
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *t = strtok_r(buf, " ", &save); t && vm->n < 8; t = strtok_r(NULL, " ", &save)) {
		char type[32];
		unsigned k, v, max, flags = 0;
		if (sscanf(t, "%31[a-z_]:%u:%u:%u:%u", type, &k, &v, &max, &flags) < 4)
			return -EINVAL;
		struct skep_map_attr a = {.sz = sizeof(a), .key_size = k, .value_size = v,
					  .max_entries = max, .flags = flags};
		if (!strcmp(type, "array"))
			a.type = BPF_MAP_TYPE_ARRAY;
		else if (!strcmp(type, "hash"))
			a.type = BPF_MAP_TYPE_HASH;
		else if (!strcmp(type, "ringbuf"))
			a.type = BPF_MAP_TYPE_RINGBUF;
		else if (!strcmp(type, "lockarray")) /* a bpf_spin_lock at offset 0 */
			a.type = BPF_MAP_TYPE_ARRAY, a.has_spin_lock = 1;
		else
			return -EINVAL;
		int err = skep_map_create(&a, &vm->m[vm->n]);
		if (err)
			return err;
		vm->n++;
	}
	return 0;
}

static inline void vt_maps_free(struct vt_maps *vm)
{
	for (size_t i = 0; i < vm->n; i++)
		skep_map_free(vm->m[i]);
	vm->n = 0;
}

/* Assemble conformance-dialect text: malloc'd slots or NULL (why in err). */
static inline struct skep_insn *vt_assemble(const char *text, size_t *len, char *err, size_t size)
{
	struct skep_log log = log_init(err, size);
	struct bpf_insn *out = NULL;

	if (isa_assemble(text, &out, len, &log))
		return NULL;
	return (struct skep_insn *)out;
}

#endif
