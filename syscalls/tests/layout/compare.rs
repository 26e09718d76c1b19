//! Compares one Rust `#[repr(C)]` struct with the kernel's layout of the same thing.
//!
//! The rules (see `docs/kernels.md`):
//! * the Rust fields, padding included, tile the struct exactly (so the table lists every
//!   field, and `Default` zeroes every byte the kernel reads);
//! * every Rust field the kernel has is at the same byte offset with the same size (a kernel
//!   bitfield at the bit the Rust decoder reads);
//! * a Rust field the kernel lacks must not overlap any kernel member: it is a field of a
//!   newer kernel, past the end of this kernel's last member (a tail extension, which the
//!   kernel accepts when zero; the struct's trailing padding counts as tail: 5.10's
//!   `bpf_map_info` is 80 bytes, its last member ends at 76, where later kernels put
//!   `btf_vmlinux_id`) or in a padding hole this kernel leaves unused and zero. Both are
//!   reported, as are the kernel members rawbpf does not name (they are sent as zero).

use super::kernel::{KernelField, KernelLayout};

/// One field of a Rust struct: name, byte offset, byte size.
#[derive(Debug, Clone, Copy)]
pub struct RustField {
    pub name: &'static str,
    pub offset: usize,
    pub size: usize,
}

/// A Rust struct's size and every field, padding included.
#[derive(Debug, Clone)]
pub struct RustLayout {
    pub name: &'static str,
    pub size: usize,
    pub fields: Vec<RustField>,
}

/// The size of a field's type, without an instance: `field_size(|s: &T| &s.f)`.
pub fn field_size<T, F>(_: fn(&T) -> &F) -> usize {
    size_of::<F>()
}

/// `RustLayout` of a struct from the list of all its fields, padding included.
#[macro_export]
macro_rules! rust_layout {
    ($t:ty { $($f:ident),* $(,)? }) => {
        $crate::layout::compare::RustLayout {
            name: stringify!($t),
            size: ::std::mem::size_of::<$t>(),
            fields: vec![$($crate::layout::compare::RustField {
                name: stringify!($f),
                offset: ::std::mem::offset_of!($t, $f),
                size: $crate::layout::compare::field_size(|s: &$t| &s.$f),
            }),*],
        }
    };
}

/// How Rust names relate to the kernel's where they differ.
#[derive(Debug, Clone, Copy, Default)]
pub struct Names {
    /// Rust field → every kernel member it stands for (a flattened union's meanings, or a
    /// renamed member: `map_type` is the kernel's `type`). Absent: the Rust name itself.
    pub aliases: &'static [(&'static str, &'static [&'static str])],
    /// Kernel bitfield → (Rust field holding it, bit the Rust decoder reads it at).
    pub bitfields: &'static [(&'static str, &'static str, u32)],
}

/// What the comparison found: `errors` fail the test, `notes` are reported.
#[derive(Debug, Default)]
pub struct Findings {
    pub errors: Vec<String>,
    pub notes: Vec<String>,
}

/// The Rust fields, sorted by offset, must cover `0..size` without gaps or overlaps.
fn check_tiling(rust: &RustLayout, f: &mut Findings) {
    let mut fields = rust.fields.clone();
    fields.sort_by_key(|x| x.offset);
    let mut end = 0;
    for x in &fields {
        if x.offset != end {
            f.errors.push(format!(
                "{}: bytes {end}..{} belong to no listed field (implicit padding, or the \
                 table misses a field)",
                rust.name, x.offset
            ));
        }
        end = x.offset + x.size;
    }
    if end != rust.size {
        f.errors.push(format!(
            "{}: listed fields end at {end}, the struct at {}",
            rust.name, rust.size
        ));
    }
}

fn is_padding(x: &RustField) -> bool {
    x.name.starts_with("_pad")
}

/// Checks one kernel member against the Rust field standing for it.
fn check_member(rust: &RustLayout, x: &RustField, k: &KernelField, names: &Names) -> Vec<String> {
    let want_bits = (x.offset * 8) as u32;
    let at = |bits: u32| format!("byte {} bit {}", bits / 8, bits % 8);
    if k.bits > 0 {
        let bit = names
            .bitfields
            .iter()
            .find(|(kn, rn, _)| *kn == k.name && *rn == x.name)
            .map(|b| b.2);
        let Some(bit) = bit else {
            return vec![format!(
                "{}.{}: the kernel's {} is a {}-bit bitfield the table does not place",
                rust.name, x.name, k.name, k.bits
            )];
        };
        if k.bit_offset != want_bits + bit {
            return vec![format!(
                "{}.{}: the kernel's bitfield {} is at {}, rawbpf reads it at {}",
                rust.name,
                x.name,
                k.name,
                at(k.bit_offset),
                at(want_bits + bit)
            )];
        }
        return Vec::new();
    }
    let mut errors = Vec::new();
    if k.bit_offset != want_bits {
        errors.push(format!(
            "{}.{}: offset {} in rawbpf, the kernel's {} is at {}",
            rust.name,
            x.name,
            x.offset,
            k.name,
            at(k.bit_offset)
        ));
    }
    if k.size as usize != x.size {
        errors.push(format!(
            "{}.{}: {} bytes in rawbpf, the kernel's {} has {}",
            rust.name, x.name, x.size, k.name, k.size
        ));
    }
    errors
}

/// Checks one named Rust field: each kernel member it stands for must match it; if the
/// kernel has none of them, see [`check_unknown`].
fn check_field(
    rust: &RustLayout,
    x: &RustField,
    kernel: &KernelLayout,
    names: &Names,
    f: &mut Findings,
) {
    let own = [x.name];
    let knames: &[&str] = names
        .aliases
        .iter()
        .find(|(r, _)| *r == x.name)
        .map_or(&own, |a| a.1);
    let mut absent = Vec::new();
    for kn in knames {
        match kernel.fields.iter().find(|k| k.name == *kn) {
            Some(k) => f.errors.extend(check_member(rust, x, k, names)),
            None => absent.push(*kn),
        }
    }
    if absent.len() == knames.len() {
        check_unknown(rust, x, knames, kernel, f);
    } else if !absent.is_empty() {
        f.notes.push(format!(
            "{}.{}: this kernel has no {} (another meaning of the same slot)",
            rust.name,
            x.name,
            absent.join(" / ")
        ));
    }
}

/// A Rust field this kernel has no member of (by any of its names `knames`): a tail
/// extension past the kernel's last member, or a field filling what is a padding hole on
/// this kernel (6.1's `bpf_map_info` has an unnamed `__u32 :32` where later kernels put
/// `btf_vmlinux_id`), is reported. Overlapping a kernel member of another name is an error:
/// the layouts differ or the name table is wrong.
fn check_unknown(
    rust: &RustLayout,
    x: &RustField,
    knames: &[&str],
    kernel: &KernelLayout,
    f: &mut Findings,
) {
    let (start, end) = ((x.offset * 8) as u32, ((x.offset + x.size) * 8) as u32);
    let overlapped: Vec<&str> = kernel
        .fields
        .iter()
        .filter(|k| k.bit_offset < end && start < k.bit_offset + k.bit_len())
        .map(|k| k.name.as_str())
        .collect();
    let what = format!("{}.{} (offset {})", rust.name, x.name, x.offset);
    if !overlapped.is_empty() {
        f.errors.push(format!(
            "{what}: {} has no member {} but {} there",
            kernel.what,
            knames.join(" / "),
            overlapped.join(", ")
        ));
    } else if x.offset >= kernel.data_end as usize {
        f.notes.push(format!(
            "{what}: tail extension, {}'s last member ends at {}",
            kernel.what, kernel.data_end
        ));
    } else {
        f.notes.push(format!(
            "{what}: unknown to this kernel, a padding hole in {}",
            kernel.what
        ));
    }
}

/// The kernel members no named Rust field overlaps: rawbpf never sets or reads them.
fn unnamed_kernel_members(rust: &RustLayout, kernel: &KernelLayout) -> Vec<String> {
    let named: Vec<(u32, u32)> = rust
        .fields
        .iter()
        .filter(|x| !is_padding(x))
        .map(|x| ((x.offset * 8) as u32, ((x.offset + x.size) * 8) as u32))
        .collect();
    kernel
        .fields
        .iter()
        .filter(|k| {
            let (start, end) = (k.bit_offset, k.bit_offset + k.bit_len());
            !named.iter().any(|&(s, e)| start < e && s < end)
        })
        .map(|k| format!("{}@{}", k.name, k.bit_offset / 8))
        .collect()
}

/// Compares `rust` with `kernel` under `names`.
pub fn compare(rust: &RustLayout, kernel: &KernelLayout, names: &Names) -> Findings {
    let mut f = Findings::default();
    check_tiling(rust, &mut f);
    for x in rust.fields.iter().filter(|x| !is_padding(x)) {
        check_field(rust, x, kernel, names, &mut f);
    }
    let unnamed = unnamed_kernel_members(rust, kernel);
    if !unnamed.is_empty() {
        f.notes.push(format!(
            "{}: {} members rawbpf does not name (left zero): {}",
            rust.name,
            kernel.what,
            unnamed.join(", ")
        ));
    }
    if rust.size != kernel.size as usize {
        f.notes.push(format!(
            "{}: {} bytes, {} is {} bytes",
            rust.name, rust.size, kernel.what, kernel.size
        ));
    }
    f
}
