/* Reading bpf_conformance .data files (../shared/conformance/FORMAT.md §1)
 * and driving a plugin the way the reference runner does (§3). */
#include "conformance_file.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { SEC_NONE, SEC_ASM, SEC_RAW, SEC_MEM, SEC_RESULT, SEC_IGNORED, SEC_ERROR };

static int conf_header_kind(const char *line)
{
	if (strstr(line, "asm"))
		return SEC_ASM;
	if (strstr(line, "result"))
		return SEC_RESULT;
	if (strstr(line, "mem"))
		return SEC_MEM;
	if (strstr(line, "raw"))
		return SEC_RAW;
	if (strstr(line, "no register offset") || strstr(line, " c"))
		return SEC_IGNORED;
	if (strstr(line, "error"))
		return SEC_ERROR;
	return -1;
}

static int conf_append(char **buf, size_t *len, const char *s)
{
	size_t n = strlen(s);
	char *b = realloc(*buf, *len + n + 2);
	if (!b)
		return -ENOMEM;
	memcpy(b + *len, s, n);
	b[*len + n] = '\n';
	b[*len + n + 1] = '\0';
	*buf = b;
	*len += n + 1;
	return 0;
}

static int conf_is_blank(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return *s == '\0';
}

/* Collect raw slot integers and memory bytes. */
static void conf_parse_mem(struct conf_test *t, const char *line)
{
	const char *p = line;
	char *end;
	while (*p) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || !isxdigit((unsigned char)*p))
			return;
		unsigned long v = strtoul(p, &end, 16);
		if (t->mem_len < sizeof(t->mem))
			t->mem[t->mem_len++] = (uint8_t)v;
		p = end;
	}
}

static void conf_parse_raw(struct conf_test *t, const char *line)
{
	const char *p = line;
	char *end;
	while (*p) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			return;
		uint64_t v = strtoull(p, &end, 0);
		if (end == p)
			return;
		if (t->raw_len < CONF_MAX_RAW)
			t->raw[t->raw_len++] = v;
		p = end;
	}
}

static void conf_take_line(struct conf_test *t, int sec, char *line, char *result)
{
	switch (sec) {
	case SEC_ASM:
		conf_append(&t->asm_text, &t->asm_len, line);
		break;
	case SEC_RAW:
		t->has_raw = 1;
		conf_parse_raw(t, line);
		break;
	case SEC_MEM:
		conf_parse_mem(t, line);
		break;
	case SEC_RESULT:
		snprintf(result, 256, "%s", line);
		t->has_result = 1;
		break;
	case SEC_ERROR:
		t->has_error = 1;
		break;
	}
}

int conf_parse(const char *text, struct conf_test *t)
{
	char result[256] = "";
	char *copy = strdup(text), *save = NULL;
	int sec = SEC_NONE;

	memset(t, 0, sizeof(*t));
	if (!copy)
		return -ENOMEM;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		size_t n = strlen(line);
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		if (conf_is_blank(line))
			continue;
		if (strstr(line, "--")) {
			sec = conf_header_kind(line);
			if (sec < 0) {
				free(copy);
				return -EINVAL;
			}
			continue;
		}
		conf_take_line(t, sec, line, result);
	}
	free(copy);
	t->result = strtoull(result, NULL, strstr(result, "0x") || strstr(result, "0X") ? 16 : 10);
	return 0;
}

void conf_free(struct conf_test *t)
{
	free(t->asm_text);
	t->asm_text = NULL;
}

static char *conf_base16(const uint8_t *b, size_t n)
{
	char *s = malloc(n * 4 + 2); /* room for the newline the runner adds */
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		sprintf(s + 4 * i, "%02x  ", b[i]);
	s[n * 4] = '\0';
	return s;
}

/* Feed stdin and drain stdout together so neither pipe can fill and block. */
static int conf_exchange(int in_fd, int out_fd, const char *input, char *out, size_t out_size)
{
	size_t sent = 0, want = strlen(input), got = 0;
	struct pollfd fds[2] = {{in_fd, POLLOUT, 0}, {out_fd, POLLIN, 0}};

	while (fds[1].fd >= 0) {
		if (poll(fds, 2, 30000) <= 0)
			return -ETIMEDOUT;
		if (fds[0].fd >= 0 && fds[0].revents) {
			ssize_t w = write(in_fd, input + sent, want - sent);
			if (w > 0)
				sent += (size_t)w;
			if (w <= 0 || sent == want) {
				close(in_fd);
				fds[0].fd = -1;
			}
		}
		if (fds[1].revents) {
			char sink[256];
			char *dst = got + 1 < out_size ? out + got : sink;
			size_t room = got + 1 < out_size ? out_size - got - 1 : sizeof(sink);
			ssize_t r = read(out_fd, dst, room);
			if (r <= 0)
				fds[1].fd = -1;
			else if (dst == out + got)
				got += (size_t)r;
		}
	}
	if (fds[0].fd >= 0)
		close(in_fd);
	out[got] = '\0';
	return 0;
}

int conf_run_plugin(const char *plugin, char *const *options, const struct conf_test *t,
		    const uint8_t *prog, size_t prog_len, char *out, size_t out_size, int *status)
{
	int to_child[2], from_child[2];
	char *mem = t->mem_len ? conf_base16(t->mem, t->mem_len) : NULL;
	char *code = conf_base16(prog, prog_len);
	char *argv[16];
	int argc = 0, err;
	pid_t pid;

	argv[argc++] = (char *)plugin;
	if (mem)
		argv[argc++] = mem;
	for (int i = 0; options && options[i] && argc < 15; i++)
		argv[argc++] = options[i];
	argv[argc] = NULL;
	if (!code || pipe(to_child) || pipe(from_child)) {
		free(mem);
		free(code);
		return -errno;
	}
	signal(SIGPIPE, SIG_IGN);
	pid = fork();
	if (pid == 0) {
		dup2(to_child[0], 0);
		dup2(from_child[1], 1);
		dup2(from_child[1], 2);
		close(to_child[1]);
		close(from_child[0]);
		execv(plugin, argv);
		_exit(127);
	}
	close(to_child[0]);
	close(from_child[1]);
	strcat(code, "\n");
	err = pid < 0 ? -errno : conf_exchange(to_child[1], from_child[0], code, out, out_size);
	close(from_child[0]);
	if (pid > 0) {
		if (err)
			kill(pid, SIGKILL);
		waitpid(pid, status, 0);
	}
	free(mem);
	free(code);
	return err;
}
