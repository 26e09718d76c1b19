//! Programs: the object's BTF load, map relocation, `BPF_PROG_LOAD` with its verifier log and
//! summary, and the program tag the kernel computes.
//! May import `host` and `error`.

pub mod btf;
pub mod full_name;
pub mod load;
pub mod log;
pub mod poisoned;
pub mod relocate;
pub mod sha1;
pub mod sha256;
pub mod tag;
pub mod verifier;
