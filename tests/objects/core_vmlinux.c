// SPDX-License-Identifier: GPL-2.0
/*
 * libbpf-style CO-RE against vmlinux.h: every relocation kind clang 14 emits (field byte
 * offset/size/exists/signed/lshift/rshift, type id local/target, type exists/size, enum
 * value exists/value), `___flavour` structs, and guarded code that refers to a field and an
 * enum value the kernel does not have (poisoned instructions in dead branches). The
 * results land in a .bss array read after BPF_PROG_TEST_RUN.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/* A flavour of task_struct with a field no kernel has. */
struct task_struct___fake {
	int rawbpf_no_such_field;
	int pid;
} __attribute__((preserve_access_index));

/* An old spelling of a kernel struct: same essential name, fewer fields. */
struct sk_buff___old {
	unsigned int len;
	__u16 protocol;
} __attribute__((preserve_access_index));

enum bpf_map_type___x {
	BPF_MAP_TYPE_RINGBUF___x = 27,
	BPF_MAP_TYPE_RAWBPF_FAKE___x = 999,
};

enum rawbpf_no_such_enum { RAWBPF_NOPE = 1 };

__u64 out[24];

SEC("tc")
int core_probe(struct __sk_buff *skb)
{
	out[0] = bpf_core_field_offset(struct task_struct, pid);
	out[1] = bpf_core_field_size(struct task_struct, pid);
	out[2] = bpf_core_field_exists(struct task_struct, pid);
	out[3] = bpf_core_field_exists(struct task_struct___fake, rawbpf_no_such_field);
	out[4] = bpf_core_field_offset(struct task_struct___fake, pid);
	out[5] = bpf_core_field_offset(struct sk_buff___old, len);
	out[6] = __builtin_preserve_field_info(((struct task_struct *)0)->pid, BPF_FIELD_SIGNED);
	out[7] = bpf_core_type_exists(struct task_struct);
	out[8] = bpf_core_type_exists(struct task_struct___fake);
	out[9] = bpf_core_type_size(struct task_struct);
	out[10] = bpf_core_enum_value_exists(enum bpf_map_type___x, BPF_MAP_TYPE_RINGBUF___x);
	out[11] = bpf_core_enum_value(enum bpf_map_type___x, BPF_MAP_TYPE_RINGBUF___x);
	out[12] = bpf_core_enum_value_exists(enum bpf_map_type___x, BPF_MAP_TYPE_RAWBPF_FAKE___x);
	out[13] = bpf_core_type_id_kernel(struct task_struct);
	out[14] = bpf_core_type_id_local(struct task_struct) != 0;
	out[15] = bpf_core_type_exists(enum rawbpf_no_such_enum);
	out[16] = bpf_core_field_offset(struct sk_buff, cb);
	out[17] = bpf_core_field_size(struct sk_buff, cb);
	/* a bitfield: pkt_type is 3 bits in sk_buff */
	out[18] = __builtin_preserve_field_info(((struct sk_buff *)0)->pkt_type, BPF_FIELD_LSHIFT_U64);
	out[19] = __builtin_preserve_field_info(((struct sk_buff *)0)->pkt_type, BPF_FIELD_RSHIFT_U64);
	out[20] = __builtin_preserve_field_info(((struct sk_buff *)0)->pkt_type, BPF_FIELD_BYTE_OFFSET);
	out[21] = __builtin_preserve_field_info(((struct sk_buff *)0)->pkt_type, BPF_FIELD_BYTE_SIZE);

	/* Guarded uses of what does not exist: poisoned, but unreachable after relocation. */
	if (bpf_core_field_exists(struct task_struct___fake, rawbpf_no_such_field))
		out[22] = bpf_core_field_offset(struct task_struct___fake, rawbpf_no_such_field);
	if (bpf_core_enum_value_exists(enum bpf_map_type___x, BPF_MAP_TYPE_RAWBPF_FAKE___x))
		out[23] = bpf_core_enum_value(enum bpf_map_type___x, BPF_MAP_TYPE_RAWBPF_FAKE___x);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
