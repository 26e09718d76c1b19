// SPDX-License-Identifier: GPL-2.0
/*
 * A raw tracepoint in the style of bcc libbpf-tools' syscount: every system call entry on
 * the machine (raw_tp/sys_enter) is counted in slot 0 of an array pinned by name. For the
 * persistent raw tracepoint attach tests (`load` attaches it through a pinned link).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rawtp_hits SEC(".maps");

SEC("raw_tp/sys_enter")
int rawtp_count(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&rawtp_hits, &key);

	if (n)
		__sync_fetch_and_add(n, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
