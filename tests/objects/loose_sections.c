// SPDX-License-Identifier: GPL-2.0
/*
 * Section names libbpf 1.x refuses but older loaders accepted: `sk_skb1`,
 * `sk/skb/parser/v1`, `sk/skb/verdict/v1`, `classifier_ingress`, and a section no rule
 * knows (`my_filter`), which loads only with --prog-type custom_filter=socket_filter.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} loose_sockmap SEC(".maps");

SEC("sk/skb/parser/v1")
int loose_parser(struct __sk_buff *skb)
{
	return skb->len;
}

SEC("sk/skb/verdict/v1")
int loose_verdict(struct __sk_buff *skb)
{
	return bpf_sk_redirect_map(skb, &loose_sockmap, 0, 0);
}

SEC("sk_skb1")
int loose_plain(struct __sk_buff *skb)
{
	return SK_PASS;
}

SEC("classifier_ingress")
int loose_cls(struct __sk_buff *skb)
{
	return skb->len > 10 ? 1 : 2;
}

SEC("my_filter")
int custom_filter(struct __sk_buff *skb)
{
	return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
