// SPDX-License-Identifier: GPL-2.0
/*
 * Deliberately broken sockops program for loader error-path tests. It shares
 * the name `bpf_add_to_sockhash` and the pinned `sock_ops_map` definition with
 * bpf_sockops.c, but reads a stack buffer at a context-derived, unbounded
 * index, which the verifier always rejects (invalid variable-offset stack
 * read), so loading it must fail.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

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
	volatile __u32 idx = skops->remote_port;

	key.sip4 = skops->local_ip4;
	key.dip4 = skops->remote_ip4;
	/* Out of bounds: idx is any 32-bit value, key is 16 bytes. */
	return ((__u8 *)&key)[idx];
}

char LICENSE[] SEC("license") = "GPL";
