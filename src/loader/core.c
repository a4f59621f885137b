/* CO-RE relocations (placeholder until the resolver lands). */
#include <errno.h>

#include "loader/loader.h"

int core_relocate(struct skep_object *o, size_t sec, uint32_t start, uint32_t len,
		  struct skep_insn *insns)
{
	for (size_t i = 0; i < o->nr_core; i++)
		if (o->core[i].sec == sec && o->core[i].insn >= start &&
		    o->core[i].insn < start + len) {
			log_printf(o->log, "%s: section %s, insn %u: CO-RE relocations are not "
					   "supported yet", o->name, elf_sec_name(o, sec),
				   o->core[i].insn);
			return -EOPNOTSUPP;
		}
	return 0;
}
