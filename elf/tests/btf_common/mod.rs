//! A test-only BTF blob builder shared by the `btf_*` integration tests.
//!
//! Types are appended as 32-bit words and emitted in either byte order, so the same builder
//! gives a little- and a big-endian blob of identical content. The header can be tampered
//! with through [`Hdr`] to build malformed blobs.
#![allow(dead_code)]

pub const INT: u32 = 1;
pub const PTR: u32 = 2;
pub const ARRAY: u32 = 3;
pub const STRUCT: u32 = 4;
pub const UNION: u32 = 5;
pub const ENUM: u32 = 6;
pub const FWD: u32 = 7;
pub const TYPEDEF: u32 = 8;
pub const VOLATILE: u32 = 9;
pub const CONST: u32 = 10;
pub const RESTRICT: u32 = 11;
pub const FUNC: u32 = 12;
pub const FUNC_PROTO: u32 = 13;
pub const VAR: u32 = 14;
pub const DATASEC: u32 = 15;
pub const FLOAT: u32 = 16;
pub const DECL_TAG: u32 = 17;
pub const TYPE_TAG: u32 = 18;
pub const ENUM64: u32 = 19;

/// The header fields, as written (tests tamper with them).
#[derive(Debug, Clone, Copy)]
pub struct Hdr {
    pub magic: u16,
    pub version: u8,
    pub flags: u8,
    pub hdr_len: u32,
    pub type_off: u32,
    pub type_len: u32,
    pub str_off: u32,
    pub str_len: u32,
}

#[derive(Debug, Clone)]
pub struct Builder {
    /// The type section as 32-bit words.
    pub words: Vec<u32>,
    pub strings: Vec<u8>,
    /// Number of types added (the next id is `count + 1`).
    pub count: u32,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            words: Vec::new(),
            strings: vec![0],
            count: 0,
        }
    }
}

impl Builder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a string and returns its offset ("" is offset 0).
    pub fn s(&mut self, name: &str) -> u32 {
        if name.is_empty() {
            return 0;
        }
        let off = self.strings.len() as u32;
        self.strings.extend_from_slice(name.as_bytes());
        self.strings.push(0);
        off
    }

    /// Appends a `struct btf_type` head; returns the new type's id.
    pub fn head(
        &mut self,
        name: &str,
        kind: u32,
        kflag: bool,
        vlen: u32,
        size_or_type: u32,
    ) -> u32 {
        let name_off = self.s(name);
        self.raw_head(name_off, kind, kflag, vlen, size_or_type)
    }

    pub fn raw_head(&mut self, name_off: u32, kind: u32, kflag: bool, vlen: u32, sot: u32) -> u32 {
        let info = (u32::from(kflag) << 31) | (kind << 24) | vlen;
        self.words.extend([name_off, info, sot]);
        self.count += 1;
        self.count
    }

    pub fn w(&mut self, words: &[u32]) {
        self.words.extend_from_slice(words);
    }

    pub fn int(&mut self, name: &str, size: u32, encoding: u32, bits: u32) -> u32 {
        let id = self.head(name, INT, false, 0, size);
        self.w(&[(encoding << 24) | bits]);
        id
    }

    pub fn reftype(&mut self, kind: u32, name: &str, target: u32) -> u32 {
        self.head(name, kind, false, 0, target)
    }

    pub fn array(&mut self, elem: u32, index: u32, nelems: u32) -> u32 {
        let id = self.head("", ARRAY, false, 0, 0);
        self.w(&[elem, index, nelems]);
        id
    }

    /// A struct or union; members are (name, type, offset word).
    pub fn composite(
        &mut self,
        kind: u32,
        name: &str,
        size: u32,
        kflag: bool,
        members: &[(&str, u32, u32)],
    ) -> u32 {
        let id = self.head(name, kind, kflag, members.len() as u32, size);
        for (n, t, o) in members {
            let n = self.s(n);
            self.w(&[n, *t, *o]);
        }
        id
    }

    pub fn func_proto(&mut self, ret: u32, params: &[(&str, u32)]) -> u32 {
        let id = self.head("", FUNC_PROTO, false, params.len() as u32, ret);
        for (n, t) in params {
            let n = self.s(n);
            self.w(&[n, *t]);
        }
        id
    }

    pub fn var(&mut self, name: &str, ty: u32, linkage: u32) -> u32 {
        let id = self.head(name, VAR, false, 0, ty);
        self.w(&[linkage]);
        id
    }

    /// A DATASEC; vars are (var type id, offset, size).
    pub fn datasec(&mut self, name: &str, size: u32, vars: &[(u32, u32, u32)]) -> u32 {
        let id = self.head(name, DATASEC, false, vars.len() as u32, size);
        for (t, o, s) in vars {
            self.w(&[*t, *o, *s]);
        }
        id
    }

    /// The default header for the current content.
    pub fn hdr(&self) -> Hdr {
        let type_len = self.words.len() as u32 * 4;
        Hdr {
            magic: 0xeb9f,
            version: 1,
            flags: 0,
            hdr_len: 24,
            type_off: 0,
            type_len,
            str_off: type_len,
            str_len: self.strings.len() as u32,
        }
    }

    /// Header, types, strings, in little- or big-endian order.
    pub fn blob(&self, big: bool) -> Vec<u8> {
        self.blob_with(big, self.hdr())
    }

    /// As [`Builder::blob`] with a given header; the body is always types then strings.
    pub fn blob_with(&self, big: bool, h: Hdr) -> Vec<u8> {
        let u16b = |v: u16| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let u32b = |v: u32| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut out = Vec::new();
        out.extend(u16b(h.magic));
        out.push(h.version);
        out.push(h.flags);
        for v in [h.hdr_len, h.type_off, h.type_len, h.str_off, h.str_len] {
            out.extend(u32b(v));
        }
        for w in &self.words {
            out.extend(u32b(*w));
        }
        out.extend_from_slice(&self.strings);
        out
    }

    pub fn le(&self) -> Vec<u8> {
        self.blob(false)
    }
}

/// One type of every kind, type id = kind number (ids are listed in the comments).
pub fn all_kinds() -> Builder {
    let mut b = Builder::new();
    let int = b.int("int", 4, 1, 32); // 1
    let ptr = b.reftype(PTR, "", int); // 2
    let arr = b.array(int, int, 4); // 3
    let st = b.composite(
        STRUCT,
        "s",
        8,
        true,
        &[("a", int, 0), ("bf", int, (3 << 24) | 32)],
    ); // 4
    let un = b.composite(UNION, "u", 4, false, &[("x", int, 0), ("y", ptr, 0)]); // 5
    let en = b.head("e", ENUM, true, 2, 4); // 6
    let (a, c) = (b.s("A"), b.s("B"));
    b.w(&[a, (-1i32) as u32, c, 7]);
    b.head("fwd_u", FWD, true, 0, 0); // 7
    let td = b.reftype(TYPEDEF, "td", st); // 8
    let vo = b.reftype(VOLATILE, "", td); // 9
    let co = b.reftype(CONST, "", vo); // 10
    b.reftype(RESTRICT, "", ptr); // 11
    b.head("f", FUNC, false, 1, 13); // 12, a forward reference to its proto
    b.func_proto(int, &[("p", ptr), ("", arr)]); // 13
    let var = b.var("v", co, 1); // 14
    b.datasec(".data", 8, &[(var, 0, 8)]); // 15
    b.head("double", FLOAT, false, 0, 8); // 16
    b.head("tag", DECL_TAG, false, 0, st); // 17
    b.w(&[1]);
    b.reftype(TYPE_TAG, "user", int); // 18
    b.head("e64", ENUM64, false, 1, 8); // 19
    let big = b.s("BIG");
    b.w(&[big, 0x8765_4321, 0x1234_5678]);
    let _ = (un, en);
    b
}

/// One `.BTF.ext` info block: record size and (section name offset, records as words).
#[derive(Debug, Clone, Default)]
pub struct ExtBlock {
    pub rec_size: u32,
    pub secs: Vec<(u32, u32, Vec<u32>)>,
}

impl ExtBlock {
    /// `num` is written as given (tests lie about it); `words` are the records' words.
    pub fn sec(mut self, name_off: u32, num: u32, words: &[u32]) -> Self {
        self.secs.push((name_off, num, words.to_vec()));
        self
    }

    fn words(&self) -> Vec<u32> {
        let mut w = vec![self.rec_size];
        for (n, c, r) in &self.secs {
            w.extend([*n, *c]);
            w.extend(r);
        }
        w
    }
}

/// A `.BTF.ext` blob; `hdr_len` 24 (no CO-RE block) or 32.
pub fn ext_blob(big: bool, hdr_len: u32, blocks: [Option<&ExtBlock>; 3]) -> Vec<u8> {
    let u32b = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut body: Vec<u32> = Vec::new();
    let mut fields = Vec::new();
    for b in blocks.iter().take(if hdr_len >= 32 { 3 } else { 2 }) {
        let start = body.len() as u32 * 4;
        if let Some(b) = b {
            body.extend(b.words());
        }
        fields.extend([start, body.len() as u32 * 4 - start]);
    }
    let mut out = Vec::new();
    out.extend(if big {
        0xeb9fu16.to_be_bytes()
    } else {
        0xeb9fu16.to_le_bytes()
    });
    out.extend([1, 0]);
    out.extend(u32b(hdr_len));
    for f in fields {
        out.extend(u32b(f));
    }
    out.resize(hdr_len as usize, 0);
    for w in body {
        out.extend(u32b(w));
    }
    out
}

/// Reads `blob` both ways — [`rawbpf_elf::btf::Btf::parse`] and a lazy
/// [`rawbpf_elf::btf::BtfView`] with every type decoded — and asserts they agree: the same
/// types, or the same error. Returns the full parse's result.
pub fn parse_both_ways(blob: &[u8]) -> rawbpf_elf::Result<rawbpf_elf::btf::Btf> {
    use rawbpf_elf::btf::{Btf, BtfTypes, BtfView};
    let full = Btf::parse(blob);
    let lazy = BtfView::parse(blob).and_then(|view| {
        let types = (0..view.len())
            .map(|id| view.type_by_id(id as u32).cloned())
            .collect::<rawbpf_elf::Result<Vec<_>>>()?;
        Ok((view.len(), types))
    });
    match (&full, &lazy) {
        (Ok(btf), Ok((len, types))) => {
            assert_eq!(btf.len(), *len, "type counts differ");
            assert_eq!(btf.types(), types.as_slice(), "decoded types differ");
        }
        (Err(a), Err(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}"), "errors differ"),
        (a, b) => panic!(
            "full parse and lazy view disagree: {:?} vs {:?}",
            a.as_ref().map(|_| "ok"),
            b.as_ref().map(|_| "ok")
        ),
    }
    full
}

/// xorshift64* (Vigna): small, fast, and good enough to spread mutations; a fixed seed
/// makes every run mutate the same way, so a failure names a case that reproduces.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}
