//! `.BTF.ext` records (func_info, line_info, CO-RE relocations) of the placed functions,
//! rebased from section byte offsets to linked instruction indices.

use super::code::Function;
use super::linker::Linker;
use crate::Result;
use crate::btf::{CoreRelo, FuncInfo, LineInfo};

impl Linker<'_, '_, '_> {
    /// CO-RE relocation records of every placed function, `insn_off` rebased to linked
    /// instruction indices (not bytes).
    pub(super) fn core_relo_records(&self) -> Result<Vec<CoreRelo>> {
        let mut out = Vec::new();
        for &(f, landing) in &self.placed {
            let func = self.code.function(f)?;
            if let Some(records) = self.code.core_relos.get(&func.section) {
                for (index, r) in self.in_function(func, records, |r| r.insn_off)? {
                    out.push(CoreRelo {
                        insn_off: self.rebase(func, landing, index)?,
                        ..r.clone()
                    });
                }
            }
        }
        Ok(out)
    }

    /// func_info and line_info of every placed function, rebased to linked instruction indices.
    pub(super) fn btf_ext_records(&self) -> Result<(Vec<FuncInfo>, Vec<LineInfo>)> {
        let mut func_info = Vec::new();
        let mut line_info = Vec::new();
        for &(f, landing) in &self.placed {
            let func = self.code.function(f)?;
            if let Some(records) = self.code.func_info.get(&func.section) {
                for (index, r) in self.in_function(func, records, |r| r.insn_off)? {
                    func_info.push(FuncInfo {
                        insn_off: self.rebase(func, landing, index)?,
                        ..*r
                    });
                }
            }
            if let Some(records) = self.code.line_info.get(&func.section) {
                for (index, r) in self.in_function(func, records, |r| r.insn_off)? {
                    line_info.push(LineInfo {
                        insn_off: self.rebase(func, landing, index)?,
                        ..*r
                    });
                }
            }
        }
        if func_info.first().is_some_and(|r| r.insn_off != 0) {
            return Err(self.error("no .BTF.ext func_info for the program's first instruction"));
        }
        Ok((func_info, line_info))
    }

    /// The records (sorted by byte offset) that fall inside `func`, with their section
    /// instruction index. More records than instructions means duplicates, which the kernel
    /// rejects; refusing them also bounds the output by the program's size.
    fn in_function<'r, R>(
        &self,
        func: &Function,
        records: &'r [R],
        insn_off: impl Fn(&R) -> u32,
    ) -> Result<Vec<(usize, &'r R)>> {
        let start = func.start.saturating_mul(8);
        let end = func.start.saturating_add(func.len).saturating_mul(8);
        let first = records.partition_point(|r| (insn_off(r) as usize) < start);
        let last = records.partition_point(|r| (insn_off(r) as usize) < end);
        let inside = records.get(first..last).unwrap_or_default();
        if inside.len() > func.len {
            return Err(self.error(format!(
                "{} .BTF.ext records for the {} instructions of {}",
                inside.len(),
                func.len,
                func.name
            )));
        }
        inside
            .iter()
            .map(|r| {
                let off = insn_off(r);
                if !off.is_multiple_of(8) {
                    return Err(self.error(format!(
                        ".BTF.ext record at byte {off} of {} is not on an instruction",
                        self.code.elf.section_name(func.section)
                    )));
                }
                Ok((off as usize / 8, r))
            })
            .collect()
    }

    /// Section instruction `index` of `func` (placed at `landing`) as a linked index.
    fn rebase(&self, func: &Function, landing: usize, index: usize) -> Result<u32> {
        u32::try_from(landing + (index - func.start))
            .map_err(|_| self.error("instruction index does not fit u32"))
    }
}
