// SPDX-License-Identifier: GPL-2.0
/* A program whose name (300 bytes) cannot fit an attach record's file name. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("sockops")
int pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp(struct bpf_sock_ops *skops)
{
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
