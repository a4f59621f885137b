/* The VM: the table of helpers programs may call, indexed by helper id. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

struct skep_vm *skep_vm_new(void)
{
	struct skep_vm *vm = calloc(1, sizeof(*vm));

	if (vm && helpers_register_builtin(vm)) {
		skep_vm_free(vm);
		return NULL;
	}
	return vm;
}

void skep_vm_free(struct skep_vm *vm)
{
	if (!vm)
		return;
	for (size_t i = 0; i < vm->nr_helpers; i++)
		free(vm->helpers[i].name);
	free(vm->helpers);
	free(vm);
}

static int vm_grow_helpers(struct skep_vm *vm, size_t want)
{
	size_t n = vm->nr_helpers ? vm->nr_helpers : 64;
	struct vm_helper *h;

	while (n < want)
		n *= 2;
	h = realloc(vm->helpers, n * sizeof(*h));
	if (!h)
		return -ENOMEM;
	memset(h + vm->nr_helpers, 0, (n - vm->nr_helpers) * sizeof(*h));
	vm->helpers = h;
	vm->nr_helpers = n;
	return 0;
}

int skep_vm_register_helper(struct skep_vm *vm, uint32_t id, const char *name, skep_helper_fn fn)
{
	char *copy;

	if (!vm || !fn || id > SKEP_MAX_HELPER_ID)
		return -EINVAL;
	if (id >= vm->nr_helpers && vm_grow_helpers(vm, (size_t)id + 1))
		return -ENOMEM;
	copy = strdup(name ? name : "");
	if (!copy)
		return -ENOMEM;
	free(vm->helpers[id].name);
	vm->helpers[id].fn = fn;
	vm->helpers[id].name = copy;
	return 0;
}

skep_helper_fn vm_helper_lookup(const struct skep_vm *vm, uint64_t id)
{
	return id < vm->nr_helpers ? vm->helpers[id].fn : NULL;
}

const char *skep_vm_helper_name(const struct skep_vm *vm, uint32_t id)
{
	return id < vm->nr_helpers && vm->helpers[id].fn ? vm->helpers[id].name : NULL;
}

void skep_vm_set_trace(struct skep_vm *vm, skep_trace_fn fn, void *ctx)
{
	if (!vm)
		return;
	vm->trace = fn;
	vm->trace_ctx = ctx;
}
