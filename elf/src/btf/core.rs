//! CO-RE ("compile once, run everywhere"): relocating field offsets, sizes, type ids and
//! enum values recorded in `.BTF.ext` against a target BTF (the running kernel's).
//!
//! A faithful port of libbpf's `relo_core.c`: the access string (`0:1:2`) is parsed into a
//! local spec; candidates are the target types with the same essential name (the name with
//! any `___flavour` suffix removed) and a compatible kind; each candidate's spec is matched
//! member by member by name (looking through anonymous members); every matching candidate
//! must agree on the result. A relocation no candidate resolves is "poisoned" like libbpf
//! does: the instruction becomes a call to the invalid helper `0xbad2310`, which the verifier
//! only complains about when it is reachable, so code guarded by `bpf_core_field_exists()`
//! and friends still loads. Pure: no I/O; the loader supplies the target BTF.

use std::collections::HashMap;

use super::types::{BtfType, Composite};
use super::{Btf, CoreRelo, CoreReloKind};
use crate::{Error, Insn, Result};
use rawbpf_abi::insn::{
    self as op, BPF_ALU, BPF_ALU64, BPF_B, BPF_DW, BPF_H, BPF_LD, BPF_LDX, BPF_ST, BPF_STX, BPF_W,
    BPF_X,
};

/// The helper id libbpf writes into poisoned instructions (`0xbad2310`).
pub const POISON_HELPER: i32 = 195_896_080;
/// Longest access path (`BPF_CORE_SPEC_MAX_LEN`).
const MAX_SPEC_LEN: usize = 64;
/// Recursion bound of the type comparisons (libbpf's).
const MAX_LEVEL: i32 = 32;
/// `BTF_INT_SIGNED`.
const INT_SIGNED: u8 = 1;

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

/// What one relocation did, for reports and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreOutcome {
    /// Linked instruction index.
    pub insn: usize,
    pub kind: CoreReloKind,
    /// The local type's name and the access string, e.g. `task_struct` `0:12`.
    pub type_name: String,
    pub access: String,
    /// The value the compiler wrote (from the object's own BTF) and the one written now.
    pub orig: u64,
    pub new: u64,
    /// No target matched and the instruction was poisoned.
    pub poisoned: bool,
}

/// One step of an access path.
#[derive(Debug, Clone)]
struct Accessor {
    /// For a named member: the composite's id; for an array element (and the first
    /// accessor): the element type's id; for an enumerator: the enum's id.
    type_id: u32,
    idx: u32,
    name: Option<String>,
}

/// A parsed access path in one BTF (`struct bpf_core_spec`).
#[derive(Debug, Clone)]
struct Spec {
    root_type_id: u32,
    acc: Vec<Accessor>,
    raw_len: usize,
    bit_offset: u64,
}

impl Spec {
    fn new(root: u32) -> Spec {
        Spec {
            root_type_id: root,
            acc: Vec::new(),
            raw_len: 0,
            bit_offset: 0,
        }
    }

    /// Moves the offset `bits` further; an offset past `u64::MAX` bits (only hand-made BTF
    /// gets there: huge indexes into huge types) is an error, not an overflow.
    fn add_bits(&mut self, bits: u64) -> R<()> {
        match self.bit_offset.checked_add(bits) {
            Some(b) => {
                self.bit_offset = b;
                Ok(())
            }
            None => fail("field offset overflows 64 bits"),
        }
    }

    /// Moves the offset `idx` elements of `size` bytes further (checked, like [`Self::add_bits`]).
    fn add_elems(&mut self, idx: u32, size: u32) -> R<()> {
        match (u64::from(idx) * u64::from(size)).checked_mul(8) {
            Some(bits) => self.add_bits(bits),
            None => fail("field offset overflows 64 bits"),
        }
    }
}

/// Failure of one relocation, before the program name is attached.
enum Fail {
    /// Poison the instruction (libbpf's `-EUCLEAN`).
    Poison,
    Error(String),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        Fail::Error(e.to_string())
    }
}

type R<T> = std::result::Result<T, Fail>;

fn fail<T>(reason: impl Into<String>) -> R<T> {
    Err(Fail::Error(reason.into()))
}

fn is_field(kind: CoreReloKind) -> bool {
    use CoreReloKind::*;
    matches!(
        kind,
        FieldByteOffset
            | FieldByteSize
            | FieldExists
            | FieldSigned
            | FieldLshiftU64
            | FieldRshiftU64
    )
}

fn is_type(kind: CoreReloKind) -> bool {
    use CoreReloKind::*;
    matches!(
        kind,
        TypeIdLocal | TypeIdTarget | TypeExists | TypeSize | TypeMatches
    )
}

fn is_enumval(kind: CoreReloKind) -> bool {
    matches!(
        kind,
        CoreReloKind::EnumvalExists | CoreReloKind::EnumvalValue
    )
}

/// Follows typedefs and modifiers; `(id, type)`.
fn skip(btf: &Btf, id: u32) -> Result<(u32, &BtfType)> {
    btf.resolve(id)
}

fn is_any_enum(t: &BtfType) -> bool {
    matches!(t, BtfType::Enum(_) | BtfType::Enum64(_))
}

fn is_composite(t: &BtfType) -> Option<&Composite> {
    match t {
        BtfType::Struct(c) | BtfType::Union(c) => Some(c),
        _ => None,
    }
}

/// `btf_kind_core_compat`: same kind, or both enums of either width.
fn kind_compat(a: &BtfType, b: &BtfType) -> bool {
    a.kind() == b.kind() || (is_any_enum(a) && is_any_enum(b))
}

fn enum_len(t: &BtfType) -> usize {
    match t {
        BtfType::Enum(e) => e.values.len(),
        BtfType::Enum64(e) => e.values.len(),
        _ => 0,
    }
}

fn enum_name_off(t: &BtfType, i: usize) -> Option<u32> {
    match t {
        BtfType::Enum(e) => e.values.get(i).map(|v| v.name_off),
        BtfType::Enum64(e) => e.values.get(i).map(|v| v.name_off),
        _ => None,
    }
}

fn enum_value(t: &BtfType, i: usize) -> Option<u64> {
    match t {
        // A 32-bit enumerator is sign-extended when the enum is signed, as libbpf does.
        BtfType::Enum(e) => e.values.get(i).map(|v| {
            if e.signed {
                v.val as i64 as u64
            } else {
                u64::from(v.val as u32)
            }
        }),
        BtfType::Enum64(e) => e.values.get(i).map(|v| v.val),
        _ => None,
    }
}

/// `bpf_core_parse_spec`: the local access path.
fn parse_spec(btf: &Btf, type_id: u32, access: &str, kind: CoreReloKind) -> R<Spec> {
    let raw: Vec<u32> = access
        .split(':')
        .map(|p| {
            p.parse::<u32>()
                .map_err(|_| Fail::Error(format!("bad access string {access:?}")))
        })
        .collect::<R<_>>()?;
    if raw.is_empty() || raw.len() > MAX_SPEC_LEN {
        return fail(format!("bad access string {access:?}"));
    }
    let mut spec = Spec::new(type_id);
    spec.raw_len = raw.len();
    if is_type(kind) {
        if access != "0" {
            return fail(format!(
                "type relocation with access string {access:?}, expected \"0\""
            ));
        }
        return Ok(spec);
    }
    let (mut id, t) = skip(btf, type_id)?;
    let first = raw[0];
    if is_enumval(kind) {
        if !is_any_enum(t) || raw.len() > 1 || first as usize >= enum_len(t) {
            return fail(format!(
                "enum value relocation with access string {access:?} on a {}",
                t.kind_name()
            ));
        }
        let name = btf
            .string(enum_name_off(t, first as usize).unwrap_or(0))?
            .to_owned();
        spec.acc.push(Accessor {
            type_id: id,
            idx: first,
            name: Some(name),
        });
        return Ok(spec);
    }
    if !is_field(kind) {
        return fail(format!("unknown relocation kind {}", kind.to_u32()));
    }
    spec.acc.push(Accessor {
        type_id: id,
        idx: first,
        name: None,
    });
    spec.add_elems(first, btf.size_of(id)?)?;
    for &idx in &raw[1..] {
        let (tid, t) = skip(btf, id)?;
        id = tid;
        if let Some(c) = is_composite(t) {
            let Some(m) = c.members.get(idx as usize) else {
                return fail(format!("member {idx} past the end of type {id}"));
            };
            spec.add_bits(u64::from(m.bit_offset(c.kind_flag)))?;
            if m.name_off != 0 {
                let name = btf.string(m.name_off)?;
                if name.is_empty() {
                    return fail("member with an empty name");
                }
                spec.acc.push(Accessor {
                    type_id: id,
                    idx,
                    name: Some(name.to_owned()),
                });
            }
            id = m.type_id;
        } else if let BtfType::Array(a) = t {
            let (elem, _) = skip(btf, a.elem_type)?;
            let flex = spec
                .acc
                .last()
                .is_some_and(|prev| is_flex_arr(btf, prev, a.nelems));
            if !flex && idx >= a.nelems {
                return fail(format!("array index {idx} past {} elements", a.nelems));
            }
            spec.acc.push(Accessor {
                type_id: elem,
                idx,
                name: None,
            });
            spec.add_elems(idx, btf.size_of(elem)?)?;
            id = elem;
        } else {
            return fail(format!(
                "access string {access:?} goes into a {}",
                t.kind_name()
            ));
        }
    }
    Ok(spec)
}

/// A zero-length array that is the last member of its struct (flexible array member).
fn is_flex_arr(btf: &Btf, acc: &Accessor, nelems: u32) -> bool {
    if acc.name.is_none() || nelems > 0 {
        return false;
    }
    match btf.type_by_id(acc.type_id) {
        Ok(t) => is_composite(t)
            .is_some_and(|c| c.members.len().checked_sub(1) == Some(acc.idx as usize)),
        Err(_) => false,
    }
}

/// Whether local type `lid` and target type `tid` are compatible the way CO-RE type
/// relocations and libbpf's `__ksym` checks compare them (`bpf_core_types_are_compat`).
pub fn types_compatible(local: &Btf, lid: u32, targ: &Btf, tid: u32) -> Result<bool> {
    types_are_compat(local, lid, targ, tid, MAX_LEVEL)
}

/// `bpf_core_types_are_compat`.
fn types_are_compat(
    local: &Btf,
    mut lid: u32,
    targ: &Btf,
    mut tid: u32,
    level: i32,
) -> Result<bool> {
    let start = lid;
    if !kind_compat(local.type_by_id(lid)?, targ.type_by_id(tid)?) {
        return Ok(false);
    }
    for _ in 0..MAX_LEVEL {
        let (_, lt) = skip(local, lid)?;
        let (_, tt) = skip(targ, tid)?;
        if !kind_compat(lt, tt) {
            return Ok(false);
        }
        match (lt, tt) {
            (BtfType::Void, _)
            | (BtfType::Struct(_), _)
            | (BtfType::Union(_), _)
            | (BtfType::Enum(_), _)
            | (BtfType::Enum64(_), _)
            | (BtfType::Fwd(_), _) => return Ok(true),
            (BtfType::Int(a), BtfType::Int(b)) => return Ok(a.offset == 0 && b.offset == 0),
            (BtfType::Ptr(a), BtfType::Ptr(b)) => (lid, tid) = (a.type_id, b.type_id),
            (BtfType::Array(a), BtfType::Array(b)) => (lid, tid) = (a.elem_type, b.elem_type),
            (BtfType::FuncProto(a), BtfType::FuncProto(b)) => {
                if a.params.len() != b.params.len() {
                    return Ok(false);
                }
                for (pa, pb) in a.params.iter().zip(&b.params) {
                    if level <= 0 {
                        return Err(Error::BtfType {
                            type_id: start,
                            reason: "types nest too deeply".into(),
                        });
                    }
                    let (la, _) = skip(local, pa.type_id)?;
                    let (tb, _) = skip(targ, pb.type_id)?;
                    if !types_are_compat(local, la, targ, tb, level - 1)? {
                        return Ok(false);
                    }
                }
                (lid, tid) = (a.return_type, b.return_type);
            }
            _ => return Ok(false),
        }
    }
    Err(Error::BtfType {
        type_id: start,
        reason: "types nest too deeply".into(),
    })
}

/// `bpf_core_fields_are_compat`.
fn fields_are_compat(local: &Btf, mut lid: u32, targ: &Btf, mut tid: u32) -> Result<bool> {
    let start = lid;
    for _ in 0..MAX_LEVEL {
        let (_, lt) = skip(local, lid)?;
        let (_, tt) = skip(targ, tid)?;
        if is_composite(lt).is_some() && is_composite(tt).is_some() {
            return Ok(true);
        }
        if !kind_compat(lt, tt) {
            return Ok(false);
        }
        match (lt, tt) {
            (BtfType::Ptr(_), _) | (BtfType::Float(_), _) => return Ok(true),
            (BtfType::Fwd(_) | BtfType::Enum(_) | BtfType::Enum64(_), _) => {
                let ln = essential(local.string(lt.name_off())?);
                let tn = essential(targ.string(tt.name_off())?);
                return Ok(ln.is_empty() || tn.is_empty() || ln == tn);
            }
            (BtfType::Int(a), BtfType::Int(b)) => return Ok(a.offset == 0 && b.offset == 0),
            (BtfType::Array(a), BtfType::Array(b)) => (lid, tid) = (a.elem_type, b.elem_type),
            _ => return Ok(false),
        }
    }
    Err(Error::BtfType {
        type_id: start,
        reason: "types nest too deeply".into(),
    })
}

/// `bpf_core_names_match`: essential names equal, or either anonymous.
fn names_match(local: &Btf, lname: u32, targ: &Btf, tname: u32) -> Result<bool> {
    let l = local.string(lname)?;
    let t = targ.string(tname)?;
    Ok(l.is_empty() || t.is_empty() || essential(l) == essential(t))
}

/// `bpf_core_types_match` (the stricter relation behind `bpf_core_type_matches()`).
fn types_match(
    local: &Btf,
    mut lid: u32,
    targ: &Btf,
    mut tid: u32,
    mut behind_ptr: bool,
    level: i32,
) -> Result<bool> {
    let start = lid;
    let deep = || Error::BtfType {
        type_id: start,
        reason: "types nest too deeply".into(),
    };
    if level <= 0 {
        return Err(deep());
    }
    for _ in 0..MAX_LEVEL {
        let (_, lt) = skip(local, lid)?;
        let (_, tt) = skip(targ, tid)?;
        if !names_match(local, lt.name_off(), targ, tt.name_off())? {
            return Ok(false);
        }
        match lt {
            BtfType::Void => return Ok(matches!(tt, BtfType::Void)),
            BtfType::Fwd(lf) => {
                return Ok(match tt {
                    BtfType::Fwd(tf) => lf.is_union == tf.is_union,
                    BtfType::Struct(_) if behind_ptr => !lf.is_union,
                    BtfType::Union(_) if behind_ptr => lf.is_union,
                    _ => false,
                });
            }
            BtfType::Enum(_) | BtfType::Enum64(_) => {
                if !is_any_enum(tt) {
                    return Ok(false);
                }
                return enums_match(local, lt, targ, tt);
            }
            BtfType::Struct(lc) | BtfType::Union(lc) => {
                let local_union = matches!(lt, BtfType::Union(_));
                if behind_ptr {
                    return Ok(match tt {
                        BtfType::Fwd(tf) => tf.is_union == local_union,
                        _ => lt.kind() == tt.kind(),
                    });
                }
                if lt.kind() != tt.kind() {
                    return Ok(false);
                }
                let Some(tc) = is_composite(tt) else {
                    return Ok(false);
                };
                return composites_match(local, lc, targ, tc, behind_ptr, level);
            }
            BtfType::Int(a) => {
                let BtfType::Int(b) = tt else {
                    return Ok(false);
                };
                return Ok(
                    a.size == b.size && (a.encoding & INT_SIGNED) == (b.encoding & INT_SIGNED)
                );
            }
            BtfType::Ptr(a) => {
                let BtfType::Ptr(b) = tt else {
                    return Ok(false);
                };
                behind_ptr = true;
                (lid, tid) = (a.type_id, b.type_id);
            }
            BtfType::Array(a) => {
                let BtfType::Array(b) = tt else {
                    return Ok(false);
                };
                if a.nelems != b.nelems {
                    return Ok(false);
                }
                (lid, tid) = (a.elem_type, b.elem_type);
            }
            BtfType::FuncProto(a) => {
                let BtfType::FuncProto(b) = tt else {
                    return Ok(false);
                };
                if a.params.len() != b.params.len() {
                    return Ok(false);
                }
                for (pa, pb) in a.params.iter().zip(&b.params) {
                    if !types_match(local, pa.type_id, targ, pb.type_id, behind_ptr, level - 1)? {
                        return Ok(false);
                    }
                }
                (lid, tid) = (a.return_type, b.return_type);
            }
            _ => return Ok(false),
        }
    }
    Err(deep())
}

fn enums_match(local: &Btf, lt: &BtfType, targ: &Btf, tt: &BtfType) -> Result<bool> {
    let size = |t: &BtfType| match t {
        BtfType::Enum(e) => e.size,
        BtfType::Enum64(e) => e.size,
        _ => 0,
    };
    if size(lt) != size(tt) || enum_len(lt) > enum_len(tt) {
        return Ok(false);
    }
    for i in 0..enum_len(lt) {
        let ln = enum_name_off(lt, i).unwrap_or(0);
        let mut matched = false;
        for j in 0..enum_len(tt) {
            if names_match(local, ln, targ, enum_name_off(tt, j).unwrap_or(0))? {
                matched = true;
                break;
            }
        }
        if !matched {
            return Ok(false);
        }
    }
    Ok(true)
}

fn composites_match(
    local: &Btf,
    lc: &Composite,
    targ: &Btf,
    tc: &Composite,
    behind_ptr: bool,
    level: i32,
) -> Result<bool> {
    if lc.members.len() > tc.members.len() {
        return Ok(false);
    }
    for lm in &lc.members {
        let mut matched = false;
        for tm in &tc.members {
            if !names_match(local, lm.name_off, targ, tm.name_off)? {
                continue;
            }
            if types_match(local, lm.type_id, targ, tm.type_id, behind_ptr, level - 1)? {
                matched = true;
                break;
            }
        }
        if !matched {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `bpf_core_match_member`: finds the local accessor's member in target composite `tid`,
/// looking through anonymous members; appends to `spec`. Returns the member's type id.
fn match_member(
    local: &Btf,
    lacc: &Accessor,
    targ: &Btf,
    tid: u32,
    spec: &mut Spec,
    depth: u32,
) -> R<Option<u32>> {
    if depth > MAX_SPEC_LEN as u32 {
        return fail("struct nesting too deep");
    }
    let (tid, tt) = skip(targ, tid)?;
    let Some(tc) = is_composite(tt) else {
        return Ok(None);
    };
    let Some(lc) = local.type_by_id(lacc.type_id).ok().and_then(is_composite) else {
        return fail("local accessor is not in a struct or union");
    };
    let Some(lm) = lc.members.get(lacc.idx as usize) else {
        return fail("local member index out of range");
    };
    let lname = lacc.name.as_deref().unwrap_or("");
    for (i, m) in tc.members.iter().enumerate() {
        if spec.raw_len >= MAX_SPEC_LEN {
            return fail("access path too long");
        }
        let bit = u64::from(m.bit_offset(tc.kind_flag));
        spec.add_bits(bit)?;
        spec.raw_len += 1;
        let tname = targ.string(m.name_off)?;
        if tname.is_empty() {
            if let Some(found) = match_member(local, lacc, targ, m.type_id, spec, depth + 1)? {
                return Ok(Some(found));
            }
        } else if tname == lname {
            if !fields_are_compat(local, lm.type_id, targ, m.type_id)? {
                return Ok(None);
            }
            spec.acc.push(Accessor {
                type_id: tid,
                idx: u32::try_from(i).unwrap_or(u32::MAX),
                name: Some(tname.to_owned()),
            });
            return Ok(Some(m.type_id));
        }
        spec.bit_offset -= bit;
        spec.raw_len -= 1;
    }
    Ok(None)
}

/// `bpf_core_spec_match`: the target spec for candidate `targ_id`, if it matches.
fn spec_match(
    local: &Btf,
    lspec: &Spec,
    kind: CoreReloKind,
    targ: &Btf,
    targ_id: u32,
) -> R<Option<Spec>> {
    let mut spec = Spec::new(targ_id);
    if is_type(kind) {
        let ok = if kind == CoreReloKind::TypeMatches {
            types_match(local, lspec.root_type_id, targ, targ_id, false, MAX_LEVEL)?
        } else {
            types_are_compat(local, lspec.root_type_id, targ, targ_id, MAX_LEVEL)?
        };
        return Ok(ok.then_some(spec));
    }
    let Some(first) = lspec.acc.first() else {
        return fail("empty access path");
    };
    if is_enumval(kind) {
        let (tid, tt) = skip(targ, targ_id)?;
        if !is_any_enum(tt) {
            return Ok(None);
        }
        let lname = essential(first.name.as_deref().unwrap_or(""));
        for i in 0..enum_len(tt) {
            let tname = targ.string(enum_name_off(tt, i).unwrap_or(0))?;
            if essential(tname) == lname {
                spec.acc.push(Accessor {
                    type_id: tid,
                    idx: u32::try_from(i).unwrap_or(u32::MAX),
                    name: Some(tname.to_owned()),
                });
                spec.raw_len = 1;
                return Ok(Some(spec));
            }
        }
        return Ok(None);
    }
    let mut tid = targ_id;
    for (i, lacc) in lspec.acc.iter().enumerate() {
        let (t, tt) = skip(targ, tid)?;
        tid = t;
        if lacc.name.is_some() {
            match match_member(local, lacc, targ, tid, &mut spec, 0)? {
                Some(next) => tid = next,
                None => return Ok(None),
            }
        } else {
            if i > 0 {
                let BtfType::Array(a) = tt else {
                    return Ok(None);
                };
                let flex = spec
                    .acc
                    .last()
                    .is_some_and(|prev| is_flex_arr(targ, prev, a.nelems));
                if !flex && lacc.idx >= a.nelems {
                    return Ok(None);
                }
                tid = skip(targ, a.elem_type)?.0;
            }
            if spec.raw_len >= MAX_SPEC_LEN {
                return fail("access path too long");
            }
            spec.acc.push(Accessor {
                type_id: tid,
                idx: lacc.idx,
                name: None,
            });
            spec.raw_len += 1;
            spec.add_elems(lacc.idx, targ.size_of(tid)?)?;
        }
    }
    Ok(Some(spec))
}

/// A computed field value and, for offsets, the memory size and type it refers to.
#[derive(Debug, Clone, Copy, Default)]
struct FieldVal {
    val: u64,
    size: u32,
    type_id: u32,
    validate: bool,
}

/// `bpf_core_calc_field_relo`.
fn field_value(btf: &Btf, spec: Option<&Spec>, kind: CoreReloKind) -> R<FieldVal> {
    if kind == CoreReloKind::FieldExists {
        return Ok(FieldVal {
            val: u64::from(spec.is_some()),
            validate: true,
            ..FieldVal::default()
        });
    }
    let Some(spec) = spec else {
        return Err(Fail::Poison);
    };
    let Some(acc) = spec.acc.last() else {
        return fail("empty access path");
    };
    let mut out = FieldVal {
        validate: true,
        ..FieldVal::default()
    };
    let Some(name) = &acc.name else {
        let size = btf.size_of(acc.type_id)?;
        match kind {
            CoreReloKind::FieldByteOffset => {
                out.val = spec.bit_offset / 8;
                out.size = size;
                out.type_id = acc.type_id;
            }
            CoreReloKind::FieldByteSize => out.val = u64::from(size),
            _ => return fail("relocation kind cannot be applied to an array element"),
        }
        return Ok(out);
    };
    let _ = name;
    let Some(c) = btf.type_by_id(acc.type_id).ok().and_then(is_composite) else {
        return fail("field accessor is not in a struct or union");
    };
    let Some(m) = c.members.get(acc.idx as usize) else {
        return fail("member index out of range");
    };
    let (field_type, mt) = skip(btf, m.type_id)?;
    let bit_off = spec.bit_offset;
    let mut bit_sz = u64::from(m.bitfield_size(c.kind_flag));
    let bitfield = bit_sz > 0;
    if !bitfield {
        bit_sz = u64::from(btf.size_of(field_type)?) * 8;
    }
    let Some(bit_end) = bit_off.checked_add(bit_sz) else {
        return fail("field end overflows 64 bits");
    };
    let (byte_off, byte_sz) = if bitfield {
        let mut byte_sz = u64::from(btf.size_of(field_type)?);
        if byte_sz == 0 {
            return fail("bitfield of a zero-sized type");
        }
        // `byte_off * 8 <= bit_off` throughout, so the subtraction cannot underflow.
        let mut byte_off = bit_off / 8 / byte_sz * byte_sz;
        while bit_end - byte_off * 8 > byte_sz * 8 {
            if byte_sz >= 8 {
                return fail("bitfield cannot be read with one 64-bit load");
            }
            byte_sz *= 2;
            byte_off = bit_off / 8 / byte_sz * byte_sz;
        }
        (byte_off, byte_sz)
    } else {
        (bit_off / 8, bit_sz / 8)
    };
    out.validate = !bitfield;
    match kind {
        CoreReloKind::FieldByteOffset => {
            out.val = byte_off;
            if !bitfield {
                out.size = u32::try_from(byte_sz).unwrap_or(u32::MAX);
                out.type_id = field_type;
            }
        }
        CoreReloKind::FieldByteSize => out.val = byte_sz,
        CoreReloKind::FieldSigned => {
            out.val = u64::from(match mt {
                BtfType::Enum(e) => e.signed,
                BtfType::Enum64(e) => e.signed,
                BtfType::Int(i) => i.encoding & INT_SIGNED != 0,
                _ => false,
            });
            out.validate = true;
        }
        // Little-endian: rawbpf loads only into little-endian kernels.
        CoreReloKind::FieldLshiftU64 => out.val = 64u64.wrapping_sub(bit_end - byte_off * 8),
        // Wraps for a non-bitfield member wider than 64 bits, as libbpf's `__u32`
        // arithmetic does (no program shifts such a member).
        CoreReloKind::FieldRshiftU64 => {
            out.val = 64u64.wrapping_sub(bit_sz);
            out.validate = true;
        }
        _ => return fail("not a field relocation"),
    }
    Ok(out)
}

/// `bpf_core_calc_type_relo`.
fn type_value(btf: &Btf, spec: Option<&Spec>, kind: CoreReloKind) -> R<u64> {
    let Some(spec) = spec else { return Ok(0) };
    Ok(match kind {
        CoreReloKind::TypeIdTarget => u64::from(spec.root_type_id),
        CoreReloKind::TypeExists | CoreReloKind::TypeMatches => 1,
        CoreReloKind::TypeSize => u64::from(btf.size_of(spec.root_type_id)?),
        _ => return fail("not a type relocation"),
    })
}

/// `bpf_core_calc_enumval_relo`.
fn enumval_value(btf: &Btf, spec: Option<&Spec>, kind: CoreReloKind) -> R<u64> {
    match kind {
        CoreReloKind::EnumvalExists => Ok(u64::from(spec.is_some())),
        CoreReloKind::EnumvalValue => {
            let Some(spec) = spec else {
                return Err(Fail::Poison);
            };
            let Some(acc) = spec.acc.first() else {
                return fail("empty access path");
            };
            let t = btf.type_by_id(acc.type_id)?;
            enum_value(t, acc.idx as usize)
                .ok_or_else(|| Fail::Error("enumerator out of range".into()))
        }
        _ => fail("not an enum value relocation"),
    }
}

/// The outcome of `bpf_core_calc_relo` for one (local, target) pair.
#[derive(Debug, Clone, Copy, Default)]
struct Res {
    orig: u64,
    new: u64,
    poison: bool,
    validate: bool,
    orig_sz: u32,
    new_sz: u32,
    fail_memsz_adjust: bool,
}

fn calc(local: &Btf, lspec: &Spec, targ: &Btf, tspec: Option<&Spec>, kind: CoreReloKind) -> R<Res> {
    let mut res = Res {
        validate: true,
        ..Res::default()
    };
    let outcome: R<()> = (|| {
        if is_field(kind) {
            let o = field_value(local, Some(lspec), kind)?;
            res.orig = o.val;
            res.orig_sz = o.size;
            res.validate = o.validate;
            let n = field_value(targ, tspec, kind)?;
            res.new = n.val;
            res.new_sz = n.size;
            if res.orig_sz != res.new_sz {
                let ot = local.type_by_id(o.type_id)?;
                let nt = targ.type_by_id(n.type_id)?;
                let safe = matches!((ot, nt), (BtfType::Ptr(_), BtfType::Ptr(_)))
                    || matches!((ot, nt), (BtfType::Int(a), BtfType::Int(b)) if a.encoding & INT_SIGNED == 0 && b.encoding & INT_SIGNED == 0);
                res.fail_memsz_adjust = !safe;
            }
        } else if is_type(kind) {
            res.orig = type_value(local, Some(lspec), kind)?;
            res.new = type_value(targ, tspec, kind)?;
        } else {
            res.orig = enumval_value(local, Some(lspec), kind)?;
            res.new = enumval_value(targ, tspec, kind)?;
        }
        Ok(())
    })();
    match outcome {
        Ok(()) => Ok(res),
        Err(Fail::Poison) => Ok(Res {
            poison: true,
            ..res
        }),
        Err(e) => Err(e),
    }
}

/// Bytes of a load/store size field.
fn size_bytes(code: u8) -> u32 {
    match op::size(code) {
        BPF_W => 4,
        BPF_H => 2,
        BPF_B => 1,
        _ => 8,
    }
}

fn size_code(bytes: u32) -> Option<u8> {
    Some(match bytes {
        4 => BPF_W,
        2 => BPF_H,
        1 => BPF_B,
        8 => BPF_DW,
        _ => return None,
    })
}

/// Turns an instruction into a call of the invalid helper (libbpf's poisoning).
fn poison(insn: &mut Insn) {
    *insn = Insn {
        code: Insn::CALL,
        dst_reg: 0,
        src_reg: 0,
        off: 0,
        imm: POISON_HELPER,
    };
}

/// `bpf_core_patch_insn`.
fn patch(insns: &mut [Insn], at: usize, res: &Res) -> R<()> {
    let Some(&insn) = insns.get(at) else {
        return fail("instruction index past the end");
    };
    let poison_all = |insns: &mut [Insn]| {
        if insn.is_ld_imm64()
            && let Some(next) = insns.get_mut(at + 1)
        {
            poison(next);
        }
        if let Some(i) = insns.get_mut(at) {
            poison(i);
        }
    };
    if res.poison {
        poison_all(insns);
        return Ok(());
    }
    let new = res.new;
    match op::class(insn.code) {
        // ALU / ALU64 with an immediate.
        BPF_ALU | BPF_ALU64 => {
            if op::source(insn.code) == BPF_X {
                return fail("ALU instruction does not use an immediate");
            }
            if res.validate && i64::from(insn.imm) as u64 & 0xffff_ffff != res.orig & 0xffff_ffff {
                return fail(format!(
                    "instruction holds {}, expected {}",
                    insn.imm, res.orig
                ));
            }
            if let Some(i) = insns.get_mut(at) {
                i.imm = new as u32 as i32;
            }
        }
        BPF_LDX | BPF_ST | BPF_STX => {
            if res.validate && i64::from(insn.off) as u64 != res.orig {
                return fail(format!(
                    "instruction offset is {}, expected {}",
                    insn.off, res.orig
                ));
            }
            if new > i16::MAX as u64 {
                return fail(format!("offset {new} does not fit a load/store"));
            }
            if res.fail_memsz_adjust {
                poison_all(insns);
                return Ok(());
            }
            let mut code = insn.code;
            if res.new_sz != res.orig_sz {
                if size_bytes(insn.code) != res.orig_sz {
                    return fail(format!(
                        "load/store of {} bytes, expected {}",
                        size_bytes(insn.code),
                        res.orig_sz
                    ));
                }
                let Some(sz) = size_code(res.new_sz) else {
                    return fail(format!("field size {} cannot be loaded", res.new_sz));
                };
                // The code with its size field replaced.
                code = (insn.code ^ op::size(insn.code)) | sz;
            }
            if let Some(i) = insns.get_mut(at) {
                i.off = new as i16;
                i.code = code;
            }
        }
        // LD: only ld_imm64.
        BPF_LD => {
            let next = insns.get(at + 1).copied();
            let Some(next) = next.filter(|n| {
                insn.is_ld_imm64()
                    && insn.src_reg == 0
                    && insn.off == 0
                    && n.code == 0
                    && n.dst_reg == 0
                    && n.src_reg == 0
                    && n.off == 0
            }) else {
                return fail("ld_imm64 has an unexpected form");
            };
            let imm = u64::from(insn.imm as u32) | (u64::from(next.imm as u32) << 32);
            if res.validate && imm != res.orig {
                return fail(format!("ld_imm64 holds {imm}, expected {}", res.orig));
            }
            if let Some(i) = insns.get_mut(at) {
                i.imm = new as u32 as i32;
            }
            if let Some(i) = insns.get_mut(at + 1) {
                i.imm = (new >> 32) as u32 as i32;
            }
        }
        _ => {
            return fail(format!(
                "cannot relocate instruction with opcode {:#04x}",
                insn.code
            ));
        }
    }
    Ok(())
}

/// Applies one relocation to `insns` (linked; `relo.insn_off` is an instruction index).
pub fn apply(
    local: &Btf,
    target: &CoreTarget<'_>,
    relo: &CoreRelo,
    insns: &mut [Insn],
) -> Result<CoreOutcome> {
    let at = relo.insn_off as usize;
    let access = local.string(relo.access_str_off)?.to_owned();
    let type_name = local.type_name(relo.type_id)?.to_owned();
    let err = |reason: String| Error::BtfType {
        type_id: relo.type_id,
        reason: format!(
            "CO-RE relocation at instruction {at} ({:?} of {type_name} {access}): {reason}",
            relo.kind
        ),
    };
    let run = || -> R<Res> {
        let lspec = parse_spec(local, relo.type_id, &access, relo.kind)?;
        if relo.kind == CoreReloKind::TypeIdLocal {
            let id = u64::from(lspec.root_type_id);
            return Ok(Res {
                orig: id,
                new: id,
                validate: false,
                ..Res::default()
            });
        }
        if let CoreReloKind::Unknown(k) = relo.kind {
            return fail(format!("unknown relocation kind {k}"));
        }
        let ltype = local.type_by_id(relo.type_id)?;
        let lname = local.string(ltype.name_off())?;
        if lname.is_empty() {
            return fail("relocations against anonymous types are not supported");
        }
        let targ = target.btf();
        let mut chosen: Option<(Res, Spec)> = None;
        for cand in target.named(lname) {
            let ct = targ.type_by_id(cand)?;
            if !kind_compat(ltype, ct) || essential(targ.string(ct.name_off())?) != essential(lname)
            {
                continue;
            }
            let Some(tspec) = spec_match(local, &lspec, relo.kind, targ, cand)? else {
                continue;
            };
            let res = calc(local, &lspec, targ, Some(&tspec), relo.kind)?;
            match &chosen {
                None => chosen = Some((res, tspec)),
                Some((prev, pspec)) => {
                    if is_field(relo.kind) && pspec.bit_offset != tspec.bit_offset {
                        return fail(format!(
                            "field offset ambiguity: candidates at bit {} and {}",
                            pspec.bit_offset, tspec.bit_offset
                        ));
                    }
                    if prev.poison != res.poison || prev.new != res.new {
                        return fail(format!("candidates disagree: {} vs {}", prev.new, res.new));
                    }
                }
            }
        }
        match chosen {
            Some((res, _)) => Ok(res),
            None => calc(local, &lspec, targ, None, relo.kind),
        }
    };
    let res = match run() {
        Ok(res) => res,
        Err(Fail::Poison) => Res {
            poison: true,
            ..Res::default()
        },
        Err(Fail::Error(reason)) => return Err(err(reason)),
    };
    match patch(insns, at, &res) {
        Ok(()) => {}
        Err(Fail::Poison) => {}
        Err(Fail::Error(reason)) => return Err(err(reason)),
    }
    Ok(CoreOutcome {
        insn: at,
        kind: relo.kind,
        type_name,
        access,
        orig: res.orig,
        new: res.new,
        poisoned: res.poison || (res.fail_memsz_adjust && is_field(relo.kind)),
    })
}

/// Applies every CO-RE relocation of a program (as linked by [`crate::Object::parse`]) to its
/// instructions in place.
pub fn apply_all(
    local: &Btf,
    target: &CoreTarget<'_>,
    program: &mut crate::Program,
) -> Result<Vec<CoreOutcome>> {
    let relos = program.core_relos.clone();
    let mut out = Vec::with_capacity(relos.len());
    for relo in &relos {
        out.push(
            apply(local, target, relo, &mut program.insns).map_err(|e| Error::Program {
                program: program.name.clone(),
                reason: e.to_string(),
            })?,
        );
    }
    Ok(out)
}
