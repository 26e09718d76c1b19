// SPDX-License-Identifier: GPL-2.0
/*
 * libbpf-tools style BTF-enabled tracing programs, which the kernel loads only with the BTF
 * id of their attach point (`attach_btf_id`): tp_btf and iter (fentry/fexit/lsm, which need
 * BPF trampolines, are in tracing_fentry.c). None is attached by rawbpf (--no-attach implied); loading is the test.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

__u64 switches;

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	if (BPF_CORE_READ(next, pid) != 0)
		__sync_fetch_and_add(&switches, 1);
	return 0;
}

SEC("iter/task")
int dump_task(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;

	if (task)
		BPF_SEQ_PRINTF(ctx->meta->seq, "%d\n", task->pid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
