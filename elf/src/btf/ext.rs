//! `.BTF.ext`: func_info, line_info and CO-RE relocation records, grouped by section.

use super::header::byte_order;
use super::wire::Reader;
use crate::{Error, Result};

/// Header length up to and including `line_info_len`.
const HEADER_LEN_MIN: u32 = 24;
/// Header length with `core_relo_off`/`core_relo_len`.
const HEADER_LEN_CORE: u32 = 32;
/// Bytes of the record prefix we read in each block.
const FUNC_INFO_LEN: u32 = 8;
const LINE_INFO_LEN: u32 = 16;
const CORE_RELO_LEN: u32 = 16;
/// `struct btf_ext_info_sec` without its records.
const SEC_HEAD_LEN: usize = 8;

/// `struct bpf_func_info`: `insn_off` is in bytes within the section as parsed from the file,
/// and in instructions once rebased onto a linked [`crate::Program`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FuncInfo {
    pub insn_off: u32,
    pub type_id: u32,
}

/// `struct bpf_line_info`; `insn_off` as for [`FuncInfo`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineInfo {
    pub insn_off: u32,
    pub file_name_off: u32,
    pub line_off: u32,
    /// Line number in the high 22 bits, column in the low 10 (`BPF_LINE_INFO_LINE_NUM`).
    pub line_col: u32,
}

impl LineInfo {
    pub fn line(&self) -> u32 {
        self.line_col >> 10
    }
    pub fn column(&self) -> u32 {
        self.line_col & 0x3ff
    }
}

/// `enum bpf_core_relo_kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoreReloKind {
    FieldByteOffset,
    FieldByteSize,
    FieldExists,
    FieldSigned,
    FieldLshiftU64,
    FieldRshiftU64,
    TypeIdLocal,
    TypeIdTarget,
    TypeExists,
    TypeSize,
    EnumvalExists,
    EnumvalValue,
    TypeMatches,
    Unknown(u32),
}

/// `struct bpf_core_relo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreRelo {
    pub insn_off: u32,
    pub type_id: u32,
    pub access_str_off: u32,
    pub kind: CoreReloKind,
}

/// func_info records of one section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecFuncInfo {
    pub section: String,
    pub records: Vec<FuncInfo>,
}

/// line_info records of one section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecLineInfo {
    pub section: String,
    pub records: Vec<LineInfo>,
}

/// CO-RE records of one section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecCoreRelo {
    pub section: String,
    pub records: Vec<CoreRelo>,
}

/// A parsed `.BTF.ext` section. Section names are resolved through the `.BTF` string table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BtfExt {
    pub func_info: Vec<SecFuncInfo>,
    pub line_info: Vec<SecLineInfo>,
    pub core_relos: Vec<SecCoreRelo>,
}

impl CoreReloKind {
    /// From the `kind` field of `struct bpf_core_relo`.
    pub fn from_u32(v: u32) -> CoreReloKind {
        match v {
            0 => CoreReloKind::FieldByteOffset,
            1 => CoreReloKind::FieldByteSize,
            2 => CoreReloKind::FieldExists,
            3 => CoreReloKind::FieldSigned,
            4 => CoreReloKind::FieldLshiftU64,
            5 => CoreReloKind::FieldRshiftU64,
            6 => CoreReloKind::TypeIdLocal,
            7 => CoreReloKind::TypeIdTarget,
            8 => CoreReloKind::TypeExists,
            9 => CoreReloKind::TypeSize,
            10 => CoreReloKind::EnumvalExists,
            11 => CoreReloKind::EnumvalValue,
            12 => CoreReloKind::TypeMatches,
            other => CoreReloKind::Unknown(other),
        }
    }

    /// The wire value.
    pub fn to_u32(self) -> u32 {
        match self {
            CoreReloKind::FieldByteOffset => 0,
            CoreReloKind::FieldByteSize => 1,
            CoreReloKind::FieldExists => 2,
            CoreReloKind::FieldSigned => 3,
            CoreReloKind::FieldLshiftU64 => 4,
            CoreReloKind::FieldRshiftU64 => 5,
            CoreReloKind::TypeIdLocal => 6,
            CoreReloKind::TypeIdTarget => 7,
            CoreReloKind::TypeExists => 8,
            CoreReloKind::TypeSize => 9,
            CoreReloKind::EnumvalExists => 10,
            CoreReloKind::EnumvalValue => 11,
            CoreReloKind::TypeMatches => 12,
            CoreReloKind::Unknown(v) => v,
        }
    }
}

fn err(offset: u64, reason: String) -> Error {
    Error::BtfExt { offset, reason }
}

impl BtfExt {
    /// Parses `.BTF.ext`; names are looked up in `btf`'s string table.
    ///
    /// Each block is a `u32` record size followed by `btf_ext_info_sec` groups. A record size
    /// larger than the struct we know is fine (newer producers append fields; we read the
    /// prefix and skip the rest); smaller, or not a multiple of 4, is an error.
    pub fn parse(data: &[u8], btf: &super::Btf) -> Result<BtfExt> {
        let big_endian = byte_order(data, ".BTF.ext").map_err(|e| match e {
            Error::Btf { offset, reason } => err(offset, reason),
            other => other,
        })?;
        let r = Reader::new(data, big_endian);
        let short = || {
            err(
                0,
                format!("blob too short for a header ({} bytes)", data.len()),
            )
        };
        let version = r.u8_at(2).ok_or_else(short)?;
        if version != 1 {
            return Err(err(2, format!("unsupported version {version}, expected 1")));
        }
        let hdr_len = r.u32_at(4).ok_or_else(short)?;
        if hdr_len < HEADER_LEN_MIN {
            return Err(err(
                4,
                format!("header length {hdr_len} is shorter than {HEADER_LEN_MIN}"),
            ));
        }
        let body = r
            .sub(
                hdr_len as usize,
                data.len().saturating_sub(hdr_len as usize),
            )
            .ok_or_else(|| {
                err(
                    4,
                    format!(
                        "header length {hdr_len} is past the end of the blob ({} bytes)",
                        data.len()
                    ),
                )
            })?;
        let field = |off| r.u32_at(off).ok_or_else(short);
        let block =
            |off_at: usize, what: &'static str, min_rec: u32| -> Result<Option<Block<'_>>> {
                let (off, len) = (field(off_at)?, field(off_at + 4)?);
                Block::new(&body, u64::from(hdr_len), off, len, what, min_rec)
            };
        let mut ext = BtfExt::default();
        if let Some(b) = block(8, "func_info", FUNC_INFO_LEN)? {
            ext.func_info = b
                .parse(btf, |rec| {
                    Some(FuncInfo {
                        insn_off: rec.u32_at(0)?,
                        type_id: rec.u32_at(4)?,
                    })
                })?
                .into_iter()
                .map(|(section, records)| SecFuncInfo { section, records })
                .collect();
        }
        if let Some(b) = block(16, "line_info", LINE_INFO_LEN)? {
            ext.line_info = b
                .parse(btf, |rec| {
                    Some(LineInfo {
                        insn_off: rec.u32_at(0)?,
                        file_name_off: rec.u32_at(4)?,
                        line_off: rec.u32_at(8)?,
                        line_col: rec.u32_at(12)?,
                    })
                })?
                .into_iter()
                .map(|(section, records)| SecLineInfo { section, records })
                .collect();
        }
        if hdr_len >= HEADER_LEN_CORE
            && let Some(b) = block(24, "core_relo", CORE_RELO_LEN)?
        {
            ext.core_relos = b
                .parse(btf, |rec| {
                    Some(CoreRelo {
                        insn_off: rec.u32_at(0)?,
                        type_id: rec.u32_at(4)?,
                        access_str_off: rec.u32_at(8)?,
                        kind: CoreReloKind::from_u32(rec.u32_at(12)?),
                    })
                })?
                .into_iter()
                .map(|(section, records)| SecCoreRelo { section, records })
                .collect();
        }
        Ok(ext)
    }

    /// func_info records of section `name` (e.g. `sockops`), if any.
    pub fn func_info_for(&self, name: &str) -> Option<&SecFuncInfo> {
        self.func_info.iter().find(|s| s.section == name)
    }

    /// line_info records of section `name`, if any.
    pub fn line_info_for(&self, name: &str) -> Option<&SecLineInfo> {
        self.line_info.iter().find(|s| s.section == name)
    }

    /// CO-RE records of section `name`, if any.
    pub fn core_relos_for(&self, name: &str) -> Option<&SecCoreRelo> {
        self.core_relos.iter().find(|s| s.section == name)
    }
}

/// One info block (func_info, line_info or core_relo) after its bounds were checked.
struct Block<'a> {
    data: Reader<'a>,
    /// Offset of the block in the `.BTF.ext` blob, for errors.
    base: u64,
    what: &'static str,
    rec_size: u32,
}

impl<'a> Block<'a> {
    /// `None` for an empty block (`len == 0`), which producers emit when there is nothing.
    fn new(
        body: &Reader<'a>,
        hdr_len: u64,
        off: u32,
        len: u32,
        what: &'static str,
        min_rec: u32,
    ) -> Result<Option<Block<'a>>> {
        if len == 0 {
            return Ok(None);
        }
        let base = hdr_len + u64::from(off);
        let data = body.sub(off as usize, len as usize).ok_or_else(|| {
            err(
                base,
                format!(
                    "{what} block (offset {off}, length {len}) is past the end of the data \
                     ({} bytes after the header)",
                    body.len()
                ),
            )
        })?;
        let rec_size = data.u32_at(0).ok_or_else(|| {
            err(
                base,
                format!("{what} block of {len} bytes has no record size"),
            )
        })?;
        if rec_size < min_rec || rec_size % 4 != 0 {
            return Err(err(
                base,
                format!(
                    "{what} record size {rec_size} is invalid (need a multiple of 4, at least {min_rec})"
                ),
            ));
        }
        Ok(Some(Block {
            data,
            base,
            what,
            rec_size,
        }))
    }

    /// Reads every `btf_ext_info_sec` group; `read` decodes one record from its known prefix.
    fn parse<T>(
        &self,
        btf: &super::Btf,
        read: impl Fn(&Reader<'a>) -> Option<T>,
    ) -> Result<Vec<(String, Vec<T>)>> {
        let what = self.what;
        let rec_size = self.rec_size as usize;
        let mut out = Vec::new();
        let mut pos = 4usize;
        while pos < self.data.len() {
            let at = self.base + pos as u64;
            let (name_off, num) = match (self.data.u32_at(pos), self.data.u32_at(pos + 4)) {
                (Some(n), Some(c)) => (n, c),
                _ => {
                    return Err(err(
                        at,
                        format!(
                            "{what}: section header truncated ({} bytes left)",
                            self.data.len() - pos
                        ),
                    ));
                }
            };
            let section = btf
                .string(name_off)
                .map_err(|e| err(at, format!("{what}: section name: {e}")))?
                .to_string();
            pos += SEC_HEAD_LEN;
            let left = self.data.len() - pos;
            let records = (num as usize)
                .checked_mul(rec_size)
                .and_then(|n| self.data.sub(pos, n))
                .ok_or_else(|| {
                    err(
                        at,
                        format!(
                            "{what}: section {section} claims {num} records of {rec_size} bytes, \
                             only {left} bytes left"
                        ),
                    )
                })?;
            let mut recs = Vec::with_capacity(num as usize);
            for i in 0..num as usize {
                let rec = records.sub(i * rec_size, rec_size).and_then(|r| read(&r));
                recs.push(rec.ok_or_else(|| err(at, format!("{what}: record {i} truncated")))?);
            }
            pos += records.len();
            out.push((section, recs));
        }
        Ok(out)
    }
}
