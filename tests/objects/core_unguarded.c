// SPDX-License-Identifier: GPL-2.0
/*
 * A CO-RE read of a field no kernel has, without a bpf_core_field_exists() guard: the
 * relocation is poisoned and the verifier refuses the program at the poisoned instruction.
 * rawbpf must name the relocation (struct task_struct___fake.rawbpf_no_such_field).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct___fake {
	int pid;
	int rawbpf_no_such_field;
} __attribute__((preserve_access_index));

SEC("socket")
int core_unguarded(struct __sk_buff *skb)
{
	return bpf_core_field_offset(struct task_struct___fake, rawbpf_no_such_field);
}

char LICENSE[] SEC("license") = "GPL";
