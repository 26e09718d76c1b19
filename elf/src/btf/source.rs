//! Where a BTF blob comes from when it is not an object's own: a raw BTF file (as
//! `/sys/kernel/btf/vmlinux`) or the `.BTF` section of any ELF file (a `vmlinux` image, a
//! BPF object). `load --btf FILE` resolves CO-RE against it (libbpf's `btf_custom_path`).

use object::{Object as _, ObjectSection as _};

use crate::{Error, Result};

/// The BTF in `file`: the file itself when it starts with the BTF magic (`0xeB9F`, either
/// byte order), else the `.BTF` section of the ELF file it is.
pub fn btf_bytes(file: &[u8]) -> Result<&[u8]> {
    if matches!(file.get(..2), Some([0x9f, 0xeb] | [0xeb, 0x9f])) {
        return Ok(file);
    }
    if file.get(..4) != Some(b"\x7fELF".as_slice()) {
        return Err(Error::NotElf(
            "neither raw BTF (magic 0xeB9F) nor an ELF file".into(),
        ));
    }
    let elf = object::File::parse(file).map_err(|e| Error::Malformed(e.to_string()))?;
    let section = elf.section_by_name(".BTF").ok_or_else(|| Error::Section {
        section: ".BTF".into(),
        reason: "the ELF file has no .BTF section".into(),
    })?;
    section.data().map_err(|e| Error::Section {
        section: ".BTF".into(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn raw_btf_is_taken_as_is_and_elf_gives_its_section() {
        let raw = [0x9f, 0xeb, 1, 0];
        assert_eq!(btf_bytes(&raw).ok(), Some(raw.as_slice()));
        let obj = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/objects/core_vmlinux.o"
        ))
        .unwrap();
        let btf = btf_bytes(&obj).unwrap();
        assert!(
            crate::btf::Btf::parse(btf)
                .unwrap()
                .find_by_name("task_struct")
                .is_some()
        );
        assert!(matches!(btf_bytes(b"#!/bin/sh\n"), Err(Error::NotElf(_))));
    }
}
