/* What the packet-hook tests share: the example objects, opened in skep
 * and (through libbpf) in the kernel, and running one packet in both as
 * BPF_PROG_TEST_RUN.  Header-only, like tests/cbpf/pktgen.h. */
#ifndef SKEP_TESTS_HOOKS_HOOKTEST_H
#define SKEP_TESTS_HOOKS_HOOKTEST_H

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skep/hooks.h"
#include "skep/maps.h"
#include "skep/object.h"
#include "skep/skep.h"

static inline const char *ht_build(void)
{
	return getenv("SKEP_BUILD") ? getenv("SKEP_BUILD") : "build";
}

/* One example program on both sides. */
struct ht_prog {
	struct skep_vm *vm;
	struct skep_object *sobj;
	struct skep_prog *sprog;
	struct bpf_object *kobj; /* NULL when the kernel is not used */
	int kfd;
	uint32_t type;
	uint32_t repeat; /* runs per test run on both sides (0: 1): each sees the last's packet */
};

static inline int ht_open(struct ht_prog *p, const char *example, const char *name,
			  int kernel, char *why, size_t why_size)
{
	char path[512], log[8192] = "";
	struct skep_object_opts oo = {.sz = sizeof(oo), .log_buf = log, .log_size = sizeof(log)};
	struct skep_load_opts lo = {.sz = sizeof(lo), .log_buf = log, .log_size = sizeof(log)};
	int idx, err;

	memset(p, 0, sizeof(*p));
	p->kfd = -1;
	snprintf(path, sizeof(path), "%s/examples/net/%s.bpf.o", ht_build(), example);
	p->vm = skep_vm_new();
	if ((err = skep_object_open_file(p->vm, path, &oo, &p->sobj))) {
		snprintf(why, why_size, "skep cannot open %s: %d %s", path, err, log);
		return err;
	}
	idx = skep_object_find_prog(p->sobj, name);
	if (idx < 0 || (err = skep_object_prog_load(p->sobj, (size_t)idx, &lo, &p->sprog))) {
		snprintf(why, why_size, "skep cannot load %s: %s", name, log);
		return -EINVAL;
	}
	p->type = skep_object_prog_type(p->sobj, (size_t)idx);
	if (!kernel)
		return 0;
	p->kobj = bpf_object__open_file(path, NULL);
	if (!p->kobj) {
		snprintf(why, why_size, "libbpf cannot open %s", path);
		return -EINVAL;
	}
	if ((err = bpf_object__load(p->kobj))) {
		snprintf(why, why_size, "the kernel refused %s: %d", path, err);
		bpf_object__close(p->kobj);
		p->kobj = NULL;
		return err;
	}
	p->kfd = bpf_program__fd(bpf_object__find_program_by_name(p->kobj, name));
	return 0;
}

static inline void ht_close(struct ht_prog *p)
{
	if (p->kobj)
		bpf_object__close(p->kobj);
	skep_object_free(p->sobj);
	skep_vm_free(p->vm);
}

/* Update a map by name on both sides. */
static inline int ht_map_update(struct ht_prog *p, const char *map, const void *key,
				const void *value)
{
	size_t n;
	int idx = skep_object_find_map(p->sobj, map), err;
	struct skep_map **maps = skep_object_maps(p->sobj, &n);

	if (idx < 0)
		return idx;
	if ((err = skep_map_update(maps[idx], key, value, BPF_ANY)))
		return err;
	if (p->kobj) {
		struct bpf_map *m = bpf_object__find_map_by_name(p->kobj, map);
		if (!m || bpf_map_update_elem(bpf_map__fd(m), key, value, BPF_ANY))
			return -errno;
	}
	return 0;
}

struct ht_out {
	int err;
	uint32_t retval;
	uint8_t data[16384];
	uint32_t len;
	uint8_t ctx[256];
	uint32_t ctx_len;
};

static inline void ht_run_skep(struct ht_prog *p, enum skep_exec_mode mode, const void *pkt,
			       uint32_t len, const void *ctx, uint32_t ctx_len, struct ht_out *o)
{
	char log[1024];
	struct skep_test_run_opts t = {
		.sz = sizeof(t), .prog_type = p->type, .data_in = pkt, .data_size_in = len,
		.data_out = o->data, .data_size_out = sizeof(o->data), .ctx_in = ctx,
		.ctx_size_in = ctx_len, .ctx_out = ctx ? o->ctx : NULL,
		.ctx_size_out = ctx ? sizeof(o->ctx) : 0, .mode = mode, .log_buf = log,
		.log_size = sizeof(log), .repeat = p->repeat ? p->repeat : 1,
	};

	o->err = skep_prog_test_run(p->sprog, &t);
	o->retval = t.retval;
	o->len = t.data_size_out;
	o->ctx_len = ctx ? t.ctx_size_out : 0;
}

static inline void ht_run_kernel(struct ht_prog *p, const void *pkt, uint32_t len,
				 const void *ctx, uint32_t ctx_len, struct ht_out *o)
{
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt, .data_size_in = len,
		    .data_out = o->data, .data_size_out = sizeof(o->data), .ctx_in = ctx,
		    .ctx_size_in = ctx_len, .ctx_out = ctx ? o->ctx : NULL,
		    .ctx_size_out = ctx ? sizeof(o->ctx) : 0, .repeat = p->repeat ? p->repeat : 1);

	o->err = bpf_prog_test_run_opts(p->kfd, &t) ? -errno : 0;
	o->retval = t.retval;
	o->len = t.data_size_out;
	o->ctx_len = ctx ? t.ctx_size_out : 0;
}

/* "" if the two agree, else what differs. */
static inline const char *ht_diff(const struct ht_out *a, const struct ht_out *b, char *buf,
				  size_t size)
{
	if (a->err != b->err) {
		snprintf(buf, size, "error %d vs kernel %d", a->err, b->err);
		return buf;
	}
	if (a->err)
		return "";
	if (a->retval != b->retval) {
		snprintf(buf, size, "retval %u vs kernel %u", a->retval, b->retval);
		return buf;
	}
	if (a->len != b->len) {
		snprintf(buf, size, "data_out %u bytes vs kernel %u", a->len, b->len);
		return buf;
	}
	for (uint32_t i = 0; i < a->len; i++)
		if (a->data[i] != b->data[i]) {
			snprintf(buf, size, "data_out byte %u: %02x vs kernel %02x", i, a->data[i],
				 b->data[i]);
			return buf;
		}
	if (a->ctx_len != b->ctx_len || memcmp(a->ctx, b->ctx, a->ctx_len)) {
		for (uint32_t i = 0; i < a->ctx_len; i++)
			if (a->ctx[i] != b->ctx[i]) {
				snprintf(buf, size, "ctx_out byte %u: %02x vs kernel %02x", i,
					 a->ctx[i], b->ctx[i]);
				return buf;
			}
		snprintf(buf, size, "ctx_out %u bytes vs kernel %u", a->ctx_len, b->ctx_len);
		return buf;
	}
	return "";
}

#endif
