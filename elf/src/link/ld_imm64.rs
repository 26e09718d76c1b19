//! `R_BPF_64_64` on an `ld_imm64`: a map, a global data address, a `.kconfig` extern, a
//! `__ksym` extern or a callback's address.

use super::code::Function;
use super::linker::Linker;
use super::{KCONFIG_SECTION, reloc_error, symbol_label};
use crate::elf_file::{Rel, STT_SECTION, Section, Symbol};
use crate::{Error, Insn, Relocation, Result};

impl Linker<'_, '_, '_> {
    /// `R_BPF_64_64` on an `ld_imm64`: a map, a global data address, or a callback.
    pub(super) fn ld_imm64(
        &mut self,
        func: &Function,
        j: usize,
        pos: usize,
        insn: Insn,
        rel: &Rel,
    ) -> Result<()> {
        let elf = self.code.elf;
        let fail = |reason: &str| reloc_error(elf, func.section, rel, reason);
        if !insn.is_ld_imm64() {
            return Err(fail("R_BPF_64_64 on an instruction that is not ld_imm64"));
        }
        if j + 1 >= func.len {
            return Err(fail(
                "ld_imm64 has no second instruction slot in its function",
            ));
        }
        let sym = elf
            .symbol(rel.symbol)
            .ok_or_else(|| fail("no such symbol"))?;
        let Some(target) = sym.section.and_then(|s| elf.sections.get(s)) else {
            return self.extern_address(func, pos, insn, rel, sym, &fail);
        };
        let sym_offset = i64::try_from(sym.value).unwrap_or(i64::MAX);
        // The byte the instruction refers to; checked, so a hostile symbol value cannot
        // overflow (found by fuzzing).
        let at = sym_offset
            .checked_add(i64::from(insn.imm))
            .ok_or_else(|| fail("symbol value + imm overflows"))?;
        if target.name == ".maps" || target.name == "maps" || target.name.starts_with("maps/") {
            return self.map_fd(pos, target, sym, at, &fail);
        }
        if let Some(&size) = self.code.targets.data_sections.get(&target.name) {
            return self.data_address(pos, target, size, at, &fail);
        }
        if target.is_executable() && (insn.src_reg == 0 || insn.src_reg == Insn::PSEUDO_FUNC) {
            return self.callback(pos, target, at, &fail);
        }
        Err(Error::UnsupportedRelocation {
            section: elf.section_name(func.section).to_owned(),
            offset: rel.offset,
            r_type: rel.r_type,
            symbol: symbol_label(elf, rel.symbol),
        })
    }

    /// A symbol with no section is an extern: `__kconfig` ones live in `.kconfig`, the rest
    /// are resolved by the loader.
    fn extern_address(
        &mut self,
        func: &Function,
        pos: usize,
        insn: Insn,
        rel: &Rel,
        sym: &Symbol,
        fail: &impl Fn(&str) -> Error,
    ) -> Result<()> {
        if let Some(&offset) = self.code.targets.kconfig.get(&sym.name) {
            let offset = u32::try_from(i64::from(offset) + i64::from(insn.imm))
                .map_err(|_| fail("offset into .kconfig out of range"))?;
            self.relocations.push(Relocation::MapValue {
                insn: pos,
                section: KCONFIG_SECTION.to_owned(),
                offset,
            });
            return Ok(());
        }
        self.extern_ref(func, pos, rel)
    }

    /// A map in `.maps` or `maps`: by the symbol's name, or for a section symbol the map
    /// defined at byte `at`.
    fn map_fd(
        &mut self,
        pos: usize,
        target: &Section<'_>,
        sym: &Symbol,
        at: i64,
        fail: &impl Fn(&str) -> Error,
    ) -> Result<()> {
        let name = if sym.kind == STT_SECTION || sym.name.is_empty() {
            // A section symbol: the map is the one defined at value + imm.
            u64::try_from(at)
                .ok()
                .and_then(|at| self.code.objects.get(&(target.index, at)))
                .cloned()
                .ok_or_else(|| fail(&format!("no map at offset {at} of {}", target.name)))?
        } else {
            sym.name.clone()
        };
        if !self.code.targets.map_names.contains(&name) {
            return Err(fail(&format!(
                "{name} is not a map defined in {}",
                target.name
            )));
        }
        self.relocations.push(Relocation::MapFd {
            insn: pos,
            map: name,
        });
        Ok(())
    }

    /// An address in a global data section of `size` bytes, at byte `at`.
    fn data_address(
        &mut self,
        pos: usize,
        target: &Section<'_>,
        size: u64,
        at: i64,
        fail: &impl Fn(&str) -> Error,
    ) -> Result<()> {
        let offset = at;
        let fits = u64::try_from(offset).is_ok_and(|o| o <= size);
        let offset = u32::try_from(offset).ok().filter(|_| fits).ok_or_else(|| {
            fail(&format!(
                "offset {offset} is outside {} ({size} bytes)",
                target.name
            ))
        })?;
        self.relocations.push(Relocation::MapValue {
            insn: pos,
            section: target.name.clone(),
            offset,
        });
        Ok(())
    }

    /// A callback's address (`bpf_loop(..., cb, ...)`): imm is the byte offset `at` of the
    /// function from the symbol; the kernel wants `src_reg = BPF_PSEUDO_FUNC` (clang 14 leaves
    /// it 0) and imm relative to the instruction, like a call.
    fn callback(
        &mut self,
        pos: usize,
        target: &Section<'_>,
        at: i64,
        fail: &impl Fn(&str) -> Error,
    ) -> Result<()> {
        let byte = at;
        if byte % 8 != 0 {
            return Err(fail("callback address is not instruction-aligned"));
        }
        let linked = self.target(target.index, byte / 8, pos)?;
        let imm = self.relative(pos, linked)?;
        if let Some(slot) = self.insns.get_mut(pos) {
            slot.imm = imm;
            slot.src_reg = Insn::PSEUDO_FUNC;
        }
        Ok(())
    }
}
