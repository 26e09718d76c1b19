// SPDX-License-Identifier: GPL-2.0
/*
 * Old kernel samples/selftests style: struct bpf_map_def of 20 and 28 bytes in `maps`,
 * a map in its own `maps/<name>` section, loose section names (`socket/2`, `socket1`),
 * several programs in one section, a `version` section. Socket filters: not attachable by
 * rawbpf, loaded with --no-attach implied.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def_20 {
	unsigned int type, key_size, value_size, max_entries, map_flags;
};

struct bpf_map_def_28 {
	unsigned int type, key_size, value_size, max_entries, map_flags;
	unsigned int inner_map_idx, numa_node;
};

struct bpf_map_def_20 __attribute__((section("maps"), used)) old_counts = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = 4,
	.value_size = 8,
	.max_entries = 8,
};

struct bpf_map_def_28 __attribute__((section("maps"), used)) old_hash = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = 4,
	.value_size = 4,
	.max_entries = 64,
	.map_flags = BPF_F_NO_PREALLOC,
};

struct bpf_map_def_20 __attribute__((section("maps/own_section"), used)) own_section = {
	.type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.key_size = 4,
	.value_size = 4,
	.max_entries = 2,
};

__attribute__((section("socket/2"), used))
int sock_first(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&old_counts, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}

__attribute__((section("socket/2"), used))
int sock_second(struct __sk_buff *skb)
{
	__u32 k = 1, one = 1;
	bpf_map_update_elem(&old_hash, &k, &one, BPF_ANY);
	return skb->len;
}

__attribute__((section("socket1"), used))
int sock_third(struct __sk_buff *skb)
{
	__u32 k = 1;
	__u32 *v = bpf_map_lookup_elem(&own_section, &k);
	return v ? *v : 0;
}

char _license[] __attribute__((section("license"), used)) = "GPL";
__u32 _version __attribute__((section("version"), used)) = 0x040e00;
