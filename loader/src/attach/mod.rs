//! Where loaded programs go: the attach plan, cgroup and sockmap attach with their undo, the
//! attach records (cgroup and socket-map) and the link pins beside them (links) that make a
//! reload find its own programs, `--pin-progs`, and what rawbpf owns host-wide according to
//! those marks (`owners`); raw tracepoint records (`tp_records`).
//! May import `host`, `map`, `prog` and `error`.

pub mod apply;
pub mod data_pins;
pub mod iface_records;
pub mod index;
pub mod links;
pub mod map_records;
pub mod owners;
pub mod plan;
pub mod prog_pins;
pub mod records;
pub mod tagged;
pub mod tp_records;
