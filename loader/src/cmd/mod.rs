//! One module per command (`load`, `detach`, `inspect`, `map-ids`, `map show`, `map dump`,
//! `prog show`, `cgroup tree`, `status`): each puts the stages together and returns its
//! report. Nothing else imports `cmd` except the crate root, which re-exports the entry points.

pub mod cgroup_tree;
pub mod detach;
pub mod found_pin_root;
pub mod inspect;
pub mod load;
pub mod map_dump;
pub mod map_edit;
pub mod map_ids;
pub mod map_show;
pub mod prog_show;
pub mod status;
