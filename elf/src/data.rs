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
