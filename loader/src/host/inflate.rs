//! A small gzip/DEFLATE decoder (RFC 1951/1952) for `/proc/config.gz`, the running kernel's
//! configuration, which `__kconfig` externs read. Bounds-checked: malformed input is an
//! error, never a panic; output is capped.

/// Largest output accepted (a kernel config is a few hundred KB).
const MAX_OUT: usize = 64 << 20;

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    bit: u32,
    nbits: u32,
}

impl Bits<'_> {
    fn need(&mut self, n: u32) -> Option<()> {
        while self.nbits < n {
            let b = *self.data.get(self.pos)?;
            self.pos += 1;
            self.bit |= u32::from(b) << self.nbits;
            self.nbits += 8;
        }
        Some(())
    }

    fn bits(&mut self, n: u32) -> Option<u32> {
        if n == 0 {
            return Some(0);
        }
        self.need(n)?;
        let v = self.bit & ((1u32 << n) - 1);
        self.bit >>= n;
        self.nbits -= n;
        Some(v)
    }

    fn align_byte(&mut self) {
        self.bit = 0;
        self.nbits = 0;
    }
}

/// A canonical Huffman code: counts per length and symbols sorted by code.
struct Huffman {
    counts: [u16; 16],
    symbols: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Option<Huffman> {
        let mut counts = [0u16; 16];
        for &l in lengths {
            *counts.get_mut(usize::from(l))? += 1;
        }
        counts[0] = 0;
        let mut offs = [0u16; 16];
        for i in 1..16 {
            offs[i] = offs[i - 1] + counts[i - 1];
        }
        let mut symbols = vec![0u16; lengths.len()];
        for (sym, &l) in lengths.iter().enumerate() {
            if l != 0 {
                let o = offs.get_mut(usize::from(l))?;
                *symbols.get_mut(usize::from(*o))? = u16::try_from(sym).ok()?;
                *o += 1;
            }
        }
        Some(Huffman { counts, symbols })
    }

    fn decode(&self, b: &mut Bits<'_>) -> Option<u16> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= i32::try_from(b.bits(1)?).ok()?;
            let count = i32::from(self.counts[len]);
            if code - count < first {
                return self
                    .symbols
                    .get(usize::try_from(index + (code - first)).ok()?)
                    .copied();
            }
            index += count;
            first += count;
            first <<= 1;
            code <<= 1;
        }
        None
    }
}

const LEN_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEN_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

fn codes(b: &mut Bits<'_>, out: &mut Vec<u8>, lit: &Huffman, dist: &Huffman) -> Option<()> {
    loop {
        let sym = lit.decode(b)?;
        match sym {
            0..=255 => {
                out.push(u8::try_from(sym).ok()?);
                if out.len() > MAX_OUT {
                    return None;
                }
            }
            256 => return Some(()),
            _ => {
                let i = usize::from(sym - 257);
                let len = usize::from(*LEN_BASE.get(i)?)
                    + b.bits(u32::from(*LEN_EXTRA.get(i)?))? as usize;
                let d = usize::from(dist.decode(b)?);
                let distance = usize::from(*DIST_BASE.get(d)?)
                    + b.bits(u32::from(*DIST_EXTRA.get(d)?))? as usize;
                if distance > out.len() || out.len() + len > MAX_OUT {
                    return None;
                }
                let start = out.len() - distance;
                for k in 0..len {
                    let byte = *out.get(start + k)?;
                    out.push(byte);
                }
            }
        }
    }
}

/// Decodes a raw DEFLATE stream.
fn inflate(data: &[u8]) -> Option<Vec<u8>> {
    let mut b = Bits {
        data,
        pos: 0,
        bit: 0,
        nbits: 0,
    };
    let mut out = Vec::new();
    loop {
        let last = b.bits(1)?;
        match b.bits(2)? {
            0 => {
                b.align_byte();
                let hdr = data.get(b.pos..b.pos + 4)?;
                let len = usize::from(u16::from_le_bytes([hdr[0], hdr[1]]));
                b.pos += 4;
                out.extend_from_slice(data.get(b.pos..b.pos + len)?);
                b.pos += len;
            }
            1 => {
                let mut lengths = [0u8; 288];
                for (i, l) in lengths.iter_mut().enumerate() {
                    *l = match i {
                        0..=143 => 8,
                        144..=255 => 9,
                        256..=279 => 7,
                        _ => 8,
                    };
                }
                let lit = Huffman::new(&lengths)?;
                let dist = Huffman::new(&[5u8; 30])?;
                codes(&mut b, &mut out, &lit, &dist)?;
            }
            2 => {
                let hlit = b.bits(5)? as usize + 257;
                let hdist = b.bits(5)? as usize + 1;
                let hclen = b.bits(4)? as usize + 4;
                const ORDER: [usize; 19] = [
                    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
                ];
                let mut cl = [0u8; 19];
                for &o in ORDER.iter().take(hclen) {
                    cl[o] = u8::try_from(b.bits(3)?).ok()?;
                }
                let clh = Huffman::new(&cl)?;
                let mut lengths = Vec::with_capacity(hlit + hdist);
                while lengths.len() < hlit + hdist {
                    let sym = clh.decode(&mut b)?;
                    match sym {
                        0..=15 => lengths.push(u8::try_from(sym).ok()?),
                        16 => {
                            let prev = *lengths.last()?;
                            for _ in 0..3 + b.bits(2)? {
                                lengths.push(prev);
                            }
                        }
                        17 => lengths.extend(std::iter::repeat_n(0, 3 + b.bits(3)? as usize)),
                        _ => lengths.extend(std::iter::repeat_n(0, 11 + b.bits(7)? as usize)),
                    }
                }
                if lengths.len() != hlit + hdist {
                    return None;
                }
                let lit = Huffman::new(&lengths[..hlit])?;
                let dist = Huffman::new(&lengths[hlit..])?;
                codes(&mut b, &mut out, &lit, &dist)?;
            }
            _ => return None,
        }
        if last == 1 {
            return Some(out);
        }
    }
}

/// Decodes a gzip file (one member; the header's optional fields are skipped).
pub fn gunzip(data: &[u8]) -> Option<Vec<u8>> {
    if data.get(..3)? != [0x1f, 0x8b, 8] {
        return None;
    }
    let flags = *data.get(3)?;
    let mut pos = 10;
    if flags & 4 != 0 {
        let x = data.get(pos..pos + 2)?;
        pos += 2 + usize::from(u16::from_le_bytes([x[0], x[1]]));
    }
    for bit in [8u8, 16] {
        if flags & bit != 0 {
            pos += data.get(pos..)?.iter().position(|&c| c == 0)? + 1;
        }
    }
    if flags & 2 != 0 {
        pos += 2;
    }
    inflate(data.get(pos..)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflates_stored_and_fixed_blocks() {
        // `printf 'hello hello hello\n' | gzip -n` (fixed Huffman block).
        let gz = [
            0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xcb, 0x48, 0xcd, 0xc9,
            0xc9, 0x57, 0xc8, 0x40, 0x90, 0x5c, 0x00, 0x3b, 0x7c, 0x8a, 0xdf, 0x12, 0x00, 0x00,
            0x00,
        ];
        assert_eq!(gunzip(&gz).unwrap(), b"hello hello hello\n");
        assert!(gunzip(b"not gzip").is_none());
        assert!(gunzip(&gz[..15]).is_none());
    }

    #[test]
    fn inflates_the_running_kernels_config() {
        // Dynamic Huffman blocks; skipped silently where the kernel has no /proc/config.gz.
        if let Ok(gz) = std::fs::read("/proc/config.gz") {
            let text = gunzip(&gz).unwrap();
            assert!(String::from_utf8_lossy(&text).contains("CONFIG_BPF=y"));
        }
    }
}
