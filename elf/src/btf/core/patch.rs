//! Patching (`bpf_core_patch_insn`): writes a computed value into the ALU immediate, the
//! load/store offset and size, or the `ld_imm64` it belongs to; or poisons the instruction.

use super::relocate::Res;
use super::{POISON_HELPER, R, fail};
use crate::Insn;
use rawbpf_abi::insn::{
    self as op, BPF_ALU, BPF_ALU64, BPF_B, BPF_DW, BPF_H, BPF_LD, BPF_LDX, BPF_ST, BPF_STX, BPF_W,
    BPF_X,
};

/// Bytes of a load/store size field.
fn size_bytes(code: u8) -> u32 {
    match op::size(code) {
        BPF_W => 4,
        BPF_H => 2,
        BPF_B => 1,
        _ => 8,
    }
}

fn size_code(bytes: u32) -> Option<u8> {
    Some(match bytes {
        4 => BPF_W,
        2 => BPF_H,
        1 => BPF_B,
        8 => BPF_DW,
        _ => return None,
    })
}

/// Turns an instruction into a call of the invalid helper (libbpf's poisoning).
fn poison(insn: &mut Insn) {
    *insn = Insn {
        code: Insn::CALL,
        dst_reg: 0,
        src_reg: 0,
        off: 0,
        imm: POISON_HELPER,
    };
}

/// Poisons the instruction at `at` and, when `insn` (its original) is an `ld_imm64`, the
/// second half too.
fn poison_at(insns: &mut [Insn], at: usize, insn: Insn) {
    if insn.is_ld_imm64()
        && let Some(next) = insns.get_mut(at + 1)
    {
        poison(next);
    }
    if let Some(i) = insns.get_mut(at) {
        poison(i);
    }
}

/// `bpf_core_patch_insn`: dispatches on the instruction class.
pub(super) fn patch(insns: &mut [Insn], at: usize, res: &Res) -> R<()> {
    let Some(&insn) = insns.get(at) else {
        return fail("instruction index past the end");
    };
    if res.poison {
        poison_at(insns, at, insn);
        return Ok(());
    }
    match op::class(insn.code) {
        // ALU / ALU64 with an immediate.
        BPF_ALU | BPF_ALU64 => patch_alu(insns, at, insn, res),
        BPF_LDX | BPF_ST | BPF_STX => patch_mem(insns, at, insn, res),
        // LD: only ld_imm64.
        BPF_LD => patch_ld_imm64(insns, at, insn, res),
        _ => fail(format!(
            "cannot relocate instruction with opcode {:#04x}",
            insn.code
        )),
    }
}

/// An ALU instruction's immediate becomes the new value.
fn patch_alu(insns: &mut [Insn], at: usize, insn: Insn, res: &Res) -> R<()> {
    if op::source(insn.code) == BPF_X {
        return fail("ALU instruction does not use an immediate");
    }
    if res.validate && i64::from(insn.imm) as u64 & 0xffff_ffff != res.orig & 0xffff_ffff {
        return fail(format!(
            "instruction holds {}, expected {}",
            insn.imm, res.orig
        ));
    }
    if let Some(i) = insns.get_mut(at) {
        i.imm = res.new as u32 as i32;
    }
    Ok(())
}

/// A load/store's offset becomes the new value, and its size field the new field size.
fn patch_mem(insns: &mut [Insn], at: usize, insn: Insn, res: &Res) -> R<()> {
    let new = res.new;
    if res.validate && i64::from(insn.off) as u64 != res.orig {
        return fail(format!(
            "instruction offset is {}, expected {}",
            insn.off, res.orig
        ));
    }
    if new > i16::MAX as u64 {
        return fail(format!("offset {new} does not fit a load/store"));
    }
    if res.fail_memsz_adjust {
        poison_at(insns, at, insn);
        return Ok(());
    }
    let mut code = insn.code;
    if res.new_sz != res.orig_sz {
        if size_bytes(insn.code) != res.orig_sz {
            return fail(format!(
                "load/store of {} bytes, expected {}",
                size_bytes(insn.code),
                res.orig_sz
            ));
        }
        let Some(sz) = size_code(res.new_sz) else {
            return fail(format!("field size {} cannot be loaded", res.new_sz));
        };
        // The code with its size field replaced.
        code = (insn.code ^ op::size(insn.code)) | sz;
    }
    if let Some(i) = insns.get_mut(at) {
        i.off = new as i16;
        i.code = code;
    }
    Ok(())
}

/// Both halves of a plain `ld_imm64` take the new 64-bit value.
fn patch_ld_imm64(insns: &mut [Insn], at: usize, insn: Insn, res: &Res) -> R<()> {
    let new = res.new;
    let next = insns.get(at + 1).copied();
    let Some(next) = next.filter(|n| {
        insn.is_ld_imm64()
            && insn.src_reg == 0
            && insn.off == 0
            && n.code == 0
            && n.dst_reg == 0
            && n.src_reg == 0
            && n.off == 0
    }) else {
        return fail("ld_imm64 has an unexpected form");
    };
    let imm = u64::from(insn.imm as u32) | (u64::from(next.imm as u32) << 32);
    if res.validate && imm != res.orig {
        return fail(format!("ld_imm64 holds {imm}, expected {}", res.orig));
    }
    if let Some(i) = insns.get_mut(at) {
        i.imm = new as u32 as i32;
    }
    if let Some(i) = insns.get_mut(at + 1) {
        i.imm = (new >> 32) as u32 as i32;
    }
    Ok(())
}
