//! `#[repr(C)]` attribute structs, one per command, sizes checked at compile time.
