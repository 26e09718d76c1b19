//! Finding a map's key and value types in a program's BTF, for maps that carry no BTF of
//! their own (the kernel refuses key/value BTF on a `SOCKHASH`, so rawbpf creates it
//! without; the types still sit in the BTF of every program that uses the map).
//!
//! A BTF-defined map is `struct { __type(key, K); __type(value, V); ... } name SEC(".maps")`:
//! a `VAR` in the `.maps` `DATASEC` whose struct has members `key` and `value` of type
//! `K *` and `V *` (see `docs/architecture.md`, `.maps` parsing).

use super::Btf;
use super::types::BtfType;

/// Longest object name the kernel keeps (`BPF_OBJ_NAME_LEN` - 1): `map_info` returns longer
/// names cut to this many bytes.
const KERNEL_NAME_LEN: usize = 15;

impl Btf {
    /// The `(key, value)` type ids of the map `map_name` declared in this BTF's `.maps`
    /// section: the pointee types of its `key` and `value` members (typedefs kept, so
    /// `__u64` stays `__u64`; [`Btf::decode`] follows them).
    ///
    /// `map_name` may be the kernel's name from `BPF_OBJ_GET_INFO_BY_FD`, cut to 15 bytes:
    /// when no variable has that exact name, the one variable whose name starts with it is
    /// taken. `None` if there is no `.maps` section, no such map (or more than one match for
    /// a cut name), or the map declares only `key_size`/`value_size`.
    pub fn map_key_value_types(&self, map_name: &str) -> Option<(u32, u32)> {
        let (_, maps) = self.datasec(".maps")?;
        let vars: Vec<(u32, &str)> = maps
            .vars
            .iter()
            .filter_map(|s| {
                let (var, name) = self.secinfo_var(s).ok()?;
                Some((var.type_id, name))
            })
            .collect();
        let def = match vars.iter().find(|(_, n)| *n == map_name) {
            Some((t, _)) => *t,
            None if map_name.len() == KERNEL_NAME_LEN => {
                let mut cut = vars.iter().filter(|(_, n)| n.starts_with(map_name));
                match (cut.next(), cut.next()) {
                    (Some((t, _)), None) => *t,
                    _ => return None,
                }
            }
            None => return None,
        };
        let BtfType::Struct(def) = self.resolve(def).ok()?.1 else {
            return None;
        };
        let pointee = |member: &str| {
            let m = def
                .members
                .iter()
                .find(|m| self.string(m.name_off).ok() == Some(member))?;
            match self.resolve(m.type_id).ok()?.1 {
                BtfType::Ptr(p) => Some(p.type_id),
                _ => None,
            }
        };
        Some((pointee("key")?, pointee("value")?))
    }
}
