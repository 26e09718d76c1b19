//! rawbpf as a library: maps → relocation → load → attach → pin, in that order, each step
//! undone when a later one fails. See `docs/architecture.md` and `docs/cli.md`.
//!
//! The four entry points mirror the CLI commands and return the report structs that the CLI
//! prints as JSON ([`report`] is the JSON schema):
//!
//! ```no_run
//! let report = rawbpf::load(&rawbpf::LoadOptions::new("bpf-prog/bpf_sockops.o"))?;
//! println!("{}", report.programs[0].id);
//! # Ok::<(), rawbpf::Error>(())
//! ```
//!
//! No global state; no file descriptor outlives a call.

#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod attach;
mod cmd;
mod error;
pub mod hex;
mod host;
mod map;
mod prepare;
mod prog;
pub mod report;
mod suggest;
pub mod test_hook;

#[cfg(test)]
mod kernel_tests;

pub use attach::apply::AttachMode;
pub use attach::iface_records::XdpMode;
pub use cmd::cgroup_tree::{
    CgroupTreeOptions, CgroupTreeReport, TreeCgroup, TreeProgram, cgroup_tree,
};
pub use cmd::detach::{DetachOptions, detach};
pub use cmd::inspect::inspect;
pub use cmd::load::{DEFAULT_PIN_ROOT, LoadOptions, load, load_noting};
pub use cmd::map_dump::{MapDumpOptions, MapDumpReport, map_dump};
pub use cmd::map_edit::{
    EntryInput, MapEditOptions, MapEntryReport, MapPinReport, UpdateMode, map_delete, map_lookup,
    map_pin, map_update,
};
pub use cmd::map_ids::{MapIdsOptions, TARGET_CGROUP, iface_target, map_ids};
pub use cmd::map_show::{
    HOST_COUNT_LIMIT, MapShowOptions, MapShowReport, MapShowScope, ShownMap, map_show,
};
pub use cmd::prog_show::{ProgSelector, ProgShowOptions, ProgShowReport, ShownProgram, prog_show};
pub use cmd::status::{StatusOptions, StatusReport, status};
pub use error::{Error, ExitCode, Mismatch, OtherProgram, PoisonedRelocation, Result};
pub use host::cgroup::{
    default_root as default_cgroup_root,
    default_root_or_standard as default_cgroup_root_or_standard,
};
pub use host::privileges::privileged;
pub use map::access::MapSelector;
pub use map::decode::Shown;
pub use map::global_data::internal_map_name;
pub use map::peer::grouped as grouped_by_peer;
pub use map::watch::{Change, WatchEvent, diff as watch_diff};
pub use prepare::map_sizes::{MapField, MapSize};
pub use prepare::object::CompatOptions;
pub use prog::log::tail as log_tail;
pub use prog::verifier;
pub use report::{DetachReport, InspectReport, LoadReport, MapIdsReport};
