//! The ELF layer: sections, symbols and relocations read once through the `object` crate and
//! kept as plain, bounds-checked data, so the rest of the crate never sees file offsets.

use std::collections::BTreeMap;

use object::Endianness;
use object::elf::FileHeader64;
use object::read::elf::{FileHeader, Rel as _, Rela as _, SectionHeader, Sym as _};

use crate::{Error, Result};

const EM_BPF: u16 = 247;
const ET_REL: u16 = 1;
const ELFCLASS64: u8 = 2;
const SHT_SYMTAB: u32 = 2;
const SHT_RELA: u32 = 4;
const SHT_NOBITS: u32 = 8;
const SHT_REL: u32 = 9;
const SHF_EXECINSTR: u64 = 0x4;
/// `STT_FUNC`.
pub(crate) const STT_FUNC: u8 = 2;
/// `STT_SECTION`.
pub(crate) const STT_SECTION: u8 = 3;
/// `STT_FILE`.
pub(crate) const STT_FILE: u8 = 4;
/// `STB_LOCAL`.
pub(crate) const STB_LOCAL: u8 = 0;
/// `STB_WEAK`.
pub(crate) const STB_WEAK: u8 = 2;

/// One section header with its name and (for non-NOBITS sections) its bytes.
#[derive(Debug)]
pub(crate) struct Section<'a> {
    pub index: usize,
    pub name: String,
    pub sh_type: u32,
    pub flags: u64,
    /// `sh_size` as claimed (for NOBITS sections there are no bytes behind it).
    pub size: u64,
    /// The section's bytes; empty for NOBITS.
    pub data: &'a [u8],
}

impl Section<'_> {
    /// `SHF_EXECINSTR` with bytes in the file: code.
    pub fn is_executable(&self) -> bool {
        self.flags & SHF_EXECINSTR != 0 && self.sh_type != SHT_NOBITS
    }

    pub fn is_nobits(&self) -> bool {
        self.sh_type == SHT_NOBITS
    }
}

/// One symbol table entry.
#[derive(Debug, Clone)]
pub(crate) struct Symbol {
    pub name: String,
    pub value: u64,
    pub size: u64,
    /// `STT_*`.
    pub kind: u8,
    /// `STB_*` (`STB_LOCAL` 0, `STB_GLOBAL` 1, `STB_WEAK` 2).
    pub bind: u8,
    /// `st_shndx == SHN_UNDEF`: defined elsewhere (an extern).
    pub undefined: bool,
    /// Index of the section the symbol is defined in (`None` for undefined/absolute/common).
    pub section: Option<usize>,
    /// `STV_HIDDEN` or `STV_INTERNAL` visibility (`__hidden`): not visible outside the object.
    pub hidden: bool,
}

/// One `Elf64_Rel` entry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rel {
    pub offset: u64,
    pub symbol: u32,
    pub r_type: u32,
}

/// The parts of an ELF file the BPF object parser reads.
#[derive(Debug)]
pub(crate) struct ElfFile<'a> {
    pub big_endian: bool,
    /// Indexed by ELF section index.
    pub sections: Vec<Section<'a>>,
    /// Indexed by ELF symbol index (entry 0 is the null symbol).
    pub symbols: Vec<Symbol>,
    /// Relocations by the index of the section they patch, each sorted by offset.
    pub relocations: BTreeMap<usize, Vec<Rel>>,
}

fn malformed(e: object::read::Error) -> Error {
    Error::Malformed(e.to_string())
}

fn utf8(bytes: &[u8], what: &str) -> Result<String> {
    std::str::from_utf8(bytes).map(str::to_owned).map_err(|_| {
        Error::Malformed(format!(
            "{what} {:?} is not UTF-8",
            String::from_utf8_lossy(bytes)
        ))
    })
}

/// The file header type of the 64-bit objects rawbpf reads (either byte order).
type Header = FileHeader64<Endianness>;
/// The section header table of such an object.
type Table<'a> = object::read::elf::SectionTable<'a, Header>;
/// Its symbol table.
type Symtab<'a> = object::read::elf::SymbolTable<'a, Header>;

impl<'a> ElfFile<'a> {
    /// Reads and checks the header, section table, symbol table and relocation sections.
    pub fn parse(bytes: &'a [u8]) -> Result<ElfFile<'a>> {
        let (header, endian) = check_header(bytes)?;
        let table = header.sections(endian, bytes).map_err(malformed)?;
        let sections = read_sections(&table, endian, bytes)?;
        let symtab = table
            .symbols(endian, bytes, object::elf::SectionType(SHT_SYMTAB))
            .map_err(malformed)?;
        let symbols = read_symbols(&symtab, endian, &sections)?;
        let relocations = read_relocations(&table, endian, bytes, &sections, symtab.section().0)?;
        Ok(ElfFile {
            big_endian: endian == Endianness::Big,
            sections,
            symbols,
            relocations,
        })
    }

    /// The first section with this name.
    pub fn section_by_name(&self, name: &str) -> Option<&Section<'a>> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The symbol at this index, or an error naming the relocation that referred to it.
    pub fn symbol(&self, index: u32) -> Option<&Symbol> {
        self.symbols.get(index as usize)
    }

    /// Name of the section with this index ("" when out of range).
    pub fn section_name(&self, index: usize) -> &str {
        self.sections.get(index).map_or("", |s| s.name.as_str())
    }

    /// Relocations against section `index` (empty when there are none).
    pub fn relocations_of(&self, index: usize) -> &[Rel] {
        self.relocations.get(&index).map_or(&[], Vec::as_slice)
    }

    /// Reads a u32 in the file's byte order from `data` at `offset`, if it is there.
    pub fn read_u32(&self, data: &[u8], offset: usize) -> Option<u32> {
        let end = offset.checked_add(4)?;
        let b: [u8; 4] = data.get(offset..end)?.try_into().ok()?;
        Some(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }
}

/// The ELF header: magic, 64-bit class, `EM_BPF`, `ET_REL`; and the byte order.
fn check_header(bytes: &[u8]) -> Result<(&Header, Endianness)> {
    match bytes.get(..4) {
        Some(b"\x7fELF") => {}
        _ => return Err(Error::NotElf("no \\x7fELF magic".into())),
    }
    if bytes.get(4) != Some(&ELFCLASS64) {
        return Err(Error::Not64Bit);
    }
    let header = Header::parse(bytes).map_err(malformed)?;
    let endian = header.endian().map_err(malformed)?;
    let machine = header.e_machine(endian).0;
    if machine != EM_BPF {
        return Err(Error::NotBpf { machine });
    }
    let e_type = header.e_type(endian).0;
    if e_type != ET_REL {
        return Err(Error::Malformed(format!(
            "ELF type {e_type} is not ET_REL (a relocatable object from clang -c)"
        )));
    }
    Ok((header, endian))
}

/// Every section header with its name and bytes (none for `SHT_NOBITS`), bounds-checked.
fn read_sections<'a>(
    table: &Table<'a>,
    endian: Endianness,
    bytes: &'a [u8],
) -> Result<Vec<Section<'a>>> {
    let mut sections = Vec::with_capacity(table.len());
    for (index, sh) in table.enumerate() {
        let name = utf8(
            table.section_name(endian, sh).map_err(malformed)?,
            "section name",
        )?;
        let sh_type = sh.sh_type(endian).0;
        let data = if sh_type == SHT_NOBITS {
            &[][..]
        } else {
            sh.data(endian, bytes).map_err(|e| Error::Section {
                section: name.clone(),
                reason: format!("data out of bounds: {e}"),
            })?
        };
        sections.push(Section {
            index: index.0,
            name,
            sh_type,
            flags: sh.sh_flags(endian).0,
            size: sh.sh_size(endian),
            data,
        });
    }
    Ok(sections)
}

/// Every symbol, its section index kept only when that section exists; section symbols
/// named after their section.
fn read_symbols(
    symtab: &Symtab<'_>,
    endian: Endianness,
    sections: &[Section<'_>],
) -> Result<Vec<Symbol>> {
    let mut symbols = Vec::with_capacity(symtab.len());
    for (index, sym) in symtab.enumerate() {
        let name = utf8(
            symtab.symbol_name(endian, sym).map_err(malformed)?,
            "symbol name",
        )?;
        let section = symtab
            .symbol_section(endian, sym, index)
            .map_err(malformed)?
            .map(|s| s.0)
            .filter(|&s| s < sections.len());
        symbols.push(Symbol {
            name,
            value: sym.st_value(endian),
            size: sym.st_size(endian),
            kind: sym.st_type().0,
            bind: sym.st_bind().0,
            undefined: sym.st_shndx(endian).0 == 0,
            section,
            // st_other & 3: STV_DEFAULT 0, STV_INTERNAL 1, STV_HIDDEN 2, STV_PROTECTED 3.
            hidden: matches!(sym.st_other().0 & 3, 1 | 2),
        });
    }
    // A section symbol has no name of its own: it stands for its section.
    for sym in &mut symbols {
        if sym.kind == STT_SECTION
            && sym.name.is_empty()
            && let Some(s) = sym.section.and_then(|i| sections.get(i))
        {
            sym.name.clone_from(&s.name);
        }
    }
    Ok(symbols)
}

/// Relocations of code sections and of `.maps`, by target section index, sorted by offset.
fn read_relocations(
    table: &Table<'_>,
    endian: Endianness,
    bytes: &[u8],
    sections: &[Section<'_>],
    symtab_index: usize,
) -> Result<BTreeMap<usize, Vec<Rel>>> {
    let mut relocations: BTreeMap<usize, Vec<Rel>> = BTreeMap::new();
    for (index, sh) in table.enumerate() {
        let sh_type = sh.sh_type(endian).0;
        if sh_type != SHT_REL && sh_type != SHT_RELA {
            continue;
        }
        let rel_name = sections
            .get(index.0)
            .map(|s| s.name.clone())
            .unwrap_or_default();
        let target = sh.sh_info(endian) as usize;
        let Some(target_section) = sections.get(target) else {
            return Err(Error::Section {
                section: rel_name,
                reason: format!("relocations for section index {target}, which does not exist"),
            });
        };
        // Only relocations of code and of `.maps` mean anything to a loader; debug
        // sections' ABS64/ABS32 relocations are for linkers and are ignored.
        if !(target_section.is_executable() || target_section.name == ".maps") {
            continue;
        }
        let link = sh.sh_link(endian) as usize;
        if link != symtab_index {
            return Err(Error::Section {
                section: rel_name,
                reason: format!("linked to section {link}, not the symbol table"),
            });
        }
        let mut rels = Vec::new();
        if sh_type == SHT_RELA {
            let (entries, _) = sh
                .rela(endian, bytes)
                .map_err(malformed)?
                .unwrap_or((&[], object::SectionIndex(0)));
            for r in entries {
                rels.push(Rel {
                    offset: r.r_offset(endian),
                    symbol: r.r_sym(endian, false),
                    r_type: r.r_type(endian, false).0,
                });
            }
        } else {
            let (entries, _) = sh
                .rel(endian, bytes)
                .map_err(malformed)?
                .unwrap_or((&[], object::SectionIndex(0)));
            for r in entries {
                rels.push(Rel {
                    offset: r.r_offset(endian),
                    symbol: r.r_sym(endian),
                    r_type: r.r_type(endian).0,
                });
            }
        }
        relocations.entry(target).or_default().extend(rels);
    }
    for rels in relocations.values_mut() {
        rels.sort_by_key(|r| r.offset);
    }
    Ok(relocations)
}
