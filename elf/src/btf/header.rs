//! The `.BTF` wire format: `struct btf_header`, string table and raw type records.

use super::Btf;
use crate::Result;

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

pub(super) fn parse_btf(_data: &[u8]) -> Result<Btf> {
    todo!("btf helper: header + type records + strings")
}

pub(super) fn to_bytes(_btf: &Btf) -> Vec<u8> {
    todo!("btf helper: serialise little-endian")
}
