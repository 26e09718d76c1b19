// SPDX-License-Identifier: GPL-2.0
/*
 * bpf-prog/bpf_sockops.c's program with a second sockops program beside it, on the same
 * pinned `sock_ops_map` (the same definition, so the two objects share the pin). Reloading
 * bpf_sockops.o after this object is a reload whose program set lost a program
 * (`bpf_count_established` was removed from the source); reloading a renamed
 * bpf_sockops.o after it is ambiguous (two old programs, one new).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define AF_INET 2

struct sock_key {
	__u32 sip4;
	__u32 dip4;
	__u32 sport;
	__u32 dport;
} __attribute__((packed));

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 65535);
	__type(key, struct sock_key);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sock_ops_map SEC(".maps");

SEC("sockops")
int bpf_add_to_sockhash(struct bpf_sock_ops *skops)
{
	struct sock_key key = {};
	__u32 op = skops->op;

	if (op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB &&
	    op != BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB)
		return 0;
	if (skops->family != AF_INET)
		return 0;
	key.sip4 = skops->local_ip4;
	key.dip4 = skops->remote_ip4;
	key.sport = skops->local_port;
	key.dport = bpf_ntohl(skops->remote_port);
	bpf_sock_hash_update(skops, &sock_ops_map, &key, BPF_NOEXIST);
	return 0;
}

/* Does nothing but run: the program the next version of the source drops. */
SEC("sockops")
int bpf_count_established(struct bpf_sock_ops *skops)
{
	return skops->op == BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB;
}

char LICENSE[] SEC("license") = "GPL";
