// SPDX-License-Identifier: GPL-2.0
/*
 * An extern declared without __ksym (a common slip when porting kernel code): the object
 * has its BTF, which records the variable outside .ksyms and .kconfig, so neither rawbpf nor
 * libbpf can resolve it. The kernel does have a symbol of that name (`schedule`), which the
 * refusal says, with the declaration that would work; it must not say "build with clang -g".
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern const char schedule[];	/* meant: extern const void schedule __ksym; */

__u64 where;

SEC("socket")
int plain_extern(void *ctx)
{
	where = (unsigned long)schedule;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
