//! What each command returns. These structs ARE the JSON schema of `docs/cli.md`: the CLI
//! prints them with `serde_json` under `--json` and formats them for humans otherwise.

use rawbpf_elf::MapType;
use rawbpf_syscalls as sys;
use serde::Serialize;

/// Result of `load`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LoadReport {
    pub object: String,
    pub pin_root: String,
    pub programs: Vec<LoadedProgram>,
    pub maps: Vec<LoadedMap>,
    /// Things that did not stop the load but the user should know (e.g. BTF rejected).
    pub warnings: Vec<String>,
    /// The programs the kernel refused and `--skip-refused` left out.
    pub refused: Vec<RefusedProgram>,
    /// Programs an earlier load recorded on this cgroup under names the object no longer
    /// has, detached by this load (removed from the source); their records are gone.
    pub removed: Vec<DetachedProgram>,
}

/// A program `--skip-refused` left out.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RefusedProgram {
    pub name: String,
    /// The error, with the verifier's verdict when it gave one.
    pub reason: String,
}

/// One program of a `load`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LoadedProgram {
    pub name: String,
    pub section: String,
    #[serde(rename = "type")]
    pub prog_type: String,
    pub id: u32,
    /// `tag` as 16 hex digits.
    pub tag: String,
    /// `loaded`, or `unchanged` when the attached program already was this one (then `id`
    /// is the attached program's and nothing was created).
    pub status: ProgramStatus,
    /// `null` when not attached (`--no-attach`, or no automatic attach for the type).
    pub attach: Option<AttachReport>,
    /// Why the program was not attached, when it was not and `--no-attach` was not given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_attached: Option<String>,
    /// The verifier log of the successful load, when asked for (`-v`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verifier_log: Option<String>,
    /// Where `--pin-progs` pinned the program.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin_path: Option<String>,
}

/// What `load` did with a program.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ProgramStatus {
    /// Loaded (and attached as `attach` says).
    Loaded,
    /// Already attached with the same instructions, maps and data: nothing was done.
    Unchanged,
}

/// Where and how a program was attached.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AttachReport {
    /// The cgroup path, or `map NAME` for sk_msg / sk_skb programs.
    pub target: String,
    pub attach_type: String,
    /// `multi`, `override`, `single`; `null` for map targets.
    pub mode: Option<String>,
    /// ID of the program this one replaced.
    pub replaced_id: Option<u32>,
    /// The recorded name of the program this one replaced, when it differs from this
    /// program's (the program was renamed in the source).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_name: Option<String>,
}

/// What happened to a map.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MapStatus {
    /// A pinned map was reused.
    Reused,
    /// Created and pinned at `pin_path`.
    CreatedPinned,
    /// Created and pinned at `pin_path` in place of an incompatible pinned map
    /// (`--replace-incompatible`; that map's contents are lost).
    Recreated,
    /// Created, not pinned.
    Created,
}

/// One map of a `load` (internal data maps included).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LoadedMap {
    pub name: String,
    #[serde(rename = "type")]
    pub map_type: String,
    pub id: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub status: MapStatus,
    pub pin_path: Option<String>,
}

/// Result of `detach`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DetachReport {
    pub cgroup: String,
    pub detached: Vec<DetachedProgram>,
    pub unpinned: Vec<String>,
    /// Map pins `--unpin` left because rawbpf did not create them (another tool's).
    pub kept: Vec<String>,
    /// `--dry-run`: `detached` and `unpinned` say what would go; nothing changed.
    pub dry_run: bool,
    /// Programs still attached directly to the cgroup after the detach (other tools', or
    /// rawbpf's under another pin root): what keeps running there.
    pub left_attached: Vec<crate::error::OtherProgram>,
    /// `--owner TOKEN`: attachments left in place because a later load (another owner)
    /// took their link over.
    pub owned_by_others: Vec<OwnedElsewhere>,
}

/// An attachment `detach --owner` left alone: its link belongs to another owner now.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct OwnedElsewhere {
    /// The program the link runs.
    pub id: u32,
    pub name: String,
    pub attach_type: String,
    /// The owner token of the load that took the link over ("" for a load without one).
    pub owner: String,
}

/// One program `detach` detached.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DetachedProgram {
    pub id: u32,
    pub name: String,
    pub attach_type: String,
}

/// Result of `map-ids`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MapIdsReport {
    pub cgroup: String,
    pub pin_root: String,
    pub programs: Vec<AttachedProgram>,
    pub maps: Vec<MapEntry>,
    /// What could not be asked on this kernel (e.g. a socket map's programs on 5.10).
    pub warnings: Vec<String>,
}

/// A program attached directly to the cgroup, or to a SOCKMAP/SOCKHASH pinned under the
/// pin root.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AttachedProgram {
    pub id: u32,
    /// The full name, from the program's BTF where the kernel cut it (as bpftool shows it).
    pub name: String,
    /// The kernel's name (at most 15 bytes).
    pub kernel_name: String,
    /// `rawbpf` when one of rawbpf's records pins this program (under any pin root it
    /// knows); `null` for another tool's.
    pub owner: Option<String>,
    #[serde(rename = "type")]
    pub prog_type: String,
    pub tag: String,
    pub attach_type: String,
    /// The kernel's attach flags; 0 for map attachments (a map has no attach modes).
    pub attach_flags: u32,
    pub map_ids: Vec<u32>,
    /// Where it is attached: `cgroup`, or `map NAME` for a SOCKMAP/SOCKHASH.
    pub target: String,
}

/// A loaded map as the kernel describes it (`BPF_OBJ_GET_INFO_BY_FD`): the first fields of
/// each map of `map-ids`, `map show` and `map dump`, embedded with `#[serde(flatten)]` so
/// their JSON stays one flat object.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MapSummary {
    pub id: u32,
    pub name: String,
    #[serde(rename = "type")]
    pub map_type: String,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub flags: u32,
}

impl From<&sys::MapInfo> for MapSummary {
    fn from(info: &sys::MapInfo) -> MapSummary {
        MapSummary {
            id: info.id.0,
            name: info.name.clone(),
            map_type: MapType(info.map_type).to_string(),
            key_size: info.key_size,
            value_size: info.value_size,
            max_entries: info.max_entries,
            flags: info.map_flags,
        }
    }
}

/// A map used by an attached program or pinned under the pin root.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MapEntry {
    #[serde(flatten)]
    pub info: MapSummary,
    pub pinned: Option<String>,
    pub used_by: Vec<u32>,
}

/// Result of `inspect`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InspectReport {
    pub license: String,
    pub endian: String,
    pub kernel_version: Option<u32>,
    pub programs: Vec<InspectProgram>,
    pub maps: Vec<InspectMap>,
    pub data: Vec<InspectData>,
    pub btf: Option<InspectBtf>,
    /// The object's externs (`__kconfig`, `__ksym`, kfuncs), resolved at load.
    pub externs: Vec<InspectExtern>,
    /// Functions of sections no name rule knows; `load --prog-type NAME=TYPE` makes them
    /// programs.
    pub unclassified: Vec<String>,
    /// Names `load` refuses (a map name that cannot be a file name, a duplicate program
    /// name), each as the error `load` gives.
    pub problems: Vec<String>,
    /// The executable sections no name rule knows that hold functions: `load` refuses
    /// the object until each function has a type (`--prog-type`) or `--program` chooses.
    pub unknown_sections: Vec<InspectUnknownSection>,
}

/// An executable section whose name gives no program type, with its functions.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InspectUnknownSection {
    pub section: String,
    pub functions: Vec<String>,
}

/// An extern as parsed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InspectExtern {
    pub name: String,
    /// `kconfig`, `ksym` (typed), `ksym_typeless`, `kfunc`, `unknown`.
    pub kind: String,
    pub weak: bool,
}

/// A program as parsed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InspectProgram {
    pub name: String,
    pub section: String,
    #[serde(rename = "type")]
    pub prog_type: String,
    pub attach_type: Option<String>,
    pub insns: usize,
    pub subprograms: Vec<String>,
    pub relocations: Vec<InspectRelocation>,
    /// CO-RE relocations in the program (applied against the kernel's BTF at load).
    pub core_relos: usize,
    /// The section name matched only a loose rule of older loaders (see docs/objects.md).
    pub loose_section: bool,
}

/// A relocation as parsed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InspectRelocation {
    MapFd {
        insn: usize,
        map: String,
    },
    MapValue {
        insn: usize,
        section: String,
        offset: u32,
    },
    /// A `__ksym` variable or kfunc, resolved against the running kernel at load.
    Extern {
        insn: usize,
        name: String,
    },
}

/// A map definition as parsed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InspectMap {
    pub name: String,
    #[serde(rename = "type")]
    pub map_type: String,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub flags: u32,
    /// `map_extra` (an arena's user-space address, a bloom filter's hash count; 0 if unset).
    pub map_extra: u64,
    /// `by_name` or `none`.
    pub pinning: String,
    /// `btf` (`.maps`) or `legacy` (`maps`).
    pub source: String,
}

/// A global data section as parsed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InspectData {
    pub name: String,
    /// `rodata`, `data` or `bss`.
    pub kind: String,
    pub size: u32,
}

/// BTF statistics.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InspectBtf {
    /// Number of types (without `void`).
    pub types: usize,
    /// Size of the string table in bytes.
    pub strings: u32,
    pub func_info: usize,
    pub line_info: usize,
    pub core_relos: usize,
}
