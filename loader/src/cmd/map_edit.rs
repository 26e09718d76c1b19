//! `map lookup|update|delete|pin`: one entry of a loaded map, read or changed by a key given
//! as BTF fields (`sip4=127.0.0.1,sport=40000`, see [`encode`](crate::map::encode)) or as hex
//! bytes; and pinning a map found by kernel ID.

use std::path::PathBuf;

use rawbpf_abi::MapType;
use rawbpf_syscalls as sys;
use serde::Serialize;

use crate::cmd::map_dump::{DumpEntry, DumpedMap, entry};
use crate::error::{Error, Result, bpf_err};
use crate::hex;
use crate::host::pin_root;
use crate::map::access::{self, MapSelector, OpenMap};
use crate::map::btf::{self, MapBtf};
use crate::map::encode;
use crate::report::MapSummary;

/// A key or value as the user gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryInput {
    /// BTF field syntax (`a=1,b=10.0.0.1`) or one number.
    Text(String),
    /// Hex bytes (`7f 00 00 01` or `7f000001`).
    Hex(String),
}

/// How `map update` treats an existing key (`BPF_ANY`, `BPF_NOEXIST`, `BPF_EXIST`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UpdateMode {
    #[default]
    Any,
    NoExist,
    Exist,
}

/// What `map lookup`, `map update` and `map delete` act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapEditOptions {
    pub map: MapSelector,
    pub key: EntryInput,
    /// The value to write (`map update` only).
    pub value: Option<EntryInput>,
    pub mode: UpdateMode,
}

/// Result of `map lookup|update|delete` (schema in `docs/cli.md`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MapEntryReport {
    pub map: DumpedMap,
    /// As in `map dump`: where the key and value types came from, `null` for hex.
    pub btf: Option<String>,
    /// The entry: looked up, written, or (for delete) as it was before.
    pub entry: DumpEntry,
}

/// Result of `map pin`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MapPinReport {
    pub map: MapSummary,
    pub pinned: String,
}

/// The bytes of `input` for a key (`is_key`) or value of `m`, `len` bytes long.
fn bytes_of(
    m: &OpenMap,
    b: Option<&MapBtf>,
    input: &EntryInput,
    is_key: bool,
    len: usize,
) -> Result<Vec<u8>> {
    let what = if is_key { "key" } else { "value" };
    let bad = |reason: String| Error::BadArgument {
        what: format!("map {}: {what}: {reason}", m.info.name),
    };
    let bytes = match input {
        EntryInput::Hex(h) => hex::decode(h).ok_or_else(|| bad(format!("`{h}` is not hex")))?,
        EntryInput::Text(t) => match b.and_then(|b| {
            let id = if is_key { b.key } else { b.value };
            id.map(|id| (&b.btf, id))
        }) {
            Some((btf, id)) => encode::encode(btf, id, t).map_err(bad)?,
            None => plain_number(t, len).ok_or_else(|| {
                bad(format!(
                    "the map has no BTF for its {what}; give it as hex with --{what}-hex"
                ))
            })?,
        },
    };
    if bytes.len() != len {
        return Err(bad(format!(
            "{} bytes given, the map's {what} is {len}",
            bytes.len()
        )));
    }
    Ok(bytes)
}

/// A key or value without BTF given as a plain number: a 4- or 8-byte integer in host order
/// (an array's index, a counter).
fn plain_number(text: &str, len: usize) -> Option<Vec<u8>> {
    let n: u64 = text.trim().parse().ok()?;
    match len {
        4 => Some(u32::try_from(n).ok()?.to_ne_bytes().to_vec()),
        8 => Some(n.to_ne_bytes().to_vec()),
        _ => None,
    }
}

/// The map, its BTF (warnings dropped: the entry shows hex then) and the key's bytes.
fn open_with_key(opts: &MapEditOptions) -> Result<(OpenMap, Option<MapBtf>, Vec<u8>)> {
    let m = access::open(&opts.map)?;
    if m.info.key_size == 0 {
        return Err(Error::Unsupported {
            what: format!(
                "map {} is a {}, which has no keys",
                m.info.id.0,
                MapType(m.info.map_type)
            ),
        });
    }
    let b = btf::find(&m.info, &mut Vec::new());
    let key = bytes_of(&m, b.as_ref(), &opts.key, true, m.info.key_size as usize)?;
    Ok((m, b, key))
}

fn what(m: &OpenMap, op: &str) -> String {
    format!("{op} in map {} ({})", m.info.id.0, m.info.name)
}

fn report(m: &OpenMap, b: Option<&MapBtf>, key: &[u8], value: &[u8]) -> MapEntryReport {
    MapEntryReport {
        map: DumpedMap {
            info: (&m.info).into(),
            pinned: m.pinned.as_ref().map(|p| p.display().to_string()),
        },
        btf: b.map(|b| b.source.to_string()),
        entry: entry(&m.info, b, key, value),
    }
}

fn not_found(m: &OpenMap, key: &[u8]) -> Error {
    Error::KeyNotFound {
        map: m.info.name.clone(),
        key: hex::spaced(key),
    }
}

/// Reads one value (a SOCKHASH/SOCKMAP value is the socket's cookie).
fn read(m: &OpenMap, key: &[u8]) -> Result<Option<Vec<u8>>> {
    let len = m.fd.value_len().map_err(|source| Error::Io {
        what: "read",
        path: PathBuf::from("/sys/devices/system/cpu/possible"),
        source,
    })?;
    let mut value = vec![0u8; len];
    let found = sys::map_lookup_elem(&m.fd, key, &mut value).map_err(bpf_err(what(m, "lookup")))?;
    Ok(found.then_some(value))
}

/// `map lookup`: the value under the key; [`Error::KeyNotFound`] when there is none.
pub fn map_lookup(opts: &MapEditOptions) -> Result<MapEntryReport> {
    let (m, b, key) = open_with_key(opts)?;
    let value = read(&m, &key)?.ok_or_else(|| not_found(&m, &key))?;
    Ok(report(&m, b.as_ref(), &key, &value))
}

/// `map delete`: removes the key; [`Error::KeyNotFound`] when there is none. The report
/// holds the entry as it was (hex value when it could not be read first).
pub fn map_delete(opts: &MapEditOptions) -> Result<MapEntryReport> {
    let (m, b, key) = open_with_key(opts)?;
    let before = read(&m, &key).ok().flatten().unwrap_or_default();
    if !sys::map_delete_elem(&m.fd, &key).map_err(bpf_err(what(&m, "delete")))? {
        return Err(not_found(&m, &key));
    }
    Ok(report(&m, b.as_ref(), &key, &before))
}

/// `map update`: writes the value under the key. Maps whose values are file descriptors
/// (sockets, programs, maps) are refused: a value typed on a command line cannot be one.
/// A per-CPU map gets the same value on every CPU.
pub fn map_update(opts: &MapEditOptions) -> Result<MapEntryReport> {
    let (m, b, key) = open_with_key(opts)?;
    let t = MapType(m.info.map_type);
    if matches!(
        t,
        MapType::SOCKHASH | MapType::SOCKMAP | MapType::PROG_ARRAY
    ) || t.is_map_in_map()
    {
        return Err(Error::BadArgument {
            what: format!(
                "map {}: a {t}'s values are file descriptors (sockets, programs or maps), \
                 which cannot be given on the command line; its entries are added by programs \
                 or by the process holding them",
                m.info.name
            ),
        });
    }
    let input = opts.value.as_ref().ok_or_else(|| Error::BadArgument {
        what: "map update needs a value (--value or --value-hex)".to_string(),
    })?;
    let one = bytes_of(&m, b.as_ref(), input, false, m.info.value_size as usize)?;
    let value = if t.is_percpu() {
        let slot = access::percpu_slot(m.info.value_size);
        let len = m.fd.value_len().unwrap_or(slot);
        let mut all = vec![0u8; len];
        for chunk in all.chunks_mut(slot) {
            let n = one.len().min(chunk.len());
            chunk[..n].copy_from_slice(&one[..n]);
        }
        all
    } else {
        one
    };
    let flags = match opts.mode {
        UpdateMode::Any => sys::UpdateFlags::Any,
        UpdateMode::NoExist => sys::UpdateFlags::NoExist,
        UpdateMode::Exist => sys::UpdateFlags::Exist,
    };
    sys::map_update_elem(&m.fd, &key, &value, flags).map_err(|e| match (e.errno, opts.mode) {
        (libc::EEXIST, UpdateMode::NoExist) => Error::BadArgument {
            what: format!(
                "map {}: the key {} exists (--flags noexist)",
                m.info.name,
                hex::spaced(&key)
            ),
        },
        (libc::ENOENT, UpdateMode::Exist) => not_found(&m, &key),
        _ => bpf_err(what(&m, "update"))(e),
    })?;
    Ok(report(&m, b.as_ref(), &key, &value))
}

/// `map pin`: pins the map with kernel ID `id` at `path`, which must be on bpffs and free.
pub fn map_pin(id: u32, path: &std::path::Path) -> Result<MapPinReport> {
    let m = access::open(&MapSelector::Id(id))?;
    if std::fs::symlink_metadata(path).is_ok() {
        return Err(Error::BadArgument {
            what: format!("{} exists; rawbpf does not replace it", path.display()),
        });
    }
    let dir = path.parent().unwrap_or(path);
    if !pin_root::is_on_bpffs(dir)? {
        return Err(Error::PinOffBpffs {
            path: path.to_path_buf(),
        });
    }
    let c = pin_root::c_path(path)?;
    sys::obj_pin(std::os::fd::AsFd::as_fd(&m.fd), &c)
        .map_err(bpf_err(format!("pin map {id} at {}", path.display())))?;
    Ok(MapPinReport {
        map: (&m.info).into(),
        pinned: path.display().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_numbers() {
        assert_eq!(plain_number("3", 4).unwrap(), 3u32.to_ne_bytes());
        assert_eq!(plain_number("3", 8).unwrap(), 3u64.to_ne_bytes());
        assert!(plain_number("4294967296", 4).is_none());
        assert!(plain_number("3", 16).is_none());
        assert!(plain_number("x", 4).is_none());
    }
}
