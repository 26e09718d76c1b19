//! Making a parsed object loadable on this kernel before anything is created: command-line
//! choices, extern resolution (`__kconfig`, `__ksym`), attach BTF ids and `--set` of rodata.
//! May import `host` and `error`; creates no kernel object.

pub mod attach_btf;
pub mod externs;
pub mod map_sizes;
pub mod object;
pub mod rodata_set;
