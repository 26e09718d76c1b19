//! The `.BTF` wire format: `struct btf_header`, the type and string sections, and the
//! serialiser back to little-endian bytes.
//!
//! Section offsets in the header are relative to the end of the header; each is checked with
//! checked arithmetic against the bytes present. Raw type records live in
//! [`super::records`].

use super::wire::{Reader, len32, put_u32};
use super::{Btf, records, validate};
use crate::{Error, Result};

/// `BTF_MAGIC` as read in the blob's own byte order.
pub const BTF_MAGIC: u16 = 0xeb9f;
/// Size of `struct btf_header` version 1.
pub const HEADER_LEN: u32 = 24;

/// `struct btf_header` (version 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    pub magic: u16,
    pub version: u8,
    pub flags: u8,
    pub hdr_len: u32,
    pub type_off: u32,
    pub type_len: u32,
    pub str_off: u32,
    pub str_len: u32,
}

fn err(offset: u64, reason: String) -> Error {
    Error::Btf { offset, reason }
}

/// Byte order from the magic: `0xeB9F` read little-endian means a little-endian blob,
/// `0x9FeB` means big-endian.
pub(super) fn byte_order(data: &[u8], what: &str) -> Result<bool> {
    let b: [u8; 2] = data
        .get(..2)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            err(
                0,
                format!("{what} blob too short for a magic ({} bytes)", data.len()),
            )
        })?;
    match u16::from_le_bytes(b) {
        BTF_MAGIC => Ok(false),
        m if m == BTF_MAGIC.swap_bytes() => Ok(true),
        m => Err(err(
            0,
            format!("bad magic {m:#06x}, expected {BTF_MAGIC:#06x}"),
        )),
    }
}

/// Reads and checks the header; returns it with the byte order.
fn parse_header(data: &[u8]) -> Result<(Header, bool)> {
    let big_endian = byte_order(data, ".BTF")?;
    let r = Reader::new(data, big_endian);
    let short = || {
        err(
            0,
            format!(
                "blob too short for a header ({} bytes, need {HEADER_LEN})",
                data.len()
            ),
        )
    };
    let version = r.u8_at(2).ok_or_else(short)?;
    if version != 1 {
        return Err(err(2, format!("unsupported version {version}, expected 1")));
    }
    let hdr_len = r.u32_at(4).ok_or_else(short)?;
    if hdr_len < HEADER_LEN {
        return Err(err(
            4,
            format!("header length {hdr_len} is shorter than {HEADER_LEN}"),
        ));
    }
    if hdr_len as usize > data.len() {
        return Err(err(
            4,
            format!(
                "header length {hdr_len} is past the end of the blob ({} bytes)",
                data.len()
            ),
        ));
    }
    let field = |off| r.u32_at(off).ok_or_else(short);
    let header = Header {
        magic: BTF_MAGIC,
        version,
        flags: r.u8_at(3).ok_or_else(short)?,
        hdr_len,
        type_off: field(8)?,
        type_len: field(12)?,
        str_off: field(16)?,
        str_len: field(20)?,
    };
    Ok((header, big_endian))
}

/// The `len` bytes at `off` after the header, or an error naming the section.
fn section<'a>(
    body: &Reader<'a>,
    hdr_len: u32,
    off: u32,
    len: u32,
    what: &str,
) -> Result<Reader<'a>> {
    body.sub(off as usize, len as usize).ok_or_else(|| {
        err(
            u64::from(hdr_len) + u64::from(off),
            format!(
                "{what} section (offset {off}, length {len}) is past the end of the data \
                 ({} bytes after the header)",
                body.len()
            ),
        )
    })
}

/// A checked header with the blob's byte order and its type and string sections.
pub(super) struct Sections<'a> {
    pub(super) header: Header,
    pub(super) big_endian: bool,
    pub(super) types: Reader<'a>,
    pub(super) strings: &'a [u8],
}

impl Sections<'_> {
    /// Where the type section starts in the blob (for error messages).
    pub(super) fn types_at(&self) -> u64 {
        u64::from(self.header.hdr_len) + u64::from(self.header.type_off)
    }

    /// Where the string section starts in the blob (for error messages).
    pub(super) fn strings_at(&self) -> u64 {
        u64::from(self.header.hdr_len) + u64::from(self.header.str_off)
    }
}

/// Reads the header and bounds-checks both sections against the blob; the string section
/// must start with NUL. Shared by [`parse_btf`] and the lazy [`super::BtfView`].
pub(super) fn sections(data: &[u8]) -> Result<Sections<'_>> {
    let (header, big_endian) = parse_header(data)?;
    let body = Reader::new(data, big_endian)
        .tail(header.hdr_len as usize)
        .ok_or_else(|| err(4, "header length past the end of the blob".to_string()))?;
    if header.type_off % 4 != 0 {
        return Err(err(
            8,
            format!(
                "type section offset {} is not 4-byte aligned",
                header.type_off
            ),
        ));
    }
    let types = section(
        &body,
        header.hdr_len,
        header.type_off,
        header.type_len,
        "type",
    )?;
    let str_sec = section(
        &body,
        header.hdr_len,
        header.str_off,
        header.str_len,
        "string",
    )?;
    let str_at = u64::from(header.hdr_len) + u64::from(header.str_off);
    if str_sec.u8_at(0) != Some(0) {
        return Err(err(
            str_at,
            "string section must start with NUL (offset 0 is \"\")".to_string(),
        ));
    }
    Ok(Sections {
        header,
        big_endian,
        types,
        strings: str_sec.bytes(),
    })
}

pub(super) fn parse_btf(data: &[u8]) -> Result<Btf> {
    let s = sections(data)?;
    let strings = s.strings.to_vec();
    let types = records::parse_types(&s.types, s.types_at())?;
    validate::validate(&types, &strings)?;
    Ok(Btf {
        header: s.header,
        types,
        strings,
        big_endian: s.big_endian,
    })
}

/// Serialises `btf` as header, types, strings, little-endian, with a fresh 24-byte header.
pub(super) fn to_bytes(btf: &Btf) -> Vec<u8> {
    let mut types = Vec::new();
    for t in btf.types.iter().skip(1) {
        records::encode(t, &mut types);
    }
    let type_len = len32(types.len());
    let mut out = Vec::with_capacity(HEADER_LEN as usize + types.len() + btf.strings.len());
    out.extend_from_slice(&BTF_MAGIC.to_le_bytes());
    out.push(1);
    out.push(btf.header.flags);
    put_u32(&mut out, HEADER_LEN);
    put_u32(&mut out, 0);
    put_u32(&mut out, type_len);
    put_u32(&mut out, type_len);
    put_u32(&mut out, len32(btf.strings.len()));
    out.extend_from_slice(&types);
    out.extend_from_slice(&btf.strings);
    out
}
