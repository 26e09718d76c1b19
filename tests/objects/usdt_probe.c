// SPDX-License-Identifier: GPL-2.0
/*
 * A USDT probe in the style of libbpf-bootstrap's usdt.bpf.c, built against libbpf's own
 * usdt.bpf.h: the header brings the spec maps __bpf_usdt_specs (array) and
 * __bpf_usdt_ip_to_spec_id (hash), both __weak, the kconfig extern LINUX_HAS_BPF_COOKIE
 * libbpf provides, and the __weak __hidden subprograms bpf_usdt_arg()/bpf_usdt_arg_cnt().
 * One program names its probe in the section (auto-attach), one is for manual attach;
 * both are uprobe-typed (BPF_PROG_TYPE_KPROBE). The other externs libbpf provides are read
 * into .bss so the test can check their values.
 */
#define __TARGET_ARCH_x86	/* bpf_tracing.h's pt_regs layout; libbpf-bootstrap passes -D */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern bool LINUX_HAS_SYSCALL_WRAPPER __kconfig;

int my_pid;
long seen_arg1;
__u64 provided[3];	/* LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE, LINUX_HAS_SYSCALL_WRAPPER */

SEC("usdt/libc.so.6:libc:setjmp")
int BPF_USDT(usdt_auto_attach, void *arg1, int arg2, void *arg3)
{
	if ((bpf_get_current_pid_tgid() >> 32) != my_pid)
		return 0;
	seen_arg1 = (long)arg1;
	return 0;
}

SEC("usdt")
int BPF_USDT(usdt_manual_attach, void *arg1, int arg2, void *arg3)
{
	long val = 0;

	provided[0] = LINUX_KERNEL_VERSION;
	provided[1] = LINUX_HAS_BPF_COOKIE;
	provided[2] = LINUX_HAS_SYSCALL_WRAPPER;
	if (bpf_usdt_arg_cnt(ctx) > 1 && bpf_usdt_arg(ctx, 1, &val) == 0)
		seen_arg1 = val;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
