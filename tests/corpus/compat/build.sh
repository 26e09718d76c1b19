#!/usr/bin/env bash
# Rebuilds the compatibility fixtures of tests/corpus/compat/ (committed; the tests do not
# compile). Needs clang and libbpf-dev headers, like bpf-prog/build.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
INC="/usr/include/$(uname -m)-linux-gnu"
cc() { clang -O2 -g -target bpf -I"$INC" -fdebug-prefix-map="$PWD"=. -fno-ident "$@"; }
cc -c compat_layout.c -o compat_a.o
cc -DSWAP_FIELDS -c compat_layout.c -o compat_b_fields.o
cc -DENTRIES=2048 -c compat_layout.c -o compat_c_entries.o
cc -c compat_kinds.c -o compat_kinds.o
