/* Shared pieces of the skep command line: subcommand table, reading
 * programs from files, exit codes. */
#ifndef SKEP_CLI_H
#define SKEP_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "skep/skep.h"

/* Exit codes of every subcommand (ARCHITECTURE.md). */
enum { CLI_OK = 0, CLI_NEGATIVE = 1, CLI_USAGE = 2 };

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

int cmd_asm(int argc, char **argv);
int cmd_disasm(int argc, char **argv);
int cmd_test_run(int argc, char **argv);

/* Instructions of PROG: FILE.s (assembled), FILE.bin (raw slots).  Returns 0
 * or prints the reason to stderr and returns CLI_USAGE. *insns is malloc'd. */
int cli_read_program(const char *path, struct skep_insn **insns, size_t *len);
/* A whole file; NULL (with a message on stderr) on error. */
uint8_t *cli_read_file(const char *path, size_t *len);
/* Hex string of bytes, malloc'd. */
char *cli_hex(const uint8_t *data, size_t len);
/* Does `s` end with `suffix`? */
int cli_has_suffix(const char *s, const char *suffix);

#endif
