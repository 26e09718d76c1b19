//! The one choke point: `bpf(cmd, &mut attr, size_of(attr))`.
