/* Extern symbols for test_loader_externs: kconfig values of every kind the
 * loader fills, a weak option that is not set, and a kfunc skep does not
 * have (only the program calling it may fail).  -DSTRONG_MISSING adds a
 * strong extern without a value, which must fail the open. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern _Bool LINUX_HAS_BPF_COOKIE __kconfig;
extern enum libbpf_tristate CONFIG_SKEPTEST_MODULE __kconfig;
extern _Bool CONFIG_SKEPTEST_BOOL __kconfig;
extern unsigned long long CONFIG_SKEPTEST_NUMBER __kconfig;
extern char CONFIG_SKEPTEST_STRING[8] __kconfig;
extern _Bool CONFIG_SKEPTEST_UNSET __kconfig __weak;
#ifdef STRONG_MISSING
extern int CONFIG_SKEPTEST_MISSING __kconfig;
#endif
extern int bpf_skeptest_no_such_kfunc(void) __ksym __weak;

SEC("xdp")
int kconfig_values(struct xdp_md *ctx)
{
	if (!LINUX_HAS_BPF_COOKIE || !LINUX_KERNEL_VERSION || CONFIG_SKEPTEST_UNSET)
		return 1;
#ifdef STRONG_MISSING
	if (CONFIG_SKEPTEST_MISSING)
		return 1;
#endif
	/* module (2) * 100000 + bool (1) * 10000 + number (0x123) + 'k' */
	return CONFIG_SKEPTEST_MODULE * 100000 + CONFIG_SKEPTEST_BOOL * 10000 +
	       (int)CONFIG_SKEPTEST_NUMBER + CONFIG_SKEPTEST_STRING[1];
}

SEC("xdp")
int calls_kfunc(struct xdp_md *ctx)
{
	return bpf_skeptest_no_such_kfunc();
}

char _license[] SEC("license") = "GPL";
