// SPDX-License-Identifier: GPL-2.0
/*
 * Twins of one tool, as libbpf-tools ship them: a kprobe next to a socket filter, sharing
 * one map, and a map only the kprobe uses. The kprobe reads past its context (struct
 * pt_regs), so every verifier refuses it, whatever the kernel allows kprobes to do:
 * `load --skip-refused` loads the socket filter and reports the kprobe with the reason.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} twin_hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} kprobe_only SEC(".maps");

static void count(void *map)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(map, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("kprobe/do_nanosleep")
int twin_kprobe(void *ctx)
{
	count(&twin_hits);
	count(&kprobe_only);
	return *(volatile long *)((char *)ctx + 4096);
}

SEC("socket")
int twin_socket(struct __sk_buff *skb)
{
	count(&twin_hits);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
