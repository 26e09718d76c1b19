#!/usr/bin/env python3
"""Cuts the BPF object a libbpf skeleton embeds out of a tool's binary.

A skeleton (`bpftool gen skeleton`) holds the object's bytes verbatim in the binary's
read-only data. This finds an ELF64 little-endian header with e_machine EM_BPF (247) past
the binary's own header and takes the object up to the end of its section header table (the
last thing a clang/bpftool-linked object holds).

Usage: extract-bpf-objects.py BINARY OUT.o
"""
import os
import struct
import sys

EM_BPF = 247


def bpf_objects(data):
    """Yields (offset, size) of each embedded ELF64 LE object for EM_BPF."""
    at = data.find(b"\x7fELF", 1)
    while at >= 0:
        head = data[at:at + 64]
        if len(head) == 64 and head[4] == 2 and head[5] == 1:
            (machine,) = struct.unpack_from("<H", head, 18)
            (shoff,) = struct.unpack_from("<Q", head, 40)
            shentsize, shnum = struct.unpack_from("<HH", head, 58)
            size = shoff + shentsize * shnum
            if machine == EM_BPF and shentsize == 64 and at + size <= len(data):
                yield at, size
        at = data.find(b"\x7fELF", at + 1)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    data = open(sys.argv[1], "rb").read()
    found = list(bpf_objects(data))
    if len(found) != 1:
        sys.exit(f"{sys.argv[1]}: {len(found)} embedded BPF objects, expected 1")
    at, size = found[0]
    with open(sys.argv[2] + ".tmp", "wb") as out:
        out.write(data[at:at + size])
    os.replace(sys.argv[2] + ".tmp", sys.argv[2])


if __name__ == "__main__":
    main()
