//! `BPF_OBJ_GET_INFO_BY_FD` for programs and maps.

use std::os::fd::{AsRawFd, BorrowedFd};

use crate::attr::{BpfMapInfo, BpfProgInfo, InfoByFdAttr};
use crate::map::fd_u32;
use crate::sys::{Attr, bpf};
use crate::{Cmd, MapId, ProgId, Result};

// SAFETY: `BpfMapInfo` and `BpfProgInfo` are `#[repr(C)]` with integer / byte-array fields
// only and explicit padding (attr.rs); they are never passed as an attr themselves, but
// `Attr` is the marker for "the kernel may write any bytes into this".
unsafe impl Attr for BpfMapInfo {}
// SAFETY: as above.
unsafe impl Attr for BpfProgInfo {}

/// The fields of `struct bpf_map_info` rawbpf uses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MapInfo {
    pub map_type: u32,
    pub id: MapId,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub name: String,
    pub btf_id: u32,
    pub btf_key_type_id: u32,
    pub btf_value_type_id: u32,
    pub map_extra: u64,
}

/// The fields of `struct bpf_prog_info` rawbpf uses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProgInfo {
    pub prog_type: u32,
    pub id: ProgId,
    /// The program tag (8 raw bytes; shown as 16 lower-case hex digits).
    pub tag: [u8; 8],
    pub name: String,
    pub map_ids: Vec<MapId>,
    pub btf_id: u32,
    pub load_time: u64,
    pub created_by_uid: u32,
    pub xlated_prog_len: u32,
    pub jited_prog_len: u32,
    pub gpl_compatible: bool,
    pub verified_insns: u32,
    pub attach_btf_obj_id: u32,
    pub attach_btf_id: u32,
}

/// Encode `BPF_OBJ_GET_INFO_BY_FD` (pure; no syscall) for an info struct at `info`.
pub fn info_by_fd_attr<I>(fd: BorrowedFd<'_>, info: &mut I) -> InfoByFdAttr {
    InfoByFdAttr {
        bpf_fd: fd_u32(fd),
        info_len: std::mem::size_of::<I>() as u32,
        info: info as *mut I as u64,
    }
}

/// Issue `BPF_OBJ_GET_INFO_BY_FD` into `info`. The kernel fills
/// `min(size_of::<I>(), its own size)` bytes.
///
/// # Safety
///
/// Any user-space address in `info` (e.g. `map_ids`) must be valid for the writes its
/// count field announces, for the duration of the call.
unsafe fn get_info<I: Attr>(fd: BorrowedFd<'_>, info: &mut I) -> Result<()> {
    let mut attr = info_by_fd_attr(fd, info);
    // SAFETY: `attr.info` points to `*info`, exclusively borrowed and `info_len` bytes
    // long; addresses inside `*info` are valid per this function's contract.
    unsafe { bpf(Cmd::ObjGetInfoByFd, &mut attr) }.map(drop)
}

/// Kernel-written text (an object name, a verifier log): the bytes up to the first NUL (all
/// of them when the kernel wrote none), lossy UTF-8.
pub(crate) fn text_to_nul(raw: &[u8]) -> String {
    let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    String::from_utf8_lossy(&raw[..end]).into_owned()
}

/// `BPF_OBJ_GET_INFO_BY_FD` on a map fd.
pub fn map_info(fd: BorrowedFd<'_>) -> Result<MapInfo> {
    let mut raw = BpfMapInfo::default();
    // SAFETY: `raw` holds no user-space addresses.
    unsafe { get_info(fd, &mut raw) }?;
    Ok(map_info_from_raw(&raw))
}

/// Decode `struct bpf_map_info` (pure).
pub fn map_info_from_raw(raw: &BpfMapInfo) -> MapInfo {
    MapInfo {
        map_type: raw.map_type,
        id: MapId(raw.id),
        key_size: raw.key_size,
        value_size: raw.value_size,
        max_entries: raw.max_entries,
        map_flags: raw.map_flags,
        name: text_to_nul(&raw.name),
        btf_id: raw.btf_id,
        btf_key_type_id: raw.btf_key_type_id,
        btf_value_type_id: raw.btf_value_type_id,
        map_extra: raw.map_extra,
    }
}

/// Map ids asked for in the first `prog_info` call: a program references at most 64 maps
/// (`MAX_USED_MAPS`) unless more are bound with `BPF_PROG_BIND_MAP`, so one call is enough
/// in the common case.
const FIRST_MAP_IDS: usize = 64;

/// `BPF_OBJ_GET_INFO_BY_FD` on a program fd, including every map id it uses (one call; a
/// second with a larger buffer when the program uses more than 64 maps).
pub fn prog_info(fd: BorrowedFd<'_>) -> Result<ProgInfo> {
    prog_info_and_xlated(fd, 0).map(|(info, _)| info)
}

/// [`prog_info`] and the program's translated instructions (as
/// [`prog_xlated_insns`](crate::prog_xlated_insns) returns them) from the same call, when
/// `xlated_capacity` bytes hold them; a second call with the size the kernel reported
/// otherwise. A capacity of 0 asks for no instructions.
pub fn prog_info_and_xlated(
    fd: BorrowedFd<'_>,
    xlated_capacity: usize,
) -> Result<(ProgInfo, Vec<u8>)> {
    let mut map_ids: Vec<u32> = vec![0u32; FIRST_MAP_IDS];
    let mut xlated: Vec<u8> = vec![0u8; xlated_capacity];
    let mut raw = prog_request(&mut map_ids, &mut xlated);
    // SAFETY: `raw.map_ids` points to `map_ids`, writable for `nr_map_ids` u32s, and
    // `raw.xlated_prog_insns` (when set) to `xlated`, writable for `xlated_prog_len` bytes;
    // both are alive across the call and no other address is set.
    unsafe { get_info(fd, &mut raw) }?;
    // The set of maps can grow between calls (BPF_PROG_BIND_MAP): ask until it fits.
    for _ in 0..8 {
        let more_maps = raw.nr_map_ids as usize > map_ids.len();
        let more_insns = xlated_capacity > 0 && raw.xlated_prog_len as usize > xlated.len();
        if !more_maps && !more_insns {
            break;
        }
        if more_maps {
            map_ids = vec![0u32; raw.nr_map_ids as usize];
        }
        if more_insns {
            xlated = vec![0u8; raw.xlated_prog_len as usize];
        }
        raw = prog_request(&mut map_ids, &mut xlated);
        // SAFETY: as above: both buffers are the ones `raw` names, with their lengths.
        unsafe { get_info(fd, &mut raw) }?;
    }
    let n = (raw.nr_map_ids as usize).min(map_ids.len());
    map_ids.truncate(n);
    xlated.truncate((raw.xlated_prog_len as usize).min(xlated.len()));
    let mut info = prog_info_from_raw(&raw);
    info.map_ids = map_ids.into_iter().map(MapId).collect();
    Ok((info, xlated))
}

/// The `struct bpf_prog_info` request for map ids into `map_ids` and, when `xlated` is not
/// empty, the translated instructions into `xlated` (pure).
fn prog_request(map_ids: &mut [u32], xlated: &mut [u8]) -> BpfProgInfo {
    let mut raw = crate::xlated_request(xlated);
    raw.nr_map_ids = u32::try_from(map_ids.len()).unwrap_or(u32::MAX);
    raw.map_ids = map_ids.as_mut_ptr() as u64;
    raw
}

/// Decode `struct bpf_prog_info` (pure; `map_ids` left empty).
pub fn prog_info_from_raw(raw: &BpfProgInfo) -> ProgInfo {
    ProgInfo {
        prog_type: raw.prog_type,
        id: ProgId(raw.id),
        tag: raw.tag,
        name: text_to_nul(&raw.name),
        map_ids: Vec::new(),
        btf_id: raw.btf_id,
        load_time: raw.load_time,
        created_by_uid: raw.created_by_uid,
        xlated_prog_len: raw.xlated_prog_len,
        jited_prog_len: raw.jited_prog_len,
        gpl_compatible: raw.gpl_compatible_bits & 1 != 0,
        verified_insns: raw.verified_insns,
        attach_btf_obj_id: raw.attach_btf_obj_id,
        attach_btf_id: raw.attach_btf_id,
    }
}

/// What kind of BPF object an fd refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjKind {
    Map,
    Prog,
    Link,
    Btf,
    Other,
}

/// Tells map from program from link (read from `/proc/self/fdinfo` or the anon inode name:
/// `bpf-map`, `bpf-prog`, `bpf_link` or `bpf-link`).
pub fn obj_info_kind(fd: BorrowedFd<'_>) -> ObjKind {
    let link = format!("/proc/self/fd/{}", fd.as_raw_fd());
    match std::fs::read_link(link) {
        Ok(target) => kind_of_link_target(&target.to_string_lossy()),
        Err(_) => ObjKind::Other,
    }
}

/// Classify the target of `/proc/self/fd/N` (`anon_inode:bpf-map`, …).
fn kind_of_link_target(target: &str) -> ObjKind {
    match target {
        "anon_inode:bpf-map" => ObjKind::Map,
        "anon_inode:bpf-prog" => ObjKind::Prog,
        // `bpf_link` for a link from BPF_LINK_CREATE, `bpf-link` for one opened again
        // (BPF_OBJ_GET, BPF_LINK_GET_FD_BY_ID).
        "anon_inode:bpf_link" | "anon_inode:bpf-link" => ObjKind::Link,
        "anon_inode:btf" => ObjKind::Btf,
        _ => ObjKind::Other,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn link_targets() {
        assert_eq!(kind_of_link_target("anon_inode:bpf-map"), ObjKind::Map);
        assert_eq!(kind_of_link_target("anon_inode:bpf-prog"), ObjKind::Prog);
        assert_eq!(kind_of_link_target("anon_inode:bpf_link"), ObjKind::Link);
        assert_eq!(kind_of_link_target("anon_inode:bpf-link"), ObjKind::Link);
        assert_eq!(kind_of_link_target("anon_inode:btf"), ObjKind::Btf);
        assert_eq!(kind_of_link_target("/dev/null"), ObjKind::Other);
    }

    #[test]
    fn decodes_raw_infos() {
        let mut raw = BpfMapInfo {
            map_type: 2,
            id: 9,
            key_size: 4,
            value_size: 8,
            ..Default::default()
        };
        raw.name[..3].copy_from_slice(b"abc");
        let m = map_info_from_raw(&raw);
        assert_eq!(
            (m.map_type, m.id, m.key_size, m.value_size),
            (2, MapId(9), 4, 8)
        );
        assert_eq!(m.name, "abc");

        let mut raw = BpfProgInfo {
            prog_type: 13,
            id: 5,
            gpl_compatible_bits: 1,
            ..Default::default()
        };
        raw.name = *b"0123456789abcdef";
        let p = prog_info_from_raw(&raw);
        assert_eq!((p.prog_type, p.id, p.gpl_compatible), (13, ProgId(5), true));
        assert_eq!(p.name, "0123456789abcdef");
    }

    #[test]
    fn prog_request_names_both_buffers() {
        let mut ids = [0u32; 3];
        let mut insns = [0u8; 16];
        let (ip, xp) = (ids.as_ptr() as u64, insns.as_ptr() as u64);
        let r = prog_request(&mut ids, &mut insns);
        assert_eq!((r.nr_map_ids, r.map_ids), (3, ip));
        assert_eq!((r.xlated_prog_len, r.xlated_prog_insns), (16, xp));
        let r = prog_request(&mut ids, &mut []);
        assert_eq!((r.xlated_prog_len, r.xlated_prog_insns), (0, 0));
    }

    #[test]
    fn info_attr_encodes_len_and_pointer() {
        let stdin = std::io::stdin();
        let mut raw = BpfProgInfo::default();
        let ptr = &raw mut raw as u64;
        let a = info_by_fd_attr(std::os::fd::AsFd::as_fd(&stdin), &mut raw);
        assert_eq!((a.bpf_fd, a.info_len, a.info), (0, 232, ptr));
    }
}
