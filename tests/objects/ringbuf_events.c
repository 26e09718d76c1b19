// SPDX-License-Identifier: GPL-2.0
/*
 * Go/Rust-ecosystem style (cilium/ebpf, aya): BTF-defined maps where the ring buffer and
 * the perf event array are declared with key/value *types* (the kernel wants sizes 0 and
 * 4/4), a perf event array with max_entries 0 (one slot per possible CPU), a kprobe that is
 * not attached by rawbpf (--no-attach implied) and a socket filter that emits events.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct event {
	__u32 pid;
	__u32 len;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct event);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__type(key, int);
	__type(value, __u32);
} perf_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

SEC("kprobe/do_nanosleep")
int on_nanosleep(void *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->len = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("socket")
int on_packet(struct __sk_buff *skb)
{
	struct event e = { .len = skb->len };
	__u32 k = skb->len;
	__u64 one = 1;

	bpf_map_update_elem(&seen, &k, &one, BPF_ANY);
	bpf_ringbuf_output(&events, &e, sizeof(e), 0);
	bpf_perf_event_output(skb, &perf_events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
