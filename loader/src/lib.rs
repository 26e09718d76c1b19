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

pub mod attach;
mod attach_btf;
pub mod attach_type;
mod btf;
pub mod cgroup;
mod compat;
mod data;
mod decode;
mod detach;
mod detach_map;
mod error;
mod externs;
mod inflate;
mod inspect;
pub mod kernel_btf;
mod load;
mod lock;
mod log;
mod map_access;
mod map_btf;
pub mod map_dump;
mod map_ids;
pub mod map_show;
mod maps;
mod memlock;
pub mod pin_root;
mod plan;
mod prepare;
mod privileges;
mod prog_pins;
mod prog_tag;
mod program;
mod records;
mod relocate;
pub mod report;
mod rodata_set;
mod sha1;
mod sha256;
pub mod status;
pub mod test_hook;
mod unchanged;
pub mod verifier;

#[cfg(test)]
mod kernel_tests;

pub use attach::AttachMode;
pub use data::internal_map_name;
pub use decode::Shown;
pub use detach::{DetachOptions, detach};
pub use error::{Error, ExitCode, Mismatch, OtherProgram, Result};
pub use inspect::inspect;
pub use load::{DEFAULT_PIN_ROOT, LoadOptions, load};
pub use log::tail as log_tail;
pub use map_access::MapSelector;
pub use map_dump::{MapDumpOptions, MapDumpReport, map_dump};
pub use map_ids::{MapIdsOptions, TARGET_CGROUP, map_ids};
pub use map_show::{MapShowOptions, MapShowReport, map_show};
pub use prepare::CompatOptions;
pub use privileges::privileged;
pub use report::{DetachReport, InspectReport, LoadReport, MapIdsReport};
pub use status::{StatusOptions, StatusReport, status};
