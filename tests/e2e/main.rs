//! End-to-end tests of the rawbpf binary against the real kernel.
