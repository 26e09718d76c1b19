// SPDX-License-Identifier: GPL-2.0
/*
 * sockops program: records every established IPv4 TCP socket in the
 * `sock_ops_map` SOCKHASH, keyed by its 4-tuple (see README.md for the key
 * layout and byte orders). The key extraction lives in a separate noinline
 * subprogram so the object exercises BPF-to-BPF calls, and the bpf_printk
 * format string lands in `.rodata` so the loader has global data to place.
 *
 * Build with -DNO_PIN to drop the LIBBPF_PIN_BY_NAME attribute from the map.
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
#ifndef NO_PIN
	__uint(pinning, LIBBPF_PIN_BY_NAME);
#endif
} sock_ops_map SEC(".maps");

/* Fills @key from the local/remote tuple of @skops. IPs stay in network byte
 * order; both ports are converted to host order. */
static __noinline void extract_key(struct bpf_sock_ops *skops,
				   struct sock_key *key)
{
	key->sip4 = skops->local_ip4;
	key->dip4 = skops->remote_ip4;
	key->sport = skops->local_port;
	key->dport = bpf_ntohl(skops->remote_port);
}

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

	extract_key(skops, &key);
	bpf_sock_hash_update(skops, &sock_ops_map, &key, BPF_NOEXIST);
	bpf_printk("sockops: op %d %x:%d", op, key.dip4, key.dport);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
