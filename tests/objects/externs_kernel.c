// SPDX-License-Identifier: GPL-2.0
/*
 * Externs: __kconfig values of the running kernel, a weak __kconfig that no kernel has,
 * a typeless and a typed __ksym variable, a kfunc call, and a weak kfunc that does not exist
 * (its call poisoned, its guard false). Values land in .bss, read after BPF_PROG_TEST_RUN.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern int CONFIG_HZ __kconfig;
extern bool CONFIG_BPF_SYSCALL __kconfig;
extern int CONFIG_RAWBPF_NOT_A_REAL_OPTION __kconfig __weak;
extern char CONFIG_DEFAULT_HOSTNAME[16] __kconfig __weak;

extern const void schedule __ksym;		/* typeless: an address */
extern const int init_task___typed_absent __ksym __weak;	/* typed, absent: 0 */
/* typed, known to BTF: its BTF id, or (weak) 0 when kallsyms has no address for it */
extern const struct rq runqueues __ksym __weak;

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;
extern void bpf_rawbpf_no_such_kfunc(void) __ksym __weak;

__u64 out[10];

SEC("tc")
int externs_probe(struct __sk_buff *skb)
{
	struct sk_buff *kskb;

	out[0] = LINUX_KERNEL_VERSION;
	out[1] = CONFIG_HZ;
	out[2] = CONFIG_BPF_SYSCALL;
	out[3] = CONFIG_RAWBPF_NOT_A_REAL_OPTION;
	out[8] = CONFIG_DEFAULT_HOSTNAME[0];	/* a string value */
	out[4] = (unsigned long)&schedule;
	out[5] = (unsigned long)&init_task___typed_absent;
	kskb = bpf_cast_to_kern_ctx(skb);
	out[6] = kskb != 0;
	if (bpf_rawbpf_no_such_kfunc) {
		bpf_rawbpf_no_such_kfunc();
		out[7] = 1;	/* never: the weak kfunc does not exist */
	}
	if (&runqueues)
		out[7] += 2;
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
