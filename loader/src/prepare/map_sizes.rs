//! `--map NAME.FIELD=N`: map sizes set at run time, as user-space tools set them before
//! load (a stack-trace map sized by the stack depth, a buffer by the CPU count). Applied to
//! the parsed definitions before anything is decided, so creation, the comparison with a
//! pinned map and the report all see the overridden size.

use rawbpf_elf::Object;

use crate::error::{Error, Mismatch, Result};

/// A size of a map definition that `--map` may set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapField {
    MaxEntries,
    KeySize,
    ValueSize,
}

impl MapField {
    /// The name on the command line, also the field name of a pinned-map mismatch.
    pub fn name(self) -> &'static str {
        match self {
            MapField::MaxEntries => "max_entries",
            MapField::KeySize => "key_size",
            MapField::ValueSize => "value_size",
        }
    }
}

/// One `--map NAME.FIELD=N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapSize {
    pub map: String,
    pub field: MapField,
    pub value: u32,
}

impl MapSize {
    /// Parses `NAME.FIELD=N` (FIELD: `max_entries`, `key_size`, `value_size`).
    pub fn parse(arg: &str) -> std::result::Result<MapSize, String> {
        let bad = || format!("expected NAME.max_entries|key_size|value_size=N, got {arg:?}");
        let (lhs, n) = arg.split_once('=').ok_or_else(bad)?;
        let (map, field) = lhs.rsplit_once('.').ok_or_else(bad)?;
        let field = [MapField::MaxEntries, MapField::KeySize, MapField::ValueSize]
            .into_iter()
            .find(|f| f.name() == field)
            .ok_or_else(bad)?;
        let value = n
            .parse::<u32>()
            .map_err(|_| format!("{arg:?}: {n:?} is not a number from 0 to {}", u32::MAX))?;
        if map.is_empty() {
            return Err(bad());
        }
        Ok(MapSize {
            map: map.to_string(),
            field,
            value,
        })
    }

    /// `--map NAME.FIELD=N` as given.
    pub fn arg(&self) -> String {
        format!("--map {}.{}={}", self.map, self.field.name(), self.value)
    }
}

/// Sets the sizes; a map the object does not have is a usage error with the nearest name.
/// A key or value size set this way drops that side's BTF type (the kernel requires the
/// type's size to equal it), as libbpf retries without BTF.
pub fn apply(obj: &mut Object, sizes: &[MapSize]) -> Result<()> {
    for s in sizes {
        let Some(def) = obj.maps.iter_mut().find(|m| m.name == s.map) else {
            let names = obj.maps.iter().map(|m| m.name.as_str());
            let near = crate::suggest::closest(&s.map, names)
                .map(|n| format!("; did you mean {n}?"))
                .unwrap_or_default();
            let all: Vec<&str> = obj.maps.iter().map(|m| m.name.as_str()).collect();
            return Err(Error::BadArgument {
                what: format!(
                    "{}: the object has no map {}{near} (it has: {})",
                    s.arg(),
                    s.map,
                    all.join(", ")
                ),
            });
        };
        match s.field {
            MapField::MaxEntries => def.max_entries = s.value,
            MapField::KeySize => {
                def.key_size = s.value;
                def.btf_key_type_id = None;
            }
            MapField::ValueSize => {
                def.value_size = s.value;
                def.btf_value_type_id = None;
            }
        }
    }
    Ok(())
}

/// Names the override behind each mismatch of a pinned map with the object's (overridden)
/// definition of `map`: `max_entries: pinned 16, object 64 (--map counts.max_entries=64)`.
pub fn annotate(mismatches: &mut [Mismatch], map: &str, sizes: &[MapSize]) {
    for m in mismatches {
        if let Some(s) = sizes
            .iter()
            .rev()
            .find(|s| s.map == map && s.field.name() == m.field)
        {
            m.object = format!("{} ({})", m.object, s.arg());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_name_field_and_number() {
        let s = MapSize::parse("stack.traces.max_entries=1024").unwrap();
        assert_eq!(
            (s.map.as_str(), s.field, s.value),
            ("stack.traces", MapField::MaxEntries, 1024)
        );
        for bad in [
            "m=1",
            "m.size=1",
            ".max_entries=1",
            "m.value_size=-1",
            "m.key_size",
        ] {
            assert!(MapSize::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_mismatch_names_its_override() {
        let sizes = [MapSize::parse("counts.max_entries=64").unwrap()];
        let mut m = [Mismatch {
            field: "max_entries",
            pinned: "16".into(),
            object: "64".into(),
        }];
        annotate(&mut m, "counts", &sizes);
        assert_eq!(m[0].object, "64 (--map counts.max_entries=64)");
    }
}
