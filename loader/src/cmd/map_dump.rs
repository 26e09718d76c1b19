//! `map dump`: every entry of a loaded map, keys and values decoded with BTF when the map's
//! types can be found (`map_btf`) and always as hex too.

use rawbpf_abi::MapType;
use serde::Serialize;
use serde_json::Value as Json;

use crate::error::Result;
use crate::hex;
use crate::map::access::{self, MapSelector, OpenMap};
use crate::map::btf::{self, MapBtf};
use crate::map::decode::{self, Shown};
use crate::map::peer;
use crate::report::MapSummary;

/// Result of `map dump` (the JSON schema in `docs/cli.md`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MapDumpReport {
    pub map: DumpedMap,
    /// `"map"` (the map's own BTF), `"program <id>"` (the BTF of a program using it), or
    /// `null` (keys and values are hex strings).
    pub btf: Option<String>,
    /// The key's C type (`struct sock_key`), `null` when shown as hex.
    pub key_type: Option<String>,
    /// The value's C type (`__u64`), `null` when shown as hex.
    pub value_type: Option<String>,
    pub entries: Vec<DumpEntry>,
    /// Why some BTF could not be used, and the like.
    pub warnings: Vec<String>,
}

/// The dumped map.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DumpedMap {
    #[serde(flatten)]
    pub info: MapSummary,
    /// The pin it was opened by, `null` with `--id`.
    pub pinned: Option<String>,
}

/// One entry. `key`/`value` are the decoded JSON when BTF is known, else the hex string
/// (the key of an array-like map is its index, a number, then); for per-CPU maps `value` and `value_hex` are arrays with one element per possible CPU.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DumpEntry {
    pub key: Shown,
    pub value: Shown,
    pub key_hex: String,
    pub value_hex: Json,
    /// A SOCKHASH/SOCKMAP value: the socket cookie in hex, as `ss -e` shows it after `sk:`;
    /// `null` for other maps.
    pub cookie_hex: Option<String>,
    /// The index in `entries` of the other end of the same connection (the entry whose key
    /// has source and destination swapped), `null` when there is none.
    pub peer: Option<usize>,
    /// One-line text of the key, for the human output.
    #[serde(skip)]
    pub key_text: String,
    /// One-line text of the value, for the human output.
    #[serde(skip)]
    pub value_text: String,
}

/// What `map dump` reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapDumpOptions {
    pub map: MapSelector,
}

/// A key or value as (shown, text): decoded when `type_id` is set and decoding succeeds,
/// else the hex string.
fn render(btf: Option<&MapBtf>, type_id: Option<u32>, bytes: &[u8]) -> (Shown, String) {
    let decoded = btf
        .zip(type_id)
        .and_then(|(b, id)| b.btf.decode(id, bytes).ok())
        .map(|v| decode::show(&v));
    match decoded {
        Some(s) => {
            let text = s.to_text();
            (s, text)
        }
        None => (Shown::Text(hex::encode(bytes)), hex::spaced(bytes)),
    }
}

/// The key of an array-like map without key BTF: its index (arrays are indexed by `u32`).
fn array_index(info: &rawbpf_syscalls::MapInfo, key_id: Option<u32>, key: &[u8]) -> Option<u32> {
    if key_id.is_some() || !MapType(info.map_type).is_array() {
        return None;
    }
    Some(u32::from_ne_bytes(key.try_into().ok()?))
}

/// A per-CPU value: each CPU's slot, cut to `value_size`.
fn render_percpu(
    btf: Option<&MapBtf>,
    type_id: Option<u32>,
    bytes: &[u8],
    value_size: u32,
) -> (Shown, Json, String) {
    let slot = access::percpu_slot(value_size).max(1);
    let mut values = Vec::new();
    let mut hexes = Vec::new();
    let mut texts = Vec::new();
    for (cpu, chunk) in bytes.chunks(slot).enumerate() {
        let v = chunk.get(..value_size as usize).unwrap_or(chunk);
        let (j, t) = render(btf, type_id, v);
        values.push(j);
        hexes.push(Json::String(hex::encode(v)));
        texts.push(format!("cpu{cpu}: {t}"));
    }
    (Shown::List(values), Json::Array(hexes), texts.join("  "))
}

/// One entry, key and value rendered with `btf` when it has their types.
pub(crate) fn entry(
    info: &rawbpf_syscalls::MapInfo,
    btf: Option<&MapBtf>,
    k: &[u8],
    v: &[u8],
) -> DumpEntry {
    let key_id = btf.and_then(|b| b.key);
    let (key, key_text) = match array_index(info, key_id, k) {
        Some(i) => (Shown::Number(i.to_string()), i.to_string()),
        None => render(btf, key_id, k),
    };
    let value_id = btf.and_then(|b| b.value);
    let (value, value_hex, mut value_text) = if MapType(info.map_type).is_percpu() {
        render_percpu(btf, value_id, v, info.value_size)
    } else {
        let (j, t) = render(btf, value_id, v);
        (j, Json::String(hex::encode(v)), t)
    };
    let cookie_hex = cookie(info, v).map(|c| format!("{c:x}"));
    if let Some(c) = &cookie_hex {
        value_text = format!("sk:{c}");
    }
    DumpEntry {
        key,
        value,
        key_hex: hex::encode(k),
        value_hex,
        cookie_hex,
        peer: None,
        key_text,
        value_text,
    }
}

/// The socket cookie a SOCKHASH/SOCKMAP lookup returns (an 8-byte value).
fn cookie(info: &rawbpf_syscalls::MapInfo, v: &[u8]) -> Option<u64> {
    let t = MapType(info.map_type);
    if t != MapType::SOCKHASH && t != MapType::SOCKMAP {
        return None;
    }
    Some(u64::from_ne_bytes(v.try_into().ok()?))
}

/// Dumps the map `opts.map` names.
pub fn map_dump(opts: &MapDumpOptions) -> Result<MapDumpReport> {
    let m = access::open(&opts.map)?;
    dump_open(&m)
}

/// Dumps an already opened map.
pub fn dump_open(m: &OpenMap) -> Result<MapDumpReport> {
    let info = &m.info;
    let mut warnings = Vec::new();
    let btf = btf::find(info, &mut warnings);
    let raw = access::entries(m)?;
    let mut entries: Vec<DumpEntry> = raw
        .iter()
        .map(|(k, v)| entry(info, btf.as_ref(), k, v))
        .collect();
    let peers = peer::peers(&entries.iter().map(|e| &e.key).collect::<Vec<_>>());
    for (e, p) in entries.iter_mut().zip(peers) {
        e.peer = p;
    }
    Ok(MapDumpReport {
        map: DumpedMap {
            info: info.into(),
            pinned: m.pinned.as_ref().map(|p| p.display().to_string()),
        },
        btf: btf.as_ref().map(|b| b.source.to_string()),
        key_type: btf.as_ref().and_then(|b| b.type_name(b.key)),
        value_type: btf.as_ref().and_then(|b| b.type_name(b.value)),
        entries,
        warnings,
    })
}
