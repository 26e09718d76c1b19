// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's libbpf anchor: the least a libbpf user writes to load an object, built
 * statically against libbpf 1.7 by bench/libbpf-anchor.sh.
 *
 *   libbpf-loader OBJ [--pin-root DIR] [--cgroup CGROUP] [--btf FILE]
 *   libbpf-loader --version      (libbpf's version: v1.7)
 *
 * bpf_object__open_file + bpf_object__load (CO-RE against the kernel's BTF, maps created or
 * reused from their LIBBPF_PIN_BY_NAME pins under --pin-root). With --cgroup, the object's
 * sockops program is attached to that cgroup with BPF_PROG_ATTACH and BPF_F_ALLOW_MULTI (as
 * `rawbpf load` and `bpftool cgroup attach ... multi` do, so it outlives the process) and its
 * program ID is printed. --btf resolves CO-RE relocations against FILE instead of the
 * kernel's BTF (btf_custom_path). Exit 0 on success, 1 with libbpf's message on failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static int usage(void)
{
	fprintf(stderr, "usage: libbpf-loader OBJ [--pin-root DIR] [--cgroup CGROUP] [--btf FILE]\n");
	return 2;
}

static int attach_sockops(struct bpf_object *obj, const char *cgroup)
{
	struct bpf_program *prog, *found = NULL;
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int cg, err;

	bpf_object__for_each_program(prog, obj) {
		if (bpf_program__type(prog) == BPF_PROG_TYPE_SOCK_OPS) {
			found = prog;
			break;
		}
	}
	if (!found) {
		fprintf(stderr, "libbpf-loader: no sockops program to attach\n");
		return -1;
	}
	cg = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0) {
		fprintf(stderr, "libbpf-loader: open %s: %s\n", cgroup, strerror(errno));
		return -1;
	}
	err = bpf_prog_attach(bpf_program__fd(found), cg, BPF_CGROUP_SOCK_OPS, BPF_F_ALLOW_MULTI);
	close(cg);
	if (err) {
		fprintf(stderr, "libbpf-loader: attach to %s: %s\n", cgroup, strerror(-err));
		return -1;
	}
	memset(&info, 0, sizeof(info));
	err = bpf_prog_get_info_by_fd(bpf_program__fd(found), &info, &len);
	if (err) {
		fprintf(stderr, "libbpf-loader: program info: %s\n", strerror(-err));
		return -1;
	}
	printf("%u\n", info.id);
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = NULL, *pin_root = NULL, *cgroup = NULL, *btf = NULL;
	struct bpf_object *obj;
	int i, err;

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("%s\n", libbpf_version_string());
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pin-root") && i + 1 < argc)
			pin_root = argv[++i];
		else if (!strcmp(argv[i], "--cgroup") && i + 1 < argc)
			cgroup = argv[++i];
		else if (!strcmp(argv[i], "--btf") && i + 1 < argc)
			btf = argv[++i];
		else if (argv[i][0] != '-' && !path)
			path = argv[i];
		else
			return usage();
	}
	if (!path)
		return usage();

	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_root, .btf_custom_path = btf);
	obj = bpf_object__open_file(path, &opts);
	if (!obj) {
		fprintf(stderr, "libbpf-loader: open %s: %s\n", path, strerror(errno));
		return 1;
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "libbpf-loader: load %s: %s\n", path, strerror(-err));
		bpf_object__close(obj);
		return 1;
	}
	if (cgroup && attach_sockops(obj, cgroup)) {
		bpf_object__close(obj);
		return 1;
	}
	bpf_object__close(obj);
	return 0;
}
