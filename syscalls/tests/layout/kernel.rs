//! The kernel's side: struct layouts read from a vmlinux BTF with rawbpf's own parser.
//!
//! Anonymous nested structs and unions are flattened into their parent (that is how C names
//! their members: `attr.attach_prog_fd`, not `attr.<anon>.attach_prog_fd`), so a layout is a
//! flat list of named members with bit offsets from the start of the struct.

use rawbpf_elf::btf::{Btf, BtfType, Composite};

/// One named member of a kernel struct, anonymous parents flattened away.
#[derive(Debug, Clone)]
pub struct KernelField {
    pub name: String,
    /// Bits from the start of the struct.
    pub bit_offset: u32,
    /// Bitfield width; 0 for an ordinary member.
    pub bits: u32,
    /// Bytes of the member's type (typedefs and modifiers resolved, arrays multiplied).
    pub size: u32,
}

impl KernelField {
    /// Bits the member occupies: its bitfield width, or its type's size.
    pub fn bit_len(&self) -> u32 {
        if self.bits > 0 {
            self.bits
        } else {
            self.size * 8
        }
    }
}

/// A kernel struct (or one member of `union bpf_attr`): its size and flattened members.
#[derive(Debug, Clone)]
pub struct KernelLayout {
    /// How reports name it: `struct bpf_map_info`, `union bpf_attr.query`, ….
    pub what: String,
    pub size: u32,
    /// Where the last member ends (bytes, rounded up); `size` minus the trailing padding.
    pub data_end: u32,
    pub fields: Vec<KernelField>,
}

/// Which member of `union bpf_attr` a Rust attr struct mirrors.
#[derive(Debug, Clone, Copy)]
pub enum AttrMember {
    /// A named member: `test`, `info`, `query`.
    Named(&'static str),
    /// The anonymous member whose first (flattened) field has this name: `map_type` for
    /// `BPF_MAP_CREATE`, `prog_type` for `BPF_PROG_LOAD`, `start_id` for the id commands.
    FirstField(&'static str),
}

/// The struct or union of this kind and name, e.g. `union bpf_attr`. Declarations
/// (`BTF_KIND_FWD`) and zero-sized entries are passed over.
fn composite<'a>(btf: &'a Btf, union: bool, name: &str) -> Result<&'a Composite, String> {
    btf.types()
        .iter()
        .find_map(|t| {
            match t {
                BtfType::Struct(c) if !union => Some(c),
                BtfType::Union(c) if union => Some(c),
                _ => None,
            }
            .filter(|c| c.size > 0 && btf.name_str_fast(c.name_off) == Some(name))
        })
        .ok_or_else(|| {
            let kind = if union { "union" } else { "struct" };
            format!("the kernel's BTF has no {kind} {name}")
        })
}

/// The struct or union a member's type resolves to, if it is one.
fn as_composite(btf: &Btf, type_id: u32) -> Result<Option<&Composite>, String> {
    match btf.resolve(type_id).map_err(|e| e.to_string())?.1 {
        BtfType::Struct(c) | BtfType::Union(c) => Ok(Some(c)),
        _ => Ok(None),
    }
}

/// Appends the members of `c` (at `base` bits) to `out`, descending into anonymous
/// structs and unions. Unnamed bitfield padding (`__u32 :31;`) has no name and is left out.
fn flatten(btf: &Btf, c: &Composite, base: u32, out: &mut Vec<KernelField>) -> Result<(), String> {
    for m in &c.members {
        let name = btf.string(m.name_off).map_err(|e| e.to_string())?;
        let bit_offset = base + m.bit_offset(c.kind_flag);
        if name.is_empty() {
            if let Some(inner) = as_composite(btf, m.type_id)? {
                flatten(btf, inner, bit_offset, out)?;
            }
            continue;
        }
        out.push(KernelField {
            name: name.to_string(),
            bit_offset,
            bits: m.bitfield_size(c.kind_flag),
            size: btf.size_of(m.type_id).map_err(|e| e.to_string())?,
        });
        // A named struct or union member also lists its own members as `outer.inner`
        // (`cgroup.attach_type` of `struct bpf_link_info`).
        if let Some(inner) = as_composite(btf, m.type_id)? {
            let mut nested = Vec::new();
            flatten(btf, inner, bit_offset, &mut nested)?;
            out.extend(nested.into_iter().map(|f| KernelField {
                name: format!("{name}.{}", f.name),
                ..f
            }));
        }
    }
    Ok(())
}

/// The flattened layout of a composite, named `what` in reports.
fn layout_of(btf: &Btf, c: &Composite, what: String) -> Result<KernelLayout, String> {
    let mut fields = Vec::new();
    flatten(btf, c, 0, &mut fields)?;
    let end_bits = fields.iter().map(|f| f.bit_offset + f.bit_len()).max();
    Ok(KernelLayout {
        what,
        size: c.size,
        data_end: end_bits.unwrap_or(0).div_ceil(8),
        fields,
    })
}

/// `struct NAME` (e.g. `bpf_prog_info`) as this kernel lays it out.
pub fn struct_layout(btf: &Btf, name: &str) -> Result<KernelLayout, String> {
    let c = composite(btf, false, name)?;
    layout_of(btf, c, format!("struct {name}"))
}

/// `sizeof(union bpf_attr)` on this kernel.
pub fn bpf_attr_size(btf: &Btf) -> Result<u32, String> {
    Ok(composite(btf, true, "bpf_attr")?.size)
}

/// The member of `union bpf_attr` that `which` selects, as this kernel lays it out.
pub fn attr_layout(btf: &Btf, which: AttrMember) -> Result<KernelLayout, String> {
    let attr = composite(btf, true, "bpf_attr")?;
    for m in &attr.members {
        let Some(c) = as_composite(btf, m.type_id)? else {
            continue;
        };
        let name = btf.string(m.name_off).map_err(|e| e.to_string())?;
        match which {
            AttrMember::Named(want) if name == want => {
                return layout_of(btf, c, format!("union bpf_attr.{want}"));
            }
            AttrMember::FirstField(first) if name.is_empty() => {
                let l = layout_of(btf, c, format!("union bpf_attr {{ {first}, … }}"))?;
                if l.fields.first().is_some_and(|f| f.name == first) {
                    return Ok(l);
                }
            }
            _ => {}
        }
    }
    Err(format!("union bpf_attr has no member {which:?}"))
}
