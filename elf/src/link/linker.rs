//! Linking one program: place its function, then each subprogram it reaches, once, and
//! rewrite calls for the linked stream.

use std::collections::HashMap;

use super::code::{Code, Function};
use super::{MAX_PROGRAM_INSNS, R_BPF_64_32, R_BPF_64_64, reloc_error, symbol_label};
use crate::elf_file::Rel;
use crate::{Error, Insn, Relocation, Result};

/// State while linking one program.
pub(super) struct Linker<'c, 'e, 'a> {
    pub(super) code: &'c Code<'e, 'a>,
    pub(super) program: String,
    pub(super) insns: Vec<Insn>,
    /// (function, index of its first instruction in `insns`), in the order appended.
    pub(super) placed: Vec<(usize, usize)>,
    /// Function → its landing, for the lookups of `place`.
    pub(super) landings: HashMap<usize, usize>,
    pub(super) relocations: Vec<Relocation>,
}

impl Linker<'_, '_, '_> {
    pub(super) fn error(&self, reason: impl Into<String>) -> Error {
        Error::Program {
            program: self.program.clone(),
            reason: reason.into(),
        }
    }

    /// Where function `f` starts in the linked stream, appending it on first use.
    pub(super) fn place(&mut self, f: usize) -> Result<usize> {
        if let Some(&landing) = self.landings.get(&f) {
            return Ok(landing);
        }
        let func = self.code.function(f)?;
        let body = self
            .code
            .insns
            .get(&func.section)
            .and_then(|all| all.get(func.start..func.start.checked_add(func.len)?))
            .ok_or_else(|| self.error(format!("function {} is outside its section", func.name)))?;
        if self.insns.len().saturating_add(body.len()) > MAX_PROGRAM_INSNS {
            return Err(self.error(format!(
                "linked program exceeds {MAX_PROGRAM_INSNS} instructions"
            )));
        }
        let landing = self.insns.len();
        self.insns.extend_from_slice(body);
        self.placed.push((f, landing));
        self.landings.insert(f, landing);
        Ok(landing)
    }

    /// Linked index of instruction `index` of `section` (a call or callback target).
    pub(super) fn target(&mut self, section: usize, index: i64, at: usize) -> Result<usize> {
        let found = usize::try_from(index)
            .ok()
            .and_then(|i| self.code.function_at(section, i));
        let Some((f, offset)) = found else {
            return Err(self.error(format!(
                "instruction {at} refers to instruction {index} of section {}, which is in no function",
                self.code.elf.section_name(section)
            )));
        };
        Ok(self.place(f)? + offset)
    }

    /// `imm` that makes the instruction at `pos` reach `target` (`pos + imm + 1 == target`).
    pub(super) fn relative(&self, pos: usize, target: usize) -> Result<i32> {
        let delta = i64::try_from(target).unwrap_or(i64::MAX) - i64::try_from(pos).unwrap_or(0) - 1;
        i32::try_from(delta)
            .map_err(|_| self.error(format!("jump from {pos} to {target} overflows imm")))
    }

    /// Resolves calls and relocations of the function placed at `landing`.
    pub(super) fn relocate(&mut self, f: usize, landing: usize) -> Result<()> {
        let func = self.code.function(f)?.clone();
        let mut j = 0;
        while j < func.len {
            let pos = landing + j;
            let sec_index = func.start + j;
            let offset = u64::try_from(sec_index)
                .unwrap_or(u64::MAX)
                .saturating_mul(8);
            let insn = *self
                .insns
                .get(pos)
                .ok_or_else(|| self.error("instruction index out of range"))?;
            let rel = self.code.relocation_at(func.section, offset).copied();
            if insn.is_pseudo_call() {
                self.call(&func, pos, sec_index, insn, rel)?;
            } else if let Some(rel) = rel {
                match rel.r_type {
                    R_BPF_64_64 => self.ld_imm64(&func, j, pos, insn, &rel)?,
                    R_BPF_64_32
                        if insn.code == Insn::CALL
                            && self
                                .code
                                .elf
                                .symbol(rel.symbol)
                                .is_some_and(|s| s.section.is_none()) =>
                    {
                        self.extern_ref(&func, pos, &rel)?;
                    }
                    R_BPF_64_32 => {
                        return Err(reloc_error(
                            self.code.elf,
                            func.section,
                            &rel,
                            "R_BPF_64_32 on an instruction that is not a BPF-to-BPF call",
                        ));
                    }
                    r_type => {
                        return Err(Error::UnsupportedRelocation {
                            section: self.code.elf.section_name(func.section).to_owned(),
                            offset: rel.offset,
                            r_type,
                            symbol: symbol_label(self.code.elf, rel.symbol),
                        });
                    }
                }
            }
            // The second slot of an ld_imm64 is data, not an instruction.
            j += if insn.is_ld_imm64() { 2 } else { 1 };
        }
        Ok(())
    }

    /// A BPF-to-BPF call: find the callee, place it, rewrite `imm`.
    fn call(
        &mut self,
        func: &Function,
        pos: usize,
        sec_index: usize,
        insn: Insn,
        rel: Option<Rel>,
    ) -> Result<()> {
        let elf = self.code.elf;
        let (section, target) = match rel {
            None => (
                func.section,
                i64::try_from(sec_index).unwrap_or(i64::MAX) + i64::from(insn.imm) + 1,
            ),
            Some(rel) => {
                if rel.r_type != R_BPF_64_32 {
                    return Err(reloc_error(
                        elf,
                        func.section,
                        &rel,
                        format!(
                            "call relocated with type {}, expected R_BPF_64_32 (10)",
                            rel.r_type
                        ),
                    ));
                }
                let sym = elf
                    .symbol(rel.symbol)
                    .ok_or_else(|| reloc_error(elf, func.section, &rel, "no such symbol"))?;
                if sym.section.is_none() {
                    // A kfunc (`__ksym` extern): resolved by the loader against kernel BTF.
                    return self.extern_ref(func, pos, &rel);
                }
                let Some(section) = sym
                    .section
                    .filter(|s| elf.sections.get(*s).is_some_and(|s| s.is_executable()))
                else {
                    return Err(reloc_error(
                        elf,
                        func.section,
                        &rel,
                        "call target is not in a code section",
                    ));
                };
                if !sym.value.is_multiple_of(8) {
                    return Err(reloc_error(
                        elf,
                        func.section,
                        &rel,
                        "call target is not instruction-aligned",
                    ));
                }
                // libbpf: sub_insn_idx = sym_off / 8 + imm + 1 (imm is -1 for a function
                // symbol, the function's offset - 1 for a section symbol).
                let base = i64::try_from(sym.value / 8).unwrap_or(i64::MAX);
                (section, base + i64::from(insn.imm) + 1)
            }
        };
        let linked = self.target(section, target, pos)?;
        let imm = self.relative(pos, linked)?;
        if let Some(slot) = self.insns.get_mut(pos) {
            slot.imm = imm;
        }
        Ok(())
    }

    /// A reference to a `__ksym` extern (variable or kfunc), for the loader to resolve.
    pub(super) fn extern_ref(&mut self, func: &Function, pos: usize, rel: &Rel) -> Result<()> {
        let elf = self.code.elf;
        let sym = elf
            .symbol(rel.symbol)
            .ok_or_else(|| reloc_error(elf, func.section, rel, "no such symbol"))?;
        if !self.code.targets.externs.contains(&sym.name) {
            return Err(reloc_error(
                elf,
                func.section,
                rel,
                "undefined symbol that is not an extern of the object",
            ));
        }
        self.relocations.push(Relocation::Extern {
            insn: pos,
            name: sym.name.clone(),
        });
        Ok(())
    }
}
