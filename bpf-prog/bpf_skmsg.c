// SPDX-License-Identifier: GPL-2.0
/*
 * sk_msg program: redirects each message sent on an IPv4 socket in
 * `sock_ops_map` to the ingress queue of its peer socket. The peer's key is the
 * reverse of the sender's tuple, built in the same layout bpf_sockops.c uses
 * (see README.md). Non-IPv4 messages, and messages whose peer is not in the map,
 * pass untouched through normal TCP.
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

SEC("sk_msg")
int bpf_redir(struct sk_msg_md *msg)
{
	struct sock_key key = {};

	if (msg->family != AF_INET)
		return SK_PASS;

	key.sip4 = msg->remote_ip4;
	key.dip4 = msg->local_ip4;
	key.sport = bpf_ntohl(msg->remote_port);
	key.dport = msg->local_port;
	/* SK_PASS either way: with the peer in the map the message goes to its ingress
	 * queue (the redirect is recorded on msg, and SK_PASS with a redirect set is a
	 * redirect); without it (a peer outside the cgroup, one already gone) the message
	 * takes normal TCP. Returning the helper's SK_DROP would fail that send with EPERM. */
	bpf_msg_redirect_hash(msg, &sock_ops_map, &key, BPF_F_INGRESS);
	return SK_PASS;
}

char LICENSE[] SEC("license") = "GPL";
