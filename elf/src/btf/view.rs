//! A lazy view of a large BTF (a kernel's `vmlinux`, ~125 000 types in ~5 MB): the header
//! and sections are checked once, one pass walks the records (every head, kind and length
//! bounds-checked) and keeps the offset of every [`STRIDE`]th, and a type is decoded only
//! when it is asked for — then checked (ids, name offsets) and kept. Nothing is copied from
//! the blob: the view borrows it (from a mapping or one read buffer).

use std::cell::OnceCell;

use super::header::{self, Header};
use super::records::{self, TYPE_HEAD_LEN};
use super::table::BtfTypes;
use super::types::{self, BtfType};
use super::validate;
use super::wire::{Reader, len32};
use crate::{Error, Result};

/// One record offset is kept for every `STRIDE` types; a lookup walks at most `STRIDE - 1`
/// record heads from there (4 bytes per 16 types instead of 4 per type).
const STRIDE: usize = 16;
/// Decoded types are kept in chunks of this many slots, allocated when first touched.
const CHUNK: usize = 32;

type Chunk = [OnceCell<Box<BtfType>>; CHUNK];

/// `void`, type id 0.
static VOID: BtfType = BtfType::Void;

/// A BTF blob read lazily; see the module documentation.
pub struct BtfView<'a> {
    header: Header,
    types: Reader<'a>,
    types_at: u64,
    strings: &'a [u8],
    strings_at: u64,
    last_nul: Option<usize>,
    /// Types including `void`.
    count: usize,
    /// `marks[k]`: byte offset in the type section of type `k * STRIDE + 1`.
    marks: Vec<u32>,
    cache: Vec<OnceCell<Box<Chunk>>>,
}

impl std::fmt::Debug for BtfView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BtfView")
            .field("header", &self.header)
            .field("types", &self.count)
            .finish_non_exhaustive()
    }
}

/// One record head as the index pass sees it: id, kind (`BTF_KIND_*`) and name offset
/// (not checked: read it with [`BtfView::name_bytes`]).
#[derive(Debug, Clone, Copy)]
pub struct RawHead {
    pub id: u32,
    pub kind: u32,
    pub name_off: u32,
}

impl<'a> BtfView<'a> {
    /// Checks the header, the sections and every record's head and length; decodes nothing.
    pub fn parse(data: &'a [u8]) -> Result<BtfView<'a>> {
        Self::parse_visiting(data, |_, _| {})
    }

    /// [`BtfView::parse`], handing every record head to `visit` (with the string section
    /// its `name_off` indexes) in the same walk: how a name index is built without a second
    /// pass over the records ([`super::core::CoreTarget::parse_indexed`]).
    pub fn parse_visiting(
        data: &'a [u8],
        mut visit: impl FnMut(&'a [u8], RawHead),
    ) -> Result<BtfView<'a>> {
        let s = header::sections(data)?;
        let (types_at, strings_at) = (s.types_at(), s.strings_at());
        let mut marks = Vec::with_capacity(s.types.len() / (STRIDE * 40) + 1);
        let mut pos = 0usize;
        let mut count = 1usize;
        while pos < s.types.len() {
            if (count - 1).is_multiple_of(STRIDE) {
                marks.push(len32(pos));
            }
            pos = match records::head_at(&s.types, pos) {
                Some((name_off, info, next)) => {
                    let head = RawHead {
                        id: len32(count),
                        kind: (info >> 24) & 0x1f,
                        name_off,
                    };
                    visit(s.strings, head);
                    next
                }
                // The full reader names what is wrong with this record.
                None => records::record_at(&s.types, pos, len32(count), types_at)?.2,
            };
            count += 1;
        }
        if u32::try_from(count).is_err() {
            return Err(Error::Btf {
                offset: types_at,
                reason: format!("{count} types do not fit in 32-bit type ids"),
            });
        }
        let cache = std::iter::repeat_with(OnceCell::new)
            .take(count.div_ceil(CHUNK))
            .collect();
        Ok(BtfView {
            header: s.header,
            types: s.types,
            types_at,
            strings: s.strings,
            strings_at,
            last_nul: s.strings.iter().rposition(|&b| b == 0),
            count,
            marks,
            cache,
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Number of types including `void`.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count <= 1
    }

    /// Every record's id, kind and name, in id order, without decoding any: what a name
    /// index or a search by name reads.
    pub fn heads(&self) -> impl Iterator<Item = RawHead> + '_ {
        let types = self.types;
        let mut pos = 0usize;
        let mut id = 0u32;
        std::iter::from_fn(move || {
            let (name_off, info, next) = records::head_at(&types, pos)?;
            pos = next;
            id += 1;
            Some(RawHead {
                id,
                kind: (info >> 24) & 0x1f,
                name_off,
            })
        })
    }

    /// The string section (`name_off`s index it).
    pub fn strings(&self) -> &'a [u8] {
        self.strings
    }

    /// The first type named `name` (any kind), decoded.
    pub fn find_by_name(&self, name: &str) -> Option<(u32, &BtfType)> {
        let want = name.as_bytes();
        let id = self
            .heads()
            .find(|h| h.name_off != 0 && self.name_bytes(h.name_off) == want)?
            .id;
        Some((id, self.type_by_id(id).ok()?))
    }

    /// The NUL-terminated bytes at `off` of the string section, without the NUL; empty when
    /// `off` is outside it or no NUL follows.
    pub fn name_bytes(&self, off: u32) -> &'a [u8] {
        let strings: &'a [u8] = self.strings;
        let Some(tail) = strings.get(off as usize..) else {
            return &[];
        };
        match tail.iter().position(|&b| b == 0) {
            Some(end) => tail.get(..end).unwrap_or_default(),
            None => &[],
        }
    }

    /// Finds, decodes and checks the record of type `id` (1..count).
    fn decode(&self, id: u32) -> Result<BtfType> {
        let index = (id as usize).saturating_sub(1);
        let past = || Error::BtfType {
            type_id: id,
            reason: format!("type id past the end of the table ({} types)", self.count),
        };
        if id as usize >= self.count {
            return Err(past());
        }
        let mut pos = *self.marks.get(index / STRIDE).ok_or_else(past)? as usize;
        let mut at_id = index / STRIDE * STRIDE + 1;
        loop {
            let found = records::record_at(&self.types, pos, len32(at_id), self.types_at)?;
            if at_id == id as usize {
                let (raw, body, _) = found;
                let at = self.types_at + pos as u64;
                let t = records::decode_record(&raw, &body, id, at)?;
                validate::validate_one(id, &t, self.count, self.strings.len(), self.last_nul)?;
                return Ok(t);
            }
            pos = found.2;
            at_id += 1;
            if pos + TYPE_HEAD_LEN > self.types.len() {
                return Err(past());
            }
        }
    }
}

impl BtfTypes for BtfView<'_> {
    fn type_count(&self) -> usize {
        self.count
    }

    fn type_by_id(&self, id: u32) -> Result<&BtfType> {
        if id == 0 {
            return Ok(&VOID);
        }
        let i = id as usize;
        let chunk = self.cache.get(i / CHUNK).ok_or_else(|| Error::BtfType {
            type_id: id,
            reason: format!("type id past the end of the table ({} types)", self.count),
        })?;
        let chunk = chunk.get_or_init(|| Box::new(std::array::from_fn(|_| OnceCell::new())));
        let slot = chunk.get(i % CHUNK).ok_or_else(|| Error::BtfType {
            type_id: id,
            reason: "no cache slot".into(),
        })?;
        if let Some(t) = slot.get() {
            return Ok(t);
        }
        let t = self.decode(id)?;
        Ok(slot.get_or_init(|| Box::new(t)))
    }

    fn string(&self, offset: u32) -> Result<&str> {
        types::string_in(self.strings, self.strings_at, offset)
    }
}
