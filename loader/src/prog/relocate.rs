//! Applies a program's map relocations to a copy of its instructions and encodes them for
//! `BPF_PROG_LOAD`: `ld_imm64` of a map becomes `BPF_PSEUDO_MAP_FD` + fd, of global data
//! `BPF_PSEUDO_MAP_VALUE` + fd of the internal map + offset.

use std::collections::HashMap;
use std::os::fd::RawFd;

use rawbpf_abi::Insn;
use rawbpf_elf::{Program, Relocation};

use crate::error::{Error, Result};

/// Map fds by name: object maps by map name, internal maps by section name.
#[derive(Debug, Default)]
pub struct Fds {
    pub maps: HashMap<String, RawFd>,
    pub sections: HashMap<String, RawFd>,
}

fn err(program: &Program, insn: usize, reason: impl Into<String>) -> Error {
    Error::Relocation {
        program: program.name.clone(),
        insn,
        reason: reason.into(),
    }
}

/// The program's instructions with every relocation applied, encoded little-endian.
pub fn relocate(program: &Program, fds: &Fds) -> Result<Vec<u8>> {
    let mut insns: Vec<Insn> = program.insns.clone();
    for r in &program.relocations {
        let i = r.insn();
        let len = insns.len();
        let Some(first) = insns.get(i) else {
            return Err(err(
                program,
                i,
                format!("relocation past the end ({len} instructions)"),
            ));
        };
        if !matches!(r, Relocation::Extern { .. }) && (!first.is_ld_imm64() || i + 1 >= len) {
            return Err(err(
                program,
                i,
                format!(
                    "relocation target is not an ld_imm64 (opcode {:#04x})",
                    first.code
                ),
            ));
        }
        match r {
            Relocation::MapFd { map, .. } => {
                let fd = *fds
                    .maps
                    .get(map)
                    .ok_or_else(|| err(program, i, format!("refers to unknown map {map}")))?;
                insns[i].src_reg = Insn::PSEUDO_MAP_FD;
                insns[i].imm = fd;
            }
            Relocation::MapValue {
                section, offset, ..
            } => {
                let fd = *fds.sections.get(section).ok_or_else(|| {
                    err(
                        program,
                        i,
                        format!("refers to data section {section}, which has no map"),
                    )
                })?;
                let off = i32::try_from(*offset)
                    .map_err(|_| err(program, i, format!("offset {offset} out of range")))?;
                insns[i].src_reg = Insn::PSEUDO_MAP_VALUE;
                insns[i].imm = fd;
                insns[i + 1].imm = off;
            }
            Relocation::Extern { name, .. } => {
                // `externs::resolve` patches these and removes them before relocation.
                return Err(err(program, i, format!("extern {name} was not resolved")));
            }
        }
    }
    Ok(insns.iter().flat_map(|insn| insn.to_le_bytes()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rawbpf_abi::ProgType;
    use rawbpf_elf::ProgramKind;

    fn prog(relocations: Vec<Relocation>) -> Program {
        let ld = Insn {
            code: Insn::LD_IMM64,
            dst_reg: 1,
            ..Default::default()
        };
        Program {
            name: "p".into(),
            section: "sockops".into(),
            kind: ProgramKind {
                prog_type: ProgType::SOCK_OPS,
                expected_attach_type: None,
                attach_target: None,
            },
            insns: vec![
                ld,
                Insn::default(),
                ld,
                Insn::default(),
                Insn {
                    code: Insn::EXIT,
                    ..Default::default()
                },
            ],
            relocations,
            subprograms: vec![],
            func_info: vec![],
            line_info: vec![],
            core_relos: vec![],
            attach_btf_id: None,
        }
    }

    #[test]
    fn patches_map_fd_and_value() {
        let p = prog(vec![
            Relocation::MapFd {
                insn: 0,
                map: "m".into(),
            },
            Relocation::MapValue {
                insn: 2,
                section: ".rodata".into(),
                offset: 12,
            },
        ]);
        let mut fds = Fds::default();
        fds.maps.insert("m".into(), 7);
        fds.sections.insert(".rodata".into(), 9);
        let bytes = relocate(&p, &fds).unwrap();
        assert_eq!(bytes.len(), 5 * 8);
        assert_eq!(&bytes[0..8], &[0x18, 0x11, 0, 0, 7, 0, 0, 0]);
        assert_eq!(&bytes[16..24], &[0x18, 0x21, 0, 0, 9, 0, 0, 0]);
        assert_eq!(&bytes[24..32], &[0, 0, 0, 0, 12, 0, 0, 0]);
    }

    #[test]
    fn rejects_bad_targets() {
        let fds = Fds {
            maps: [("m".to_string(), 3)].into(),
            sections: HashMap::new(),
        };
        for r in [
            Relocation::MapFd {
                insn: 4,
                map: "m".into(),
            },
            Relocation::MapFd {
                insn: 99,
                map: "m".into(),
            },
            Relocation::MapFd {
                insn: 1,
                map: "m".into(),
            },
            Relocation::MapFd {
                insn: 0,
                map: "nope".into(),
            },
            Relocation::MapValue {
                insn: 0,
                section: ".data".into(),
                offset: 0,
            },
        ] {
            assert!(matches!(
                relocate(&prog(vec![r]), &fds),
                Err(Error::Relocation { .. })
            ));
        }
    }
}
