//! rawbpf as a library: maps → relocation → load → attach → pin, in that order, each step
//! undone when a later one fails. See `docs/architecture.md`.
