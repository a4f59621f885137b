/* bpf_trace_printk and bpf_snprintf, and the formatting they share.
 *
 * The grammar is the kernel's (bpf_bprintf_prepare): %% and conversions
 * %[0+- ]*[width]{d,i,u,x,X} with an optional l or ll, %c, %s, and %p with
 * its variants (%px, %pK, %pks, %pus, %pI4, %pi4, %pI6, %pi6); anything else
 * is -EINVAL.  Without l an integer is 32 bits.  Strings and addresses behind
 * %s and %pI are read with fault safety: a bad pointer prints "(fault)".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "helpers/helpers.h"

#define PRINTK_LINE 1024  /* the kernel's BPF_TRACE_PRINTK_SIZE */
#define SNPRINTF_ARGS 12  /* MAX_BPRINTF_VARARGS */

struct fmt_out {
	char *buf;
	size_t size, len;
};

static void out_char(struct fmt_out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

/* s padded to width (right-aligned unless left, zeros if zero). */
static void out_field(struct fmt_out *o, const char *s, size_t n, int width, int left, int zero)
{
	int pad = width > (int)n ? width - (int)n : 0;
	int sign = zero && n && (s[0] == '-' || s[0] == '+' || s[0] == ' ');

	if (sign) {
		out_char(o, *s++);
		n--;
	}
	for (; !left && pad > 0; pad--)
		out_char(o, zero ? '0' : ' ');
	while (n--)
		out_char(o, *s++);
	for (; pad > 0; pad--)
		out_char(o, ' ');
}

static int fmt_pointer(char *tmp, size_t size, const char **f, uint64_t v)
{
	const char *p = *f;
	uint8_t ip[16];

	if ((p[0] == 'I' || p[0] == 'i') && (p[1] == '4' || p[1] == '6')) {
		int v6 = p[1] == '6', up = p[0] == 'I';
		size_t n = 0;
		*f += 2;
		if (helper_read_user(ip, v, v6 ? 16 : 4))
			return snprintf(tmp, size, "(fault)");
		for (int i = 0; i < (v6 ? 16 : 4); i++) {
			if (!v6)
				n += (size_t)snprintf(tmp + n, size - n, up ? "%s%u" : "%s%03u",
						      i ? "." : "", ip[i]);
			else
				n += (size_t)snprintf(tmp + n, size - n, "%s%02x",
						      up && i && i % 2 == 0 ? ":" : "", ip[i]);
		}
		return (int)n;
	}
	if (p[0] == 'x' || p[0] == 'K')
		*f += 1;
	return snprintf(tmp, size, "0x%llx", (unsigned long long)v);
}

static int fmt_string(struct fmt_out *o, uint64_t addr, int width, int left)
{
	char s[512];
	size_t n = 0;

	/* Byte by page-sized step: a string may end just before unmapped memory. */
	while (n < sizeof(s) - 1) {
		size_t step = 64 - ((addr + n) & 63);
		if (step > sizeof(s) - 1 - n)
			step = sizeof(s) - 1 - n;
		if (helper_read_user(s + n, addr + n, step)) {
			if (!n) {
				out_field(o, "(fault)", 7, width, left, 0);
				return 0;
			}
			break;
		}
		char *nul = memchr(s + n, '\0', step);
		if (nul) {
			n = (size_t)(nul - s);
			break;
		}
		n += step;
	}
	out_field(o, s, n, width, left, 0);
	return 0;
}

static int fmt_number(struct fmt_out *o, char conv, int longs, uint64_t v, int width, int left,
		      int zero, char plus)
{
	char tmp[32];
	int n;

	if (!longs)
		v = conv == 'd' || conv == 'i' ? (uint64_t)(int64_t)(int32_t)v : (uint32_t)v;
	switch (conv) {
	case 'd':
	case 'i':
		n = snprintf(tmp, sizeof(tmp), plus == '+' ? "%+lld" : plus == ' ' ? "% lld" : "%lld",
			     (long long)v);
		break;
	case 'u':
		n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
		break;
	case 'x':
		n = snprintf(tmp, sizeof(tmp), "%llx", (unsigned long long)v);
		break;
	case 'X':
		n = snprintf(tmp, sizeof(tmp), "%llX", (unsigned long long)v);
		break;
	default:
		return -EINVAL;
	}
	out_field(o, tmp, (size_t)n, width, left, zero && !left);
	return 0;
}

/* One conversion after the '%': advances *f and *arg. */
static int fmt_one(struct fmt_out *o, const char **f, const char *end, const uint64_t *args,
		   size_t nr_args, size_t *arg)
{
	const char *p = *f;
	int left = 0, zero = 0, width = 0, longs = 0, err = 0;
	char plus = 0, tmp[64];

	for (; p < end && strchr("0+- ", *p) && *p; p++) {
		left |= *p == '-';
		zero |= *p == '0';
		if (*p == '+' || (*p == ' ' && !plus))
			plus = *p;
	}
	while (p < end && *p >= '0' && *p <= '9' && width < 10000)
		width = width * 10 + (*p++ - '0');
	if (p < end && *p == 'l')
		longs++, p++;
	if (p < end && *p == 'l')
		longs++, p++;
	if (p >= end || !*p)
		return -EINVAL;
	if (*arg >= nr_args)
		return -EINVAL;
	switch (*p++) {
	case 'c':
		tmp[0] = (char)args[*arg];
		out_field(o, tmp, 1, width, left, 0);
		break;
	case 's':
		err = fmt_string(o, args[*arg], width, left);
		break;
	case 'p':
		if (p < end && (p[0] == 'k' || p[0] == 'u') && p[1] == 's') {
			p += 2;
			err = fmt_string(o, args[*arg], width, left);
			break;
		}
		out_field(o, tmp, (size_t)fmt_pointer(tmp, sizeof(tmp), &p, args[*arg]), width, left,
			  0);
		break;
	default:
		err = fmt_number(o, p[-1], longs, args[*arg], width, left, zero, plus);
		break;
	}
	(*arg)++;
	*f = p;
	return err;
}

int helper_format(char *out, size_t size, const char *fmt, size_t fmt_len, const uint64_t *args,
		  size_t nr_args)
{
	struct fmt_out o = {out, size, 0};
	const char *f = fmt, *end = fmt + fmt_len;
	size_t arg = 0;

	while (f < end && *f) {
		if (*f != '%') {
			out_char(&o, *f++);
			continue;
		}
		f++;
		if (f < end && *f == '%') {
			out_char(&o, *f++);
			continue;
		}
		if (fmt_one(&o, &f, end, args, nr_args, &arg)) {
			if (size)
				out[0] = '\0';
			return -EINVAL;
		}
	}
	if (size)
		out[o.len < size ? o.len : size - 1] = '\0';
	return o.len > (size_t)1 << 30 ? -E2BIG : (int)o.len;
}

/* The format string's length, NUL excluded, if it ends within size bytes. */
static int helper_fmt_len(struct skep_call_ctx *cx, uint64_t fmt, uint64_t size, const char *name)
{
	const char *nul;

	if (!helper_mem(cx, fmt, size, 0, name, "the format"))
		return -1;
	nul = memchr((const char *)(uintptr_t)fmt, '\0', size);
	return nul ? (int)(nul - (const char *)(uintptr_t)fmt) : -2;
}

/* trace_printk and trace_vprintk: format fmt (size bytes at most, NUL
 * included) with args into one trace line for the VM's trace sink. */
static uint64_t helper_trace_line(struct skep_call_ctx *cx, uint64_t fmt, uint64_t size,
				  const uint64_t *args, size_t nr, const char *name)
{
	char line[PRINTK_LINE];
	struct skep_vm *vm = cx->prog->vm;
	int n = helper_fmt_len(cx, fmt, size, name), len;

	if (n == -1)
		return 0;
	if (n < 0)
		return (uint64_t)-EINVAL;
	len = helper_format(line, sizeof(line), (const char *)(uintptr_t)fmt, (size_t)n, args, nr);
	if (len < 0)
		return (uint64_t)(int64_t)len;
	if (len >= (int)sizeof(line))
		len = sizeof(line) - 1;
	if (vm->trace)
		vm->trace(vm->trace_ctx, line, (size_t)len - (len && line[len - 1] == '\n'));
	return (uint64_t)len;
}

HELPER_FN(trace_printk)
{
	uint64_t args[3] = {r3, r4, r5};

	return helper_trace_line(cx, r1, r2, args, 3, "bpf_trace_printk");
}

HELPER_FN(snprintf)
{
	uint64_t args[SNPRINTF_ARGS];
	int n, len;

	if (!helper_mem(cx, r1, r2, 1, "bpf_snprintf", "r1 (str)") ||
	    !helper_mem(cx, r4, r5, 0, "bpf_snprintf", "r4 (data)"))
		return 0;
	if (r5 % 8 || r5 / 8 > SNPRINTF_ARGS || (r5 && !r4))
		return (uint64_t)-EINVAL;
	if (r5)
		memcpy(args, (const void *)(uintptr_t)r4, r5);
	/* The format sits in read-only map memory: find its NUL within 64 KiB. */
	n = -2;
	for (int i = 0; n == -2 && i < 65536; i++) {
		if (!helper_mem(cx, r3 + (uint64_t)i, 1, 0, "bpf_snprintf", "r3 (format)"))
			n = -1;
		else if (!((const char *)(uintptr_t)r3)[i])
			n = i;
	}
	if (n == -1)
		return 0;
	if (n < 0)
		return (uint64_t)-EINVAL;
	len = helper_format((char *)(uintptr_t)r1, r2, (const char *)(uintptr_t)r3, (size_t)n, args,
			    r5 / 8);
	return len < 0 ? (uint64_t)(int64_t)len : (uint64_t)len + 1;
}

/* bpf_trace_vprintk(fmt, fmt_size, data, data_len): trace_printk with its
 * arguments as an array of u64 (libbpf's bpf_printk with more than three),
 * up to the same 12 as bpf_snprintf. */
HELPER_FN(trace_vprintk)
{
	uint64_t args[SNPRINTF_ARGS];

	if (!helper_mem(cx, r3, r4, 0, "bpf_trace_vprintk", "r3 (data)"))
		return 0;
	if (r4 % 8 || r4 / 8 > SNPRINTF_ARGS || (r4 && !r3))
		return (uint64_t)-EINVAL;
	if (r4)
		memcpy(args, (const void *)(uintptr_t)r3, r4);
	return helper_trace_line(cx, r1, r2, args, r4 / 8, "bpf_trace_vprintk");
}
