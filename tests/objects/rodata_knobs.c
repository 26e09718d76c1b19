// SPDX-License-Identifier: GPL-2.0
/*
 * Skeleton-style knobs: `const volatile` globals in .rodata that `rawbpf load --set`
 * rewrites before loading. The program returns a value computed from them.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 threshold = 5;
const volatile __s16 offset = -2;
const volatile _Bool enabled = 0;
const volatile char tag[8] = "dflt";

enum mode { MODE_OFF = 0, MODE_FAST = 3, MODE_SLOW = 9 };
const volatile enum mode mode = MODE_OFF;

SEC("tc")
int knobs(struct __sk_buff *skb)
{
	if (!enabled)
		return 0;
	return threshold * 100 + offset + mode * 1000 + (tag[0] == 'x' ? 10000 : 0);
}

char LICENSE[] SEC("license") = "GPL";
