//! CO-RE ("compile once, run everywhere"): relocates field offsets, sizes, type ids and enum
//! values recorded in `.BTF.ext` against a target BTF; imports only `crate::btf` and the ABI.
//!
//! A faithful port of libbpf's `relo_core.c`: the access string (`0:1:2`) is parsed into a
//! local spec; candidates are the target types with the same essential name (the name with
//! any `___flavour` suffix removed) and a compatible kind; each candidate's spec is matched
//! member by member by name (looking through anonymous members); every matching candidate
//! must agree on the result. A relocation no candidate resolves is "poisoned" like libbpf
//! does: the instruction becomes a call to the invalid helper `0xbad2310`, which the verifier
//! only complains about when it is reachable, so code guarded by `bpf_core_field_exists()`
//! and friends still loads. Pure: no I/O; the loader supplies the target BTF.
//!
//! One file per step: `target` indexes the target BTF by essential name, `spec` parses access
//! strings, `matching` (with `compat`) matches candidates, `field` and `type_enum` compute
//! values, `patch` writes them, `relocate` runs one relocation end to end.

mod compat;
mod field;
mod kinds;
mod matching;
mod patch;
mod relocate;
mod spec;
mod target;
mod type_enum;

pub use compat::types_compatible;
pub use relocate::{apply, apply_all};
pub use target::{CoreTarget, NameIndex, essential};

use super::CoreReloKind;
use crate::Error;

/// The helper id libbpf writes into poisoned instructions (`0xbad2310`).
pub const POISON_HELPER: i32 = 195_896_080;
/// Longest access path (`BPF_CORE_SPEC_MAX_LEN`).
const MAX_SPEC_LEN: usize = 64;
/// Recursion bound of the type comparisons (libbpf's).
const MAX_LEVEL: i32 = 32;
/// `BTF_INT_SIGNED`.
const INT_SIGNED: u8 = 1;

/// What one relocation did, for reports and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreOutcome {
    /// Linked instruction index.
    pub insn: usize,
    pub kind: CoreReloKind,
    /// The local type's name and the access string, e.g. `task_struct` `0:12`.
    pub type_name: String,
    pub access: String,
    /// The access path in C words (`struct task_struct.pid`), empty when it does not parse.
    pub path: String,
    /// The value the compiler wrote (from the object's own BTF) and the one written now.
    pub orig: u64,
    pub new: u64,
    /// No target matched and the instruction was poisoned.
    pub poisoned: bool,
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
