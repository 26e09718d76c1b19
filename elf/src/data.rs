//! Global data sections (`.rodata*`, `.data*`, `.bss*`), which the loader turns into
//! one-entry array maps ("internal maps") as libbpf does.

/// Which kind of global data a section holds; decides freezing and program access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataKind {
    /// `.rodata`, `.rodata.*` (e.g. `.rodata.str1.1` for `bpf_printk` strings): frozen and
    /// read-only to programs (`BPF_F_RDONLY_PROG`).
    Rodata,
    /// `.data`, `.data.*`: writable.
    Data,
    /// `.bss`, `.bss.*`: writable, zero-filled (no bytes in the file).
    Bss,
}

/// A global data section as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSection {
    /// The ELF section name, e.g. `.rodata.str1.1`. Relocations refer to it by this name.
    pub name: String,
    pub kind: DataKind,
    /// The section's bytes (`size` zeros for `.bss`).
    pub bytes: Vec<u8>,
    /// BTF id of this section's `DATASEC`, when the object's BTF has one.
    pub btf_datasec_id: Option<u32>,
}

impl DataSection {
    /// Size in bytes (the value size of the internal map).
    pub fn size(&self) -> u32 {
        u32::try_from(self.bytes.len()).unwrap_or(u32::MAX)
    }
}

/// Largest `.bss` accepted: it has no bytes in the file, so its claimed size is unchecked
/// by the file's length and must be bounded before zeros are allocated.
pub(crate) const MAX_BSS_SIZE: u64 = 256 << 20;

/// The kind of global data a section name denotes (`.rodata`, `.rodata.*`, ...), if any.
pub(crate) fn data_kind(name: &str) -> Option<DataKind> {
    let is = |base: &str| {
        name.strip_prefix(base)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    };
    if is(".rodata") {
        Some(DataKind::Rodata)
    } else if is(".data") {
        Some(DataKind::Data)
    } else if is(".bss") {
        Some(DataKind::Bss)
    } else {
        None
    }
}

/// Every non-empty global data section of the object, in section order.
pub(crate) fn data_sections(
    elf: &crate::elf_file::ElfFile<'_>,
    btf: Option<&crate::btf::Btf>,
) -> crate::Result<Vec<DataSection>> {
    // DATASEC ids by name, found once (a lookup per section would scan all types each time).
    let mut datasecs = std::collections::HashMap::new();
    if let Some(btf) = btf {
        for (id, ty) in btf.types().iter().enumerate() {
            if let crate::btf::BtfType::Datasec(d) = ty
                && let (Ok(name), Ok(id)) = (btf.string(d.name_off), u32::try_from(id))
            {
                datasecs.entry(name).or_insert(id);
            }
        }
    }
    let mut out = Vec::new();
    for sec in &elf.sections {
        let Some(kind) = data_kind(&sec.name) else {
            continue;
        };
        if sec.size == 0 || sec.is_executable() {
            continue;
        }
        let bytes = if sec.is_nobits() {
            if sec.size > MAX_BSS_SIZE {
                return Err(crate::Error::Section {
                    section: sec.name.clone(),
                    reason: format!("size {} exceeds the {MAX_BSS_SIZE}-byte limit", sec.size),
                });
            }
            let size = usize::try_from(sec.size).map_err(|_| crate::Error::Section {
                section: sec.name.clone(),
                reason: "size does not fit in memory".into(),
            })?;
            vec![0; size]
        } else {
            sec.data.to_vec()
        };
        out.push(DataSection {
            name: sec.name.clone(),
            kind,
            bytes,
            btf_datasec_id: datasecs.get(sec.name.as_str()).copied(),
        });
    }
    Ok(out)
}
