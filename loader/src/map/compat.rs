//! Is a pinned map the map the object describes? The comparison behind pinned-map reuse.
//!
//! Two layers. [`effective`] is what the kernel reports for a map rawbpf creates from a
//! definition: ring buffer sizes rounded up to a power-of-two multiple of the page size (as
//! `create::create` does before `BPF_MAP_CREATE`, like libbpf), `BPF_F_NUMA_NODE` added when
//! `numa_node` is set (the syscalls layer does), and the flags the kernel does not keep
//! dropped (`BPF_F_RDONLY`/`BPF_F_WRONLY` only shape the creating fd; `BPF_F_TOKEN_FD` only
//! names an fd). So a map rawbpf created itself always compares equal. Then, when both the
//! pinned map and the object carry BTF for the key/value, their layouts are compared
//! structurally ([`layout_mismatch`]): same sizes but different fields is the silent
//! corruption a size check cannot see.

use rawbpf_abi::MapType;
use rawbpf_abi::map_flags::{BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_TOKEN_FD, BPF_F_WRONLY};
use rawbpf_elf::MapDef;
use rawbpf_elf::btf::{Btf, BtfType};
use rawbpf_syscalls as sys;

use crate::error::Mismatch;

/// `BPF_F_RDONLY`, `BPF_F_WRONLY`: flags of the fd, not of the map (`bpf_map_flags_retain_permanent`).
const FD_ONLY_FLAGS: u32 = BPF_F_RDONLY | BPF_F_WRONLY;

/// The values the kernel reports for a map created from a definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Effective {
    pub max_entries: u32,
    pub map_flags: u32,
}

/// The page size (`sysconf(_SC_PAGESIZE)`), 4096 when it cannot be read.
pub fn page_size() -> u32 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .and_then(|v| u32::try_from(v).ok())
        .filter(|&v| v.is_power_of_two())
        .unwrap_or(4096)
}

/// A ring buffer's size as the kernel wants it: a power-of-two multiple of the page size,
/// the smallest one that holds `size` (libbpf's `adjust_ringbuf_sz`). 0 stays 0 (the
/// kernel then says what is wrong), and a size that cannot be rounded stays as it is.
pub fn ringbuf_size(size: u32, page: u32) -> u32 {
    if size == 0 || page == 0 {
        return size;
    }
    if size.is_multiple_of(page) && (size / page).is_power_of_two() {
        return size;
    }
    let mut mul: u32 = 1;
    while let Some(total) = mul.checked_mul(page) {
        if total > size {
            return total;
        }
        match mul.checked_mul(2) {
            Some(m) => mul = m,
            None => break,
        }
    }
    size
}

/// What the kernel reports for a map rawbpf creates from `def`.
pub fn effective(def: &MapDef) -> Effective {
    let max_entries = if def.map_type == MapType::RINGBUF || def.map_type == MapType::USER_RINGBUF {
        ringbuf_size(def.max_entries, page_size())
    } else {
        def.max_entries
    };
    let mut map_flags = def.map_flags & !FD_ONLY_FLAGS & !BPF_F_TOKEN_FD;
    if def.numa_node.is_some() {
        map_flags |= BPF_F_NUMA_NODE;
    }
    Effective {
        max_entries,
        map_flags,
    }
}

/// Every field of `info` that differs from `def` as the kernel would report it (type, key
/// and value size, max_entries, flags, map_extra).
pub fn compare(def: &MapDef, info: &sys::MapInfo) -> Vec<Mismatch> {
    let eff = effective(def);
    let mut out = Vec::new();
    let mut field = |field: &'static str, pinned: String, object: String| {
        if pinned != object {
            out.push(Mismatch {
                field,
                pinned,
                object,
            });
        }
    };
    field(
        "type",
        MapType(info.map_type).to_string(),
        def.map_type.to_string(),
    );
    field(
        "key_size",
        info.key_size.to_string(),
        def.key_size.to_string(),
    );
    field(
        "value_size",
        info.value_size.to_string(),
        def.value_size.to_string(),
    );
    field(
        "max_entries",
        info.max_entries.to_string(),
        eff.max_entries.to_string(),
    );
    field(
        "map_flags",
        format!("{:#x}", info.map_flags),
        format!("{:#x}", eff.map_flags),
    );
    field(
        "map_extra",
        format!("{:#x}", info.map_extra),
        format!("{:#x}", def.map_extra),
    );
    out
}

/// How deep a layout is followed (structs in structs, arrays of arrays).
const MAX_LAYOUT_DEPTH: usize = 16;
/// How many nodes a layout may have; past that the comparison stops (and says so).
const MAX_LAYOUT_NODES: usize = 4096;

/// The memory layout of a BTF type, as far as it matters for reading a map's bytes: kinds,
/// sizes, member names and offsets. Type names and typedefs do not matter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    Int {
        size: u32,
    },
    Float {
        size: u32,
    },
    Enum {
        size: u32,
    },
    Ptr,
    Array {
        nelems: u32,
        elem: Box<Layout>,
    },
    Composite {
        union: bool,
        size: u32,
        members: Vec<Field>,
    },
    /// A kind without a layout of its own (void, fwd, func, ...), or past the depth limit.
    Opaque {
        what: String,
    },
}

/// One member of a struct or union.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub bit_offset: u32,
    pub bitfield_size: u32,
    pub layout: Layout,
}

/// The layout of type `id` of `btf`; `None` when the BTF cannot say (bad id, cycle, too big).
pub fn layout(btf: &Btf, id: u32) -> Option<Layout> {
    let mut budget = MAX_LAYOUT_NODES;
    layout_at(btf, id, 0, &mut budget)
}

fn layout_at(btf: &Btf, id: u32, depth: usize, budget: &mut usize) -> Option<Layout> {
    *budget = budget.checked_sub(1)?;
    if depth > MAX_LAYOUT_DEPTH {
        return Some(Layout::Opaque {
            what: "(nested too deep)".into(),
        });
    }
    let (_, t) = btf.resolve(id).ok()?;
    Some(match t {
        BtfType::Int(i) => Layout::Int { size: i.size },
        BtfType::Float(f) => Layout::Float { size: f.size },
        BtfType::Enum(e) => Layout::Enum { size: e.size },
        BtfType::Enum64(e) => Layout::Enum { size: e.size },
        BtfType::Ptr(_) => Layout::Ptr,
        BtfType::Array(a) => Layout::Array {
            nelems: a.nelems,
            elem: Box::new(layout_at(btf, a.elem_type, depth + 1, budget)?),
        },
        BtfType::Struct(c) | BtfType::Union(c) => {
            let mut members = Vec::with_capacity(c.members.len().min(*budget));
            for m in &c.members {
                members.push(Field {
                    name: btf.string(m.name_off).ok()?.to_string(),
                    bit_offset: m.bit_offset(c.kind_flag),
                    bitfield_size: m.bitfield_size(c.kind_flag),
                    layout: layout_at(btf, m.type_id, depth + 1, budget)?,
                });
            }
            Layout::Composite {
                union: matches!(t, BtfType::Union(_)),
                size: c.size,
                members,
            }
        }
        other => Layout::Opaque {
            what: other.kind_name().to_lowercase(),
        },
    })
}

impl std::fmt::Display for Layout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Layout::Int { size } => write!(f, "int({size})"),
            Layout::Float { size } => write!(f, "float({size})"),
            Layout::Enum { size } => write!(f, "enum({size})"),
            Layout::Ptr => f.write_str("pointer"),
            Layout::Array { nelems, elem } => write!(f, "{elem}[{nelems}]"),
            Layout::Composite {
                union,
                size,
                members,
            } => {
                let kind = if *union { "union" } else { "struct" };
                write!(f, "{kind}({size}) {{ ")?;
                for (i, m) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}: ", display_name(&m.name))?;
                    match &m.layout {
                        Layout::Composite { union, size, .. } => {
                            write!(f, "{}({size})", if *union { "union" } else { "struct" })?
                        }
                        other => write!(f, "{other}")?,
                    }
                    write!(f, " @{}", offset_text(m))?;
                }
                f.write_str(" }")
            }
            Layout::Opaque { what } => f.write_str(what),
        }
    }
}

fn display_name(name: &str) -> &str {
    if name.is_empty() { "(anon)" } else { name }
}

/// A member's offset in bytes, or in bits when it is not byte-aligned or a bitfield.
fn offset_text(m: &Field) -> String {
    if m.bitfield_size == 0 && m.bit_offset.is_multiple_of(8) {
        format!("{}", m.bit_offset / 8)
    } else {
        format!("bit {}:{}", m.bit_offset, m.bitfield_size)
    }
}

/// The first place where two layouts differ: `(path, pinned, object)`.
fn first_difference(a: &Layout, b: &Layout, path: &str) -> Option<(String, String, String)> {
    let here = || {
        Some((
            if path.is_empty() {
                "(whole)".to_string()
            } else {
                path.to_string()
            },
            a.to_string(),
            b.to_string(),
        ))
    };
    match (a, b) {
        (
            Layout::Composite {
                union: ua,
                size: sa,
                members: ma,
            },
            Layout::Composite {
                union: ub,
                size: sb,
                members: mb,
            },
        ) => {
            if ua != ub || sa != sb || ma.len() != mb.len() {
                return here();
            }
            for (i, (x, y)) in ma.iter().zip(mb).enumerate() {
                let p = format!("{path}.{}", display_name(&x.name));
                if x.name != y.name
                    || x.bit_offset != y.bit_offset
                    || x.bitfield_size != y.bitfield_size
                {
                    let parent = if path.is_empty() { "" } else { " of " };
                    return Some((
                        format!("member {i}{parent}{path}"),
                        format!("{} @{}", display_name(&x.name), offset_text(x)),
                        format!("{} @{}", display_name(&y.name), offset_text(y)),
                    ));
                }
                if let Some(d) = first_difference(&x.layout, &y.layout, &p) {
                    return Some(d);
                }
            }
            None
        }
        (
            Layout::Array {
                nelems: na,
                elem: ea,
            },
            Layout::Array {
                nelems: nb,
                elem: eb,
            },
        ) => {
            if na != nb {
                return here();
            }
            first_difference(ea, eb, &format!("{path}[]"))
        }
        _ if a == b => None,
        _ => here(),
    }
}

/// Compares the layout of the pinned map's key or value type with the object's: `field` is
/// `key_type` or `value_type`. `None` when they agree or either side has no usable BTF.
pub fn layout_mismatch(
    field: &'static str,
    pinned: (&Btf, u32),
    object: (&Btf, u32),
) -> Option<Mismatch> {
    if pinned.1 == 0 || object.1 == 0 {
        return None;
    }
    let a = layout(pinned.0, pinned.1)?;
    let b = layout(object.0, object.1)?;
    let (path, pa, pb) = first_difference(&a, &b, "")?;
    Some(Mismatch {
        field,
        pinned: a.to_string(),
        object: format!("{b} (first difference at {path}: pinned {pa}, object {pb})"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rawbpf_elf::Pinning;

    fn def(map_type: MapType, max_entries: u32, flags: u32) -> MapDef {
        MapDef {
            max_entries,
            map_flags: flags,
            pinning: Pinning::ByName,
            ..crate::map::test_def("m", map_type)
        }
    }

    #[test]
    fn ringbuf_sizes_round_like_libbpf() {
        assert_eq!(ringbuf_size(4096, 4096), 4096);
        assert_eq!(ringbuf_size(1, 4096), 4096);
        assert_eq!(ringbuf_size(4097, 4096), 8192);
        assert_eq!(ringbuf_size(3 * 4096, 4096), 4 * 4096);
        assert_eq!(ringbuf_size(256 * 1024, 4096), 256 * 1024);
        assert_eq!(ringbuf_size(0, 4096), 0);
        assert_eq!(ringbuf_size(u32::MAX, 4096), u32::MAX);
    }

    #[test]
    fn effective_flags() {
        let mut d = def(MapType::HASH, 10, 1 | (1 << 3) | (1 << 7));
        assert_eq!(effective(&d).map_flags, 1 | (1 << 7));
        d.numa_node = Some(0);
        assert_eq!(effective(&d).map_flags, 1 | (1 << 7) | BPF_F_NUMA_NODE);
        let r = def(MapType::RINGBUF, 1000, 0);
        assert_eq!(effective(&r).max_entries, page_size());
    }

    #[test]
    fn layouts_differ_by_field_name() {
        let a = Layout::Composite {
            union: false,
            size: 8,
            members: vec![
                Field {
                    name: "a".into(),
                    bit_offset: 0,
                    bitfield_size: 0,
                    layout: Layout::Int { size: 4 },
                },
                Field {
                    name: "b".into(),
                    bit_offset: 32,
                    bitfield_size: 0,
                    layout: Layout::Int { size: 4 },
                },
            ],
        };
        let mut b = a.clone();
        if let Layout::Composite { members, .. } = &mut b {
            members.swap(0, 1);
            members[0].bit_offset = 0;
            members[1].bit_offset = 32;
        }
        let (path, pa, pb) = first_difference(&a, &b, "").unwrap();
        assert_eq!(path, "member 0");
        assert_eq!(pa, "a @0");
        assert_eq!(pb, "b @0");
        assert_eq!(first_difference(&a, &a, ""), None);
        assert_eq!(a.to_string(), "struct(8) { a: int(4) @0, b: int(4) @4 }");
    }
}
