// SPDX-License-Identifier: GPL-2.0
/*
 * fentry/fexit/lsm programs (attach_btf_id of a kernel function; BPF trampolines). The test
 * VM's kernel refuses them with EPERM and no verifier log (libbpf/bpftool fail the same way;
 * tracefs there refuses available_filter_functions too): the compat test accepts that
 * refusal and records it, and checks the load where the kernel allows trampolines.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

__u64 sleeps;

SEC("fentry/do_nanosleep")
int BPF_PROG(enter_sleep, struct hrtimer_sleeper *t, enum hrtimer_mode mode)
{
	__sync_fetch_and_add(&sleeps, 1);
	return 0;
}

SEC("fexit/do_nanosleep")
int BPF_PROG(exit_sleep, struct hrtimer_sleeper *t, enum hrtimer_mode mode, int ret)
{
	return 0;
}

SEC("lsm/file_open")
int BPF_PROG(check_open, struct file *file)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
