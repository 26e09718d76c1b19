//! Finding the BTF types of a loaded map's key and value, for `map dump`.
//!
//! A map created with BTF names its types itself (`map_info.btf_id` and the key/value type
//! ids). A map without — a SOCKHASH, which the kernel refuses BTF for — still has its types
//! in the BTF of every program that uses it: the program is found by scanning the kernel's
//! programs for one whose `map_ids` holds the map, and the types by the map's name in that
//! BTF's `.maps` section ([`Btf::map_key_value_types`]). A type is used only when its size is
//! the map's key or value size; otherwise that side is shown as hex.

use std::os::fd::AsFd;

use rawbpf_elf::btf::Btf;
use rawbpf_syscalls as sys;

/// Where the types came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BtfSource {
    /// The map's own BTF.
    Map,
    /// The BTF of the program with this ID, which uses the map.
    Program(u32),
}

impl std::fmt::Display for BtfSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BtfSource::Map => f.write_str("map"),
            BtfSource::Program(id) => write!(f, "program {id}"),
        }
    }
}

/// A map's BTF and the type ids of its key and value in it (`None`: shown as hex).
#[derive(Debug, Clone)]
pub struct MapBtf {
    pub btf: Btf,
    pub key: Option<u32>,
    pub value: Option<u32>,
    pub source: BtfSource,
}

impl MapBtf {
    /// The C-like name of the key or value type (`struct sock_key`, `__u64`).
    pub fn type_name(&self, id: Option<u32>) -> Option<String> {
        let id = id?;
        let name = self.btf.type_name(id).ok()?;
        let t = self.btf.type_by_id(id).ok()?;
        let kind = t.kind_name().to_ascii_lowercase();
        Some(match (kind.as_str(), name) {
            (_, "") => kind,
            ("struct" | "union" | "enum", n) => format!("{kind} {n}"),
            (_, n) => n.to_string(),
        })
    }
}

/// The BTF object `id`, parsed. Errors are described for a warning.
fn load_btf(id: u32) -> Result<Btf, String> {
    let fd = sys::btf_get_fd_by_id(sys::BtfId(id)).map_err(|e| format!("open BTF {id}: {e}"))?;
    let info = sys::btf_info(fd.as_fd()).map_err(|e| format!("read BTF {id}: {e}"))?;
    Btf::parse(&info.data).map_err(|e| format!("parse BTF {id}: {e}"))
}

/// `id` if type `id` of `btf` is `size` bytes.
fn sized(btf: &Btf, id: u32, size: u32) -> Option<u32> {
    (id != 0 && btf.size_of(id).ok() == Some(size)).then_some(id)
}

/// The key and value types of the map `info`, or `None` (hex only). Problems that prevent
/// decoding (a BTF that cannot be read or parsed) are pushed to `warnings`.
pub fn find(info: &sys::MapInfo, warnings: &mut Vec<String>) -> Option<MapBtf> {
    if info.btf_id != 0 {
        match load_btf(info.btf_id) {
            Ok(btf) => {
                let key = sized(&btf, info.btf_key_type_id, info.key_size);
                let value = sized(&btf, info.btf_value_type_id, info.value_size);
                return Some(MapBtf {
                    btf,
                    key,
                    value,
                    source: BtfSource::Map,
                });
            }
            Err(e) => warnings.push(format!("the map's BTF: {e}; showing hex")),
        }
    }
    from_programs(info, warnings)
}

/// Scans the kernel's programs for one that uses the map and has BTF declaring it.
fn from_programs(info: &sys::MapInfo, warnings: &mut Vec<String>) -> Option<MapBtf> {
    let needs_admin = |warnings: &mut Vec<String>| {
        warnings.push(
            "the map has no BTF of its own, and finding it in the BTF of the programs that use \
             it needs CAP_SYS_ADMIN (BPF_PROG_GET_NEXT_ID, BPF_PROG_GET_FD_BY_ID); showing hex"
                .to_string(),
        );
    };
    for id in sys::ids(sys::IdKind::Prog) {
        let id = match id {
            Ok(id) => id,
            Err(e) if e.errno == libc::EPERM => {
                needs_admin(warnings);
                return None;
            }
            Err(_) => break,
        };
        // Programs come and go: one that vanished or cannot be read is skipped.
        let fd = match sys::fd_by_id(sys::IdKind::Prog, id) {
            Ok(fd) => fd,
            Err(e) if e.errno == libc::EPERM => {
                needs_admin(warnings);
                return None;
            }
            Err(_) => continue,
        };
        let Ok(prog) = sys::prog_info(fd.as_fd()) else {
            continue;
        };
        if prog.btf_id == 0 || !prog.map_ids.contains(&info.id) {
            continue;
        }
        let btf = match load_btf(prog.btf_id) {
            Ok(b) => b,
            Err(e) => {
                warnings.push(format!("program {id}'s BTF: {e}"));
                continue;
            }
        };
        let Some((k, v)) = btf.map_key_value_types(&info.name) else {
            continue;
        };
        let key = sized(&btf, k, info.key_size);
        let value = sized(&btf, v, info.value_size);
        if key.is_none() && value.is_none() {
            continue;
        }
        return Some(MapBtf {
            btf,
            key,
            value,
            source: BtfSource::Program(id),
        });
    }
    None
}
