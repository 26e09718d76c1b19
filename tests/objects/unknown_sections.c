// SPDX-License-Identifier: GPL-2.0
/*
 * Functions in sections no rule types (`tc_ingress`, `program1`, `prog`) next to a socket
 * filter that calls a .text subprogram and reads .rodata, .bss and a map: `load` refuses
 * the object (exit 5) until each untyped function gets --prog-type NAME=TYPE, or --program
 * chooses; the legitimate non-program sections (.text, .rodata, .bss, .maps, license,
 * .BTF) never count as untyped.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} us_counts SEC(".maps");

const volatile __u32 us_limit = 64;
__u64 us_seen = 0;

static __attribute__((noinline)) int us_clamp(int len)
{
	return len > us_limit ? us_limit : len;
}

SEC("socket")
int us_socket(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&us_counts, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
	us_seen++;
	return us_clamp(skb->len);
}

SEC("tc_ingress")
int us_tc_ingress(struct __sk_buff *skb)
{
	return skb->len > 100 ? 2 : 0;
}

SEC("program1")
int us_program1(struct __sk_buff *skb)
{
	return us_clamp(skb->len);
}

SEC("prog")
int us_prog_a(struct __sk_buff *skb)
{
	return 0;
}

SEC("prog")
int us_prog_b(struct __sk_buff *skb)
{
	return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
