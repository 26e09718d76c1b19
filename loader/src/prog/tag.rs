//! The program tag as the kernel computes it (`bpf_prog_calc_tag` in `kernel/bpf/core.c`),
//! so that a reload can tell, without loading anything, whether the attached program has
//! the same instructions as the one it would load.
//!
//! The kernel hashes the instructions as user space passed them to `BPF_PROG_LOAD`, with the
//! map references taken out because fds are meaningless across processes: for each
//! `ld_imm64` whose `src_reg` is `BPF_PSEUDO_MAP_FD` or `BPF_PSEUDO_MAP_VALUE`, the `imm` of
//! the first slot is zeroed, and so is the `imm` of the second slot when that slot is the
//! plain pseudo instruction (code, registers and offset all 0). The tag is the first 8
//! bytes of a digest of the result: SHA-1 up to Linux 6.17, SHA-256 since 6.18 (found on
//! 6.18.44: the tags `BPF_OBJ_GET_INFO_BY_FD` reports are SHA-256 ones). [`matches`]
//! accepts either, so the check works on both sides of that change; a false match would
//! need a 64-bit collision. Because the second `imm` (a `.rodata` offset) and the map itself
//! are not hashed, equal tags do not prove equal map references; the caller checks those
//! separately (`crate::cmd::load::unchanged`).

use rawbpf_abi::Insn;

use crate::{prog::sha1, prog::sha256};

/// The instructions as the kernel hashes them: `insns` (encoded little-endian, 8 bytes per
/// instruction) with the map `imm`s zeroed.
fn hashed_form(insns: &[u8]) -> Vec<u8> {
    let mut buf = insns.to_vec();
    let mut was_ld_map = false;
    for slot in buf.as_chunks_mut::<{ Insn::SIZE }>().0 {
        let insn = Insn::from_le_bytes(*slot);
        // The second slot of an ld_imm64 is all zero but its imm.
        let plain_second = Insn { imm: 0, ..insn } == Insn::default();
        let zero_imm = if !was_ld_map && insn.is_ld_map_fd() {
            was_ld_map = true;
            true
        } else {
            let second = was_ld_map && plain_second;
            was_ld_map = false;
            second
        };
        if zero_imm {
            *slot = Insn { imm: 0, ..insn }.to_le_bytes();
        }
    }
    buf
}

fn first8(d: &[u8]) -> [u8; 8] {
    let mut out = [0u8; 8];
    out.copy_from_slice(&d[..8]);
    out
}

/// The SHA-1 tag (kernels before 6.18) of the encoded instructions `insns`.
pub fn tag_sha1(insns: &[u8]) -> [u8; 8] {
    first8(&sha1::digest(&hashed_form(insns)))
}

/// The SHA-256 tag (kernels since 6.18) of the encoded instructions `insns`.
pub fn tag_sha256(insns: &[u8]) -> [u8; 8] {
    first8(&sha256::digest(&hashed_form(insns)))
}

/// True when `tag` (from `BPF_OBJ_GET_INFO_BY_FD`) is the tag of `insns` by either rule.
pub fn matches(insns: &[u8], tag: &[u8; 8]) -> bool {
    tag_sha256(insns) == *tag || tag_sha1(insns) == *tag
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insn(code: u8, regs: u8, imm: i32) -> [u8; 8] {
        let i = imm.to_le_bytes();
        [code, regs, 0, 0, i[0], i[1], i[2], i[3]]
    }

    #[test]
    fn map_references_do_not_change_the_tag() {
        let prog = |fd: i32, off: i32| -> Vec<u8> {
            [
                insn(Insn::LD_IMM64, 0x11, fd),
                insn(0, 0, 0),
                insn(Insn::LD_IMM64, 0x21, fd + 1),
                insn(0, 0, off),
                insn(Insn::MOV64_IMM, 0x00, 0),
                insn(Insn::EXIT, 0, 0),
            ]
            .concat()
        };
        for tag in [tag_sha1, tag_sha256] {
            check(tag, &prog);
        }
    }

    fn check(tag: fn(&[u8]) -> [u8; 8], prog: &dyn Fn(i32, i32) -> Vec<u8>) {
        assert_eq!(tag(&prog(3, 0)), tag(&prog(17, 40)));
        // A plain ld_imm64 (src_reg 0) keeps its constant in the hash.
        let plain = |k: i32| {
            [
                insn(Insn::LD_IMM64, 0x01, k),
                insn(0, 0, k),
                insn(Insn::EXIT, 0, 0),
            ]
            .concat()
        };
        assert_ne!(tag(&plain(1)), tag(&plain(2)));
        // Any other change does.
        let mut other = prog(3, 0);
        other[32 + 4] = 1;
        assert_ne!(tag(&prog(3, 0)), tag(&other));
        assert!(matches(&prog(5, 8), &tag(&prog(3, 0))));
    }

    /// The tag Linux 6.18.44 reported (`BPF_OBJ_GET_INFO_BY_FD`) for `bpf_sockops.o`'s
    /// program: the rule and the digest are the kernel's.
    #[test]
    fn kernel_tag_of_the_sockops_program() {
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../bpf-prog/bpf_sockops.o"
        ))
        .unwrap();
        let obj = rawbpf_elf::Object::parse(&bytes).unwrap();
        let mut fds = crate::prog::relocate::Fds::default();
        fds.maps.insert("sock_ops_map".into(), 7);
        for s in &obj.data {
            fds.sections.insert(s.name.clone(), 8);
        }
        let insns = crate::prog::relocate::relocate(&obj.programs[0], &fds).unwrap();
        assert_eq!(crate::hex::encode(&tag_sha256(&insns)), "ebde15a3b506c110");
        assert!(matches(&insns, &tag_sha256(&insns)));
    }
}
