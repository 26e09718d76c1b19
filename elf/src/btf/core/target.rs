//! The target-side index: a target BTF's named types by essential name (the name without a
//! `___flavour` suffix), where CO-RE looks for candidates.

use std::collections::HashMap;

use crate::btf::Btf;
use crate::btf::types::BtfType;

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
/// The index maps a name to its first type id; further ids of the same name are chained
/// through `next` (one allocation for the whole table instead of one per name). Keys are the
/// name bytes: no UTF-8 decoding in the loop over a vmlinux BTF's 130 000 types.
pub struct CoreTarget<'a> {
    btf: &'a Btf,
    first: HashMap<&'a [u8], u32, FxBuild>,
    /// `next[id]`: the next type id with the same essential name, 0 at the end.
    next: Vec<u32>,
}

impl<'a> CoreTarget<'a> {
    /// Indexes every named type of `btf` by its essential name.
    pub fn new(btf: &'a Btf) -> CoreTarget<'a> {
        Self::build(btf, None)
    }

    /// Indexes only the types whose essential name is one of `names` (what the loader uses:
    /// a program needs a few dozen of a vmlinux BTF's 130 000 types).
    pub fn for_names(btf: &'a Btf, names: &std::collections::HashSet<&str>) -> CoreTarget<'a> {
        let wanted: std::collections::HashSet<&[u8], FxBuild> = names
            .iter()
            .map(|n| essential_bytes(n.as_bytes()))
            .collect();
        Self::build(btf, Some(&wanted))
    }

    fn build(
        btf: &'a Btf,
        only: Option<&std::collections::HashSet<&[u8], FxBuild>>,
    ) -> CoreTarget<'a> {
        let mut first: HashMap<&'a [u8], u32, FxBuild> = HashMap::with_capacity_and_hasher(
            only.map_or(btf.types.len() / 2, |o| o.len()),
            FxBuild::default(),
        );
        let mut next = vec![0u32; btf.types.len()];
        let strings = btf.strings.as_slice();
        // Walk backwards so each chain comes out in ascending id order.
        for (id, t) in btf.types.iter().enumerate().skip(1).rev() {
            let name_off = t.name_off();
            if name_off == 0 || !is_core_kind(t) {
                continue;
            }
            let Some(tail) = strings.get(name_off as usize..) else {
                continue;
            };
            let Some(end) = tail.iter().position(|&b| b == 0) else {
                continue;
            };
            let key = essential_bytes(&tail[..end]);
            if only.is_some_and(|o| !o.contains(key)) {
                continue;
            }
            let Ok(id32) = u32::try_from(id) else {
                continue;
            };
            if let Some(prev) = first.insert(key, id32)
                && let Some(slot) = next.get_mut(id)
            {
                *slot = prev;
            }
        }
        CoreTarget { btf, first, next }
    }

    /// The target BTF.
    pub fn btf(&self) -> &'a Btf {
        self.btf
    }

    /// Ids of the types whose essential name is `name`, ascending.
    pub fn named(&self, name: &str) -> Vec<u32> {
        let mut out = Vec::new();
        let mut id = self
            .first
            .get(essential_bytes(name.as_bytes()))
            .copied()
            .unwrap_or(0);
        while id != 0 && out.len() < self.next.len() {
            out.push(id);
            id = self.next.get(id as usize).copied().unwrap_or(0);
        }
        out
    }
}

/// Kinds a relocation can be rooted at (and so worth indexing).
fn is_core_kind(t: &BtfType) -> bool {
    matches!(
        t,
        BtfType::Struct(_)
            | BtfType::Union(_)
            | BtfType::Enum(_)
            | BtfType::Enum64(_)
            | BtfType::Fwd(_)
            | BtfType::Typedef(_)
            | BtfType::Int(_)
            | BtfType::Float(_)
            | BtfType::Func(_)
            | BtfType::Var(_)
    )
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
