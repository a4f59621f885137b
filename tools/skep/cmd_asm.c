/* PLACEHOLDER: skep asm / skep disasm being written. */
#include <stdio.h>
#include "cli.h"
int cmd_asm(int argc, char **argv) { (void)argc, (void)argv; fprintf(stderr, "not yet\n"); return CLI_USAGE; }
int cmd_disasm(int argc, char **argv) { (void)argc, (void)argv; fprintf(stderr, "not yet\n"); return CLI_USAGE; }
