/* What cmd_xdp.c (xdp run) and xdp_live.c (xdp attach) share. */
#ifndef SKEP_CMD_XDP_H
#define SKEP_CMD_XDP_H

#include "cli.h"

/* PROG as an XDP program, loaded: 0, or an exit code after a message. */
int xdp_open_prog(const char *spec, struct skep_vm *vm, struct cli_maps *maps,
		  struct cli_program *p, struct skep_prog **prog);
int xdp_apply_update(const struct cli_program *p, const char *spec);
int xdp_attach(int argc, char **argv);

#endif
