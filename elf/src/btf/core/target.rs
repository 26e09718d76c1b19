//! The target-side index: a target BTF's named types by essential name (the name without a
//! `___flavour` suffix), where CO-RE looks for candidates.

use std::collections::{HashMap, HashSet};

use crate::btf::{Btf, BtfTypes, BtfView};

/// A fast non-cryptographic hasher (FxHash's multiply-rotate) for the name index: the keys
/// are the target BTF's own names, and SipHash's flooding resistance buys nothing here.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxBuild = std::hash::BuildHasherDefault<FxHasher>;

/// The target side: a BTF and its named types indexed by essential name, built once.
///
/// Keys are the name bytes (no UTF-8 decoding in the loop over a vmlinux BTF's 125 000
/// types); each maps to the ids of that essential name, ascending.
pub struct CoreTarget<'a> {
    btf: &'a dyn BtfTypes,
    index: Index<'a>,
}

/// The essential names an index is limited to, with a bitmap of their first two bytes that
/// turns most of a kernel's names away before they are measured and hashed.
struct Wanted<'n> {
    names: HashSet<&'n [u8], FxBuild>,
    pairs: Vec<u64>,
}

impl<'n> Wanted<'n> {
    fn new(names: &HashSet<&'n str>) -> Wanted<'n> {
        let mut w = Wanted {
            names: names
                .iter()
                .map(|n| essential_bytes(n.as_bytes()))
                .collect(),
            pairs: vec![0; 1 << 10],
        };
        let keys: Vec<[u8; 2]> = w
            .names
            .iter()
            .flat_map(|n| {
                let first = n.first().copied().unwrap_or(0);
                match n.get(1) {
                    Some(&b) => vec![[first, b]],
                    // A one-byte essential name also stands for `x___flavour`.
                    None => vec![[first, 0], [first, b'_']],
                }
            })
            .collect();
        for k in keys {
            let bit = usize::from(u16::from_le_bytes(k));
            if let Some(word) = w.pairs.get_mut(bit / 64) {
                *word |= 1 << (bit % 64);
            }
        }
        w
    }

    /// Whether a type whose name starts with `b0 b1` (b1 = 0 after a one-byte name) may
    /// be wanted.
    fn may(&self, b0: u8, b1: u8) -> bool {
        let bit = usize::from(u16::from_le_bytes([b0, b1]));
        self.pairs
            .get(bit / 64)
            .is_some_and(|w| w & (1 << (bit % 64)) != 0)
    }
}

impl<'a> CoreTarget<'a> {
    /// Indexes every named type of `btf` by its essential name.
    pub fn new(btf: &'a Btf) -> CoreTarget<'a> {
        Self::build(btf, &btf.strings, full_heads(btf), None)
    }

    /// Indexes only the types whose essential name is one of `names` (a program needs a
    /// few dozen of a vmlinux BTF's 125 000 types).
    pub fn for_names(btf: &'a Btf, names: &HashSet<&str>) -> CoreTarget<'a> {
        Self::build(
            btf,
            &btf.strings,
            full_heads(btf),
            Some(&Wanted::new(names)),
        )
    }

    /// [`CoreTarget::for_names`] over a lazy view: one walk over the record heads, and no
    /// type decoded until a relocation asks for it.
    pub fn for_names_in(view: &'a BtfView<'a>, names: &HashSet<&str>) -> CoreTarget<'a> {
        let wanted = Wanted::new(names);
        let mut index = HashMap::default();
        for h in view.heads() {
            add(
                &mut index,
                view.strings(),
                h.id,
                h.kind,
                h.name_off,
                Some(&wanted),
            );
        }
        CoreTarget { btf: view, index }
    }

    /// Parses `data` into a lazy view and indexes the types whose essential name is one of
    /// `names` in the same walk over the records (what the loader does with the kernel's
    /// BTF: one pass over its 125 000 record heads instead of two). The same index as
    /// [`CoreTarget::for_names_in`]; [`CoreTarget::from_index`] joins the two.
    pub fn parse_indexed(
        data: &'a [u8],
        names: &HashSet<&str>,
    ) -> crate::Result<(BtfView<'a>, NameIndex<'a>)> {
        let wanted = Wanted::new(names);
        let mut index = HashMap::default();
        let view = BtfView::parse_visiting(data, |strings, h| {
            add(&mut index, strings, h.id, h.kind, h.name_off, Some(&wanted));
        })?;
        Ok((view, NameIndex(index)))
    }

    /// The target over `view` with the index [`CoreTarget::parse_indexed`] built with it.
    pub fn from_index(view: &'a BtfView<'a>, index: NameIndex<'a>) -> CoreTarget<'a> {
        CoreTarget {
            btf: view,
            index: index.0,
        }
    }

    /// Indexes the types `heads` gives as `(id, kind, name_off)` into `strings`.
    fn build(
        btf: &'a dyn BtfTypes,
        strings: &'a [u8],
        heads: impl Iterator<Item = (u32, u32, u32)>,
        only: Option<&Wanted<'_>>,
    ) -> CoreTarget<'a> {
        let mut index = HashMap::default();
        for (id, kind, name_off) in heads {
            add(&mut index, strings, id, kind, name_off, only);
        }
        CoreTarget { btf, index }
    }

    /// The target BTF.
    pub fn btf(&self) -> &'a dyn BtfTypes {
        self.btf
    }

    /// Ids of the types whose essential name is `name`, ascending.
    pub fn named(&self, name: &str) -> Vec<u32> {
        self.index
            .get(essential_bytes(name.as_bytes()))
            .cloned()
            .unwrap_or_default()
    }
}

/// The names index of a [`CoreTarget`], built while a view was parsed
/// ([`CoreTarget::parse_indexed`]).
pub struct NameIndex<'a>(Index<'a>);

type Index<'a> = HashMap<&'a [u8], Vec<u32>, FxBuild>;

/// Adds type `id` to `index` under its essential name when its kind can be a CO-RE, ksym or
/// attach root and (with `only`) the name is wanted.
fn add<'a>(
    index: &mut Index<'a>,
    strings: &'a [u8],
    id: u32,
    kind: u32,
    name_off: u32,
    only: Option<&Wanted<'_>>,
) {
    if name_off == 0 || !is_core_kind(kind) {
        return;
    }
    let Some(tail) = strings.get(name_off as usize..) else {
        return;
    };
    let Some(&b0) = tail.first() else {
        return;
    };
    if let Some(o) = only
        && !o.may(b0, tail.get(1).copied().unwrap_or(0))
    {
        return;
    }
    let Some(end) = tail.iter().position(|&b| b == 0) else {
        return;
    };
    let Some(name) = tail.get(..end).filter(|n| !n.is_empty()) else {
        return;
    };
    let key = essential_bytes(name);
    if only.is_some_and(|o| !o.names.contains(key)) {
        return;
    }
    index.entry(key).or_default().push(id);
}

/// Id, kind and name offset of every type of a parsed BTF.
fn full_heads(btf: &Btf) -> impl Iterator<Item = (u32, u32, u32)> + '_ {
    btf.types
        .iter()
        .enumerate()
        .skip(1)
        .filter_map(|(id, t)| Some((u32::try_from(id).ok()?, t.kind(), t.name_off())))
}

/// Kinds a relocation, a `__ksym` or an attach point can be rooted at (and so worth
/// indexing): INT, STRUCT, UNION, ENUM, FWD, TYPEDEF, FUNC, VAR, FLOAT, ENUM64.
fn is_core_kind(kind: u32) -> bool {
    matches!(kind, 1 | 4 | 5 | 6 | 7 | 8 | 12 | 14 | 16 | 19)
}

/// The name without a `___flavour` suffix (`task_struct___old` → `task_struct`).
pub fn essential(name: &str) -> &str {
    let n = essential_bytes(name.as_bytes()).len();
    name.get(..n).unwrap_or(name)
}

/// [`essential`] on bytes: cut at the last `X___Y` (X and Y not `_`), libbpf's
/// `bpf_core_essential_name_len`.
fn essential_bytes(b: &[u8]) -> &[u8] {
    if b.len() < 5 {
        return b;
    }
    let mut i = b.len() - 4;
    while i > 0 {
        i -= 1;
        // Fast skip: most names have no `___` at all.
        if b[i + 2] != b'_' {
            continue;
        }
        if b[i] != b'_' && b[i + 1] == b'_' && b[i + 3] == b'_' && b[i + 4] != b'_' {
            return &b[..=i];
        }
    }
    b
}
