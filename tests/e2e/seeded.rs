//! Seeded random choices for the tests that kill or race at random points: the seed is
//! printed, and `RAWBPF_TEST_SEED` replays a failing run.

/// A tiny deterministic generator (xorshift64*) for seeded random choices in tests.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The seed of a seeded test: `RAWBPF_TEST_SEED` when set (to replay a failure), else
/// `default`. Printed, so a failing run says how to replay it.
pub fn seed(default: u64) -> u64 {
    let seed = std::env::var("RAWBPF_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default);
    println!("seed {seed} (replay with RAWBPF_TEST_SEED={seed})");
    seed
}
