#!/usr/bin/env python3
"""Writes a larger target BTF for the benchmark: the kernel's BTF followed by COPIES renamed
copies of all its types, so a CO-RE loader has more types to search and index while every
relocation still resolves to the original types (the copies' names are prefixed `cN_`, so
none of them is a candidate for an object's local type).

Usage: bench/gen-btf.py COPIES OUT [IN]   (IN default /sys/kernel/btf/vmlinux, raw BTF,
little endian). The original types keep their IDs; copy N's type i is i + N * types.
"""

import struct
import sys

# Kinds whose third word is a type ID (else a size, or 0 for FWD).
TYPE_REF = {2, 8, 9, 10, 11, 12, 13, 14, 17, 18}


def walk(types, n_bytes):
    """Yields (offset, kind, vlen) of each type record of a type section."""
    off = 0
    while off < n_bytes:
        _, info, _ = struct.unpack_from("<III", types, off)
        kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
        extra = {1: 4, 3: 12, 4: 12 * vlen, 5: 12 * vlen, 6: 8 * vlen, 13: 8 * vlen,
                 14: 4, 15: 12 * vlen, 17: 4, 19: 12 * vlen}.get(kind, 0)
        if kind == 0 or kind > 19:
            sys.exit(f"gen-btf.py: unknown BTF kind {kind} at type offset {off}")
        yield off, kind, vlen
        off += 12 + extra


def copy_types(types, recs, shift, name):
    """One copy of the type section with type IDs shifted and names mapped by name()."""
    out = bytearray(types)
    tid = lambda t: t + shift if t else 0
    for off, kind, vlen in recs:
        n, info, st = struct.unpack_from("<III", out, off)
        struct.pack_into("<III", out, off, name(n), info, tid(st) if kind in TYPE_REF else st)
        p = off + 12
        if kind == 3:  # array: elem type, index type, nelems
            e, i, c = struct.unpack_from("<III", out, p)
            struct.pack_into("<III", out, p, tid(e), tid(i), c)
        elif kind in (4, 5):  # members: name, type, offset
            for j in range(vlen):
                mn, mt, mo = struct.unpack_from("<III", out, p + 12 * j)
                struct.pack_into("<III", out, p + 12 * j, name(mn), tid(mt), mo)
        elif kind in (6, 19):  # enumerators: name, value(s)
            step = 8 if kind == 6 else 12
            for j in range(vlen):
                (en,) = struct.unpack_from("<I", out, p + step * j)
                struct.pack_into("<I", out, p + step * j, name(en))
        elif kind == 13:  # params: name, type
            for j in range(vlen):
                pn, pt = struct.unpack_from("<II", out, p + 8 * j)
                struct.pack_into("<II", out, p + 8 * j, name(pn), tid(pt))
        elif kind == 15:  # datasec vars: type, offset, size
            for j in range(vlen):
                vt, vo, vs = struct.unpack_from("<III", out, p + 12 * j)
                struct.pack_into("<III", out, p + 12 * j, tid(vt), vo, vs)
    return out


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    copies, out_path = int(sys.argv[1]), sys.argv[2]
    data = open(sys.argv[3] if len(sys.argv) == 4 else "/sys/kernel/btf/vmlinux", "rb").read()
    magic, ver, flags, hdr_len, t_off, t_len, s_off, s_len = struct.unpack_from("<HBBIIIII", data)
    if magic != 0xEB9F or ver != 1:
        sys.exit("gen-btf.py: not little-endian BTF version 1")
    types = data[hdr_len + t_off:hdr_len + t_off + t_len]
    strs = bytearray(data[hdr_len + s_off:hdr_len + s_off + s_len])
    recs = list(walk(types, len(types)))
    all_types = bytearray(types)
    for c in range(1, copies + 1):
        names = {}

        def name(off, c=c, names=names):
            if off == 0:
                return 0
            if off not in names:
                end = strs.index(b"\0", off)
                names[off] = len(strs)
                strs.extend(b"c%d_" % c + bytes(strs[off:end]) + b"\0")
            return names[off]

        all_types += copy_types(types, recs, c * len(recs), name)
    hdr = struct.pack("<HBBIIIII", magic, ver, flags, 24, 0, len(all_types), len(all_types), len(strs))
    with open(out_path, "wb") as f:
        f.write(hdr + all_types + strs)
    print(f"gen-btf.py: {out_path}: {len(recs) * (copies + 1)} types, "
          f"{24 + len(all_types) + len(strs)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
