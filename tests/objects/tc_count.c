// SPDX-License-Identifier: GPL-2.0
/*
 * tcx in the style of libbpf-bootstrap's tc example: every packet the interface receives is
 * counted in slot 0 of an array pinned by name, and passed on (TCX_PASS, TC_ACT_OK). For the
 * `load --iface` tests of tcx links (6.6+) on a veth pair in a network namespace.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tc_packets SEC(".maps");

SEC("tcx/ingress")
int tc_count(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&tc_packets, &key);

	if (n)
		__sync_fetch_and_add(n, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
