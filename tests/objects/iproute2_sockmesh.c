// SPDX-License-Identifier: GPL-2.0
/*
 * Service-mesh style sockops + sk_msg object with iproute2 map definitions
 * (struct bpf_elf_map in the `maps` section, PIN_GLOBAL_NS and PIN_OBJECT_NS) and the
 * loose section names older loaders accepted (`sockops`, `sk_msg3`). No BTF-defined maps.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define PIN_NONE 0
#define PIN_OBJECT_NS 1
#define PIN_GLOBAL_NS 2

struct bpf_elf_map {
	__u32 type;
	__u32 size_key;
	__u32 size_value;
	__u32 max_elem;
	__u32 flags;
	__u32 id;
	__u32 pinning;
	__u32 inner_id;
	__u32 inner_idx;
};

struct sock_key {
	__u32 sip4;
	__u32 dip4;
	__u32 sport;
	__u32 dport;
};

struct bpf_elf_map __attribute__((section("maps"), used)) mesh_sock_map = {
	.type = BPF_MAP_TYPE_SOCKHASH,
	.size_key = sizeof(struct sock_key),
	.size_value = sizeof(__u32),
	.max_elem = 1024,
	.pinning = PIN_GLOBAL_NS,
};

struct bpf_elf_map __attribute__((section("maps"), used)) mesh_counts = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u64),
	.max_elem = 4,
	.pinning = PIN_OBJECT_NS,
};

static __always_inline void count(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&mesh_counts, &slot);
	if (v)
		__sync_fetch_and_add(v, 1);
}

__attribute__((section("sockops"), used))
int mesh_sockops(struct bpf_sock_ops *skops)
{
	struct sock_key key = {};

	if (skops->family != 2 /* AF_INET */)
		return 0;
	if (skops->op != BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB &&
	    skops->op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB)
		return 0;
	key.sip4 = skops->local_ip4;
	key.dip4 = skops->remote_ip4;
	key.sport = skops->local_port;
	key.dport = bpf_ntohl(skops->remote_port);
	bpf_sock_hash_update(skops, &mesh_sock_map, &key, BPF_NOEXIST);
	count(0);
	return 0;
}

__attribute__((section("sk_msg3"), used))
int mesh_redir(struct sk_msg_md *msg)
{
	struct sock_key key = {};

	count(1);
	/* Redirect only traffic to port 1 (never used by the tests): everything else passes. */
	if (msg->remote_port != bpf_htonl(1))
		return SK_PASS;
	key.sip4 = msg->remote_ip4;
	key.dip4 = msg->local_ip4;
	key.dport = msg->local_port;
	key.sport = bpf_ntohl(msg->remote_port);
	return bpf_msg_redirect_hash(msg, &mesh_sock_map, &key, BPF_F_INGRESS);
}

char _license[] __attribute__((section("license"), used)) = "GPL";
