//! The machine rawbpf runs on: the pin root on bpffs, the target cgroup, the pin-root lock,
//! this process's privileges and memlock limit, and the running kernel's release,
//! configuration and BTF.
//! May import only `error`; knows nothing of objects, maps or programs.

pub mod cgroup;
pub mod inflate;
pub mod kernel_btf;
pub mod kernel_config;
pub mod kernel_facts;
pub mod kernel_types;
pub mod lock;
pub mod lockdown;
pub mod memlock;
pub mod pin_root;
pub mod privileges;
pub mod trust;
