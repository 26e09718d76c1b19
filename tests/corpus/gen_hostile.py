#!/usr/bin/env python3
"""Generates tests/corpus/hostile/: malformed or hostile BPF objects, each a small mutation of
the committed bpf-prog/bpf_sockops.o (or, for names an in-place patch cannot make, a tiny C
source compiled with clang). The files are committed; the e2e test
tests/e2e/reliability_corpus.rs runs `rawbpf inspect` and `rawbpf load --no-attach` on every
one of them and expects exit 5 (invalid object), never a panic (101) or a signal, under a
256 MiB address-space limit.

Usage: tests/corpus/gen_hostile.py   (rewrites tests/corpus/hostile/*.o)
Each output's name says what is wrong with it; tests/corpus/README.md lists them.
"""

import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SRC = os.path.join(ROOT, "bpf-prog", "bpf_sockops.o")
OUT = os.path.join(HERE, "hostile")

BASE = open(SRC, "rb").read()

# ---------------------------------------------------------------- ELF helpers


class Elf:
    def __init__(self, data):
        self.d = bytearray(data)
        self.shoff = struct.unpack_from("<Q", self.d, 0x28)[0]
        self.shentsize, self.shnum, self.shstrndx = struct.unpack_from("<HHH", self.d, 0x3A)

    def sh(self, i):
        """(name, type, flags, addr, offset, size, link, info, align, entsize)"""
        return list(struct.unpack_from("<IIQQQQIIQQ", self.d, self.shoff + i * 64))

    def set_sh(self, i, fields):
        struct.pack_into("<IIQQQQIIQQ", self.d, self.shoff + i * 64, *fields)

    def name(self, i):
        strtab = self.sh(self.shstrndx)
        o = strtab[4] + self.sh(i)[0]
        return bytes(self.d[o : self.d.index(b"\0", o)]).decode()

    def find(self, name):
        for i in range(self.shnum):
            if self.name(i) == name:
                return i
        raise KeyError(name)

    def data_off(self, name):
        s = self.sh(self.find(name))
        return s[4], s[5]


def patch_section_field(data, section, field, value):
    """field: index into the section header tuple (4 = offset, 5 = size, 1 = type)."""
    e = Elf(data)
    i = e.find(section)
    s = e.sh(i)
    s[field] = value
    e.set_sh(i, s)
    return bytes(e.d)


# ---------------------------------------------------------------- BTF helpers

def btf_types(data):
    """[(id, offset of the type record in the file, kind, vlen)] of the .BTF section."""
    e = Elf(data)
    off, _ = e.data_off(".BTF")
    magic, ver, flags, hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from(
        "<HBBIIIII", e.d, off
    )
    assert magic == 0xEB9F
    p = off + hdr_len + type_off
    end = p + type_len
    out = []
    tid = 1
    while p < end:
        name_off, info, size_type = struct.unpack_from("<III", e.d, p)
        kind = (info >> 24) & 0x1F
        vlen = info & 0xFFFF
        extra = 0
        if kind in (4, 5):  # struct, union
            extra = 12 * vlen
        elif kind in (6,):
            extra = 8 * vlen
        elif kind in (13,):
            extra = 8 * vlen
        elif kind in (15,):
            extra = 12 * vlen
        elif kind in (19,):
            extra = 12 * vlen
        elif kind in (1, 14, 17):
            extra = 4
        elif kind == 3:
            extra = 12
        out.append((tid, p, kind, vlen))
        p += 12 + extra
        tid += 1
    return out, off, hdr_len


def btf_header_field(data, index, value):
    """Sets header u32 field `index` (0 hdr_len, 1 type_off, 2 type_len, 3 str_off, 4 str_len)."""
    e = Elf(data)
    off, _ = e.data_off(".BTF")
    struct.pack_into("<I", e.d, off + 4 + 4 * index, value)
    return bytes(e.d)


def first_type(data, kind):
    types, _, _ = btf_types(data)
    return next(t for t in types if t[2] == kind)


def set_u32(data, at, value):
    b = bytearray(data)
    struct.pack_into("<I", b, at, value)
    return bytes(b)


# ---------------------------------------------------------------- names


def rename_everywhere(data, old, new):
    """Replaces the NUL-terminated string `old` by `new` (not longer) in every string table."""
    assert len(new) <= len(old)
    b = bytearray(data)
    needle = old.encode() + b"\0"
    repl = new.encode() + b"\0" * (len(old) - len(new) + 1)
    count = 0
    i = b.find(needle)
    while i >= 0:
        b[i : i + len(needle)] = repl
        count += 1
        i = b.find(needle, i + 1)
    assert count > 0, old
    return bytes(b)


def compile_c(source, out_name):
    inc = "/usr/include/%s-linux-gnu" % os.uname().machine
    src = os.path.join(OUT, "src", source)
    subprocess.run(
        [
            "clang", "-O2", "-g", "-target", "bpf", "-I" + inc, "-fno-ident",
            "-fdebug-prefix-map=%s=." % HERE, "-c", src, "-o", os.path.join(OUT, out_name),
        ],
        check=True,
    )


# ---------------------------------------------------------------- the corpus


def cases():
    d = BASE
    e = Elf(d)
    sockops_off, sockops_size = e.data_off("sockops")
    rel_off, rel_size = e.data_off(".relsockops")
    ext_off, _ = e.data_off(".BTF.ext")

    # Names that would leave the pin root or are not file names.
    yield "map_name_dotdot_slash.o", rename_everywhere(d, "sock_ops_map", "../x")
    yield "map_name_slash.o", rename_everywhere(d, "sock_ops_map", "a/b")
    yield "map_name_dot.o", rename_everywhere(d, "sock_ops_map", ".")
    yield "map_name_dotdot.o", rename_everywhere(d, "sock_ops_map", "..")
    yield "map_name_empty.o", rename_everywhere(d, "sock_ops_map", "")
    yield "prog_name_dotdot_slash.o", rename_everywhere(d, "bpf_add_to_sockhash", "../../x")
    yield "prog_name_slash.o", rename_everywhere(d, "bpf_add_to_sockhash", "a/b")
    yield "prog_name_dotdot.o", rename_everywhere(d, "bpf_add_to_sockhash", "..")

    # BTF with type cycles.
    tid, at, _, _ = first_type(d, 8)  # a typedef pointing at itself
    yield "btf_typedef_cycle.o", set_u32(d, at + 8, tid)
    types, _, _ = btf_types(d)
    st = next(t for t in types if t[2] == 4 and t[3] > 0)  # a struct containing itself
    yield "btf_struct_contains_itself.o", set_u32(d, st[1] + 12 + 4, st[0])
    # Two typedefs pointing at each other.
    tds = [t for t in types if t[2] == 8]
    if len(tds) >= 2:
        two = set_u32(d, tds[0][1] + 8, tds[1][0])
        yield "btf_typedef_cycle2.o", set_u32(two, tds[1][1] + 8, tds[0][0])

    # BTF counts and lengths past the end of the data.
    yield "btf_type_len_huge.o", btf_header_field(d, 2, 0x7FFF_FFF0)
    yield "btf_str_len_huge.o", btf_header_field(d, 4, 0xFFFF_FF00)
    yield "btf_str_off_past_end.o", btf_header_field(d, 3, 0x0100_0000)
    yield "btf_hdr_len_huge.o", btf_header_field(d, 0, 0xFFFF_FFF0)
    yield "btf_struct_vlen_huge.o", set_u32(
        d, st[1] + 4, (4 << 24) | 0xFFFF
    )  # a struct claiming 65535 members
    yield "btf_type_id_out_of_range.o", set_u32(d, tds[0][1] + 8, 0x00FF_FFFF)
    # String offsets out of range.
    yield "btf_name_off_out_of_range.o", set_u32(d, st[1], 0x00FF_FFFF)
    # .BTF.ext: a func_info record size of 0 and a count past the end.
    yield "btf_ext_func_info_len_huge.o", set_u32(d, ext_off + 12, 0x7FFF_FFF0)
    ext_hdr_len, func_info_off = struct.unpack_from("<II", d, ext_off + 4)
    yield "btf_ext_rec_size_zero.o", set_u32(d, ext_off + ext_hdr_len + func_info_off, 0)

    # Relocations: outside their section, not on an instruction, symbol index out of range.
    yield "reloc_offset_outside_section.o", set_u32(d, rel_off, sockops_size + 0x1000)
    yield "reloc_offset_not_on_insn.o", set_u32(d, rel_off, 4)
    yield "reloc_offset_not_ld_imm64.o", set_u32(d, rel_off, 0)
    b = bytearray(d)
    struct.pack_into("<I", b, rel_off + 12, 0xFFFF)  # r_info high half: symbol index
    yield "reloc_symbol_out_of_range.o", bytes(b)

    # Instruction section sizes that are not multiples of 8.
    yield "insn_section_size_not_multiple_of_8.o", patch_section_field(
        d, "sockops", 5, sockops_size - 4
    )

    # Headers claiming gigabytes.
    yield "section_size_gigabytes.o", patch_section_field(d, ".BTF", 5, 0x4000_0000)
    yield "section_offset_past_end.o", patch_section_field(d, ".BTF", 4, 0x1_0000_0000)
    yield "symtab_size_gigabytes.o", patch_section_field(d, ".symtab", 5, 0x8000_0000)
    yield "rel_size_gigabytes.o", patch_section_field(d, ".relsockops", 5, 0x4000_0000)
    b = bytearray(d)
    struct.pack_into("<H", b, 0x3C, 0xFFFF)  # e_shnum
    yield "elf_shnum_huge.o", bytes(b)
    b = bytearray(d)
    struct.pack_into("<Q", b, 0x28, 0xFFFF_FFFF_0000)  # e_shoff
    yield "elf_shoff_past_end.o", bytes(b)
    b = bytearray(d)
    struct.pack_into("<H", b, 0x3E, 0xFFF0)  # e_shstrndx
    yield "elf_shstrndx_out_of_range.o", bytes(b)

    # Not BPF at all.
    yield "truncated_half.o", d[: len(d) // 2]
    yield "truncated_header.o", d[:40]
    yield "empty.o", b""
    yield "text_file.o", b"this is not an ELF file\n" * 4
    b = bytearray(d)
    struct.pack_into("<H", b, 0x12, 62)  # e_machine = EM_X86_64
    yield "elf_x86_64_machine.o", bytes(b)
    b = bytearray(d)
    b[4] = 1  # ELFCLASS32
    yield "elf_class32.o", bytes(b)


def main():
    os.makedirs(OUT, exist_ok=True)
    names = []
    for name, data in cases():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        names.append(name)
    # Over-long names cannot be patched in place: compiled from source.
    compile_c("long_map_name.c", "map_name_too_long.o")
    compile_c("long_prog_name.c", "prog_name_too_long.o")
    names += ["map_name_too_long.o", "prog_name_too_long.o"]
    print("\n".join(sorted(names)))


if __name__ == "__main__":
    sys.exit(main())
