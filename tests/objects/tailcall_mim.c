// SPDX-License-Identifier: GPL-2.0
/*
 * libbpf-style static initialisers: a prog array whose `values` point at a second
 * program (a tail call that runs under BPF_PROG_TEST_RUN), an array of maps with an inner
 * map template and `values`, a subprogram in a section of its own (not .text), a static
 * non-inlined function in the program's section, and a bpf_loop() callback
 * (BPF_PSEUDO_FUNC, which needs func_info).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = { [0] = &inner_a, [1] = &inner_b },
};

int tail_target(struct __sk_buff *skb);

/* Pinned: the kernel empties a prog array when its last user-space reference goes. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__type(key, __u32);
	__array(values, int (void *));
} jumps SEC(".maps") = {
	.values = { [2] = (void *)&tail_target },
};

__u64 hits[4];

__attribute__((section("rawbpf_subs"), noinline))
int add_twice(int x)
{
	return x + x;
}

static int loop_cb(__u32 i, void *ctx)
{
	__u64 *sum = ctx;
	*sum += i;
	return 0;
}

static __attribute__((noinline, section("tc"))) int bump(int slot)
{
	if (slot >= 0 && slot < 4)
		hits[slot] += 1;
	return slot;
}

SEC("tc")
int tail_target(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u64 *v;
	void *m = bpf_map_lookup_elem(&outer, &k);

	bump(1);
	if (m) {
		v = bpf_map_lookup_elem(m, &k);
		if (v)
			*v += 1;
	}
	return 42;
}

SEC("tc")
int entry(struct __sk_buff *skb)
{
	__u64 sum = 0;

	bump(0);
	bpf_loop(4, loop_cb, &sum, 0);	/* 0+1+2+3 */
	hits[2] = sum;
	hits[3] = add_twice(21);
	bpf_tail_call(skb, &jumps, 2);
	return 7;	/* only when the tail call failed */
}

char LICENSE[] SEC("license") = "GPL";
