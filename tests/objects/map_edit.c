// SPDX-License-Identifier: GPL-2.0
/*
 * Maps with BTF for `map lookup|update|delete` tests: a hash keyed by a flow struct (IPv4
 * fields named as the dump shows them dotted, host-order ports) with a struct value, and an
 * array of counters; both pinned by name. The sockops program only reads them.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct flow {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u32 proto;
};

struct stats {
	__u64 packets;
	__s32 delta;
	char tag[8];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct flow);
	__type(value, struct stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} knobs SEC(".maps");

SEC("sockops")
int edit_sockops(struct bpf_sock_ops *skops)
{
	struct flow f = { .saddr = skops->local_ip4, .daddr = skops->remote_ip4 };
	__u32 k = 0;
	__u64 *knob = bpf_map_lookup_elem(&knobs, &k);
	struct stats *s = bpf_map_lookup_elem(&flows, &f);

	if (knob && s)
		return (int)(*knob + s->packets) & 1;
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
