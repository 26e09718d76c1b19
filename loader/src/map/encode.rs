//! The inverse of [`decode`](super::decode): a key or value given on the command line
//! (`sip4=127.0.0.1,sport=40000` for a struct, `42` for a number) turned into the bytes of
//! its BTF type, with the same field-name rules the dump shows them by, so what `map dump`
//! prints can be typed back. Pure: no kernel.
//!
//! Integers are written in host order (map keys and values are host-order memory; a port the
//! sockops program stores in host order is given in host order). A `u32` named like an IPv4
//! address takes a dotted address, stored in network order; an IPv6-named `u8[16]`/`u32[4]`
//! an IPv6 address. Fields not given are zero.

use std::net::{Ipv4Addr, Ipv6Addr};

use rawbpf_elf::btf::{Btf, BtfType};

use super::decode::{is_v4_name, is_v6_name};

/// Most fields one struct spec may name (a guard against absurd BTF).
const MAX_FIELDS: usize = 4096;

/// A struct member reachable by name: its type and byte offset in the whole value.
struct Field {
    name: String,
    type_id: u32,
    offset: usize,
}

/// `text` as the bytes of type `type_id` of `btf`. The error says what is wrong in words.
pub fn encode(btf: &Btf, type_id: u32, text: &str) -> Result<Vec<u8>, String> {
    let size = btf.size_of(type_id).map_err(|e| e.to_string())? as usize;
    let mut buf = vec![0u8; size];
    let (_, t) = btf.resolve(type_id).map_err(|e| e.to_string())?;
    if !matches!(t, BtfType::Struct(_) | BtfType::Union(_)) {
        scalar(btf, None, type_id, &mut buf, text.trim())?;
        return Ok(buf);
    }
    let mut fields = Vec::new();
    collect(btf, type_id, 0, 0, &mut fields)?;
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| format!("`{part}` is not FIELD=VALUE"))?;
        let name = name.trim();
        let f = fields.iter().find(|f| f.name == name).ok_or_else(|| {
            let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            format!("no field `{name}` (fields: {})", names.join(", "))
        })?;
        let len = btf.size_of(f.type_id).map_err(|e| e.to_string())? as usize;
        let slot = f
            .offset
            .checked_add(len)
            .and_then(|end| buf.get_mut(f.offset..end))
            .ok_or_else(|| format!("field `{name}` lies outside the type"))?;
        scalar(btf, Some(name), f.type_id, slot, value.trim())
            .map_err(|e| format!("field `{name}`: {e}"))?;
    }
    Ok(buf)
}

/// The named members of struct/union `type_id` at byte `base`, anonymous members' fields
/// joined to their parent's as the dump shows them. Bitfields are left out (they cannot be
/// set by byte).
fn collect(
    btf: &Btf,
    type_id: u32,
    base: usize,
    depth: u32,
    out: &mut Vec<Field>,
) -> Result<(), String> {
    if depth > rawbpf_elf::btf::MAX_DEPTH || out.len() > MAX_FIELDS {
        return Err("the type nests too deep".to_string());
    }
    let (_, t) = btf.resolve(type_id).map_err(|e| e.to_string())?;
    let (BtfType::Struct(c) | BtfType::Union(c)) = t else {
        return Ok(());
    };
    for m in &c.members {
        let bits = m.bit_offset(c.kind_flag);
        if m.bitfield_size(c.kind_flag) != 0 || bits % 8 != 0 {
            continue;
        }
        let offset = base + (bits / 8) as usize;
        let name = btf.string(m.name_off).map_err(|e| e.to_string())?;
        if name.is_empty() {
            collect(btf, m.type_id, offset, depth + 1, out)?;
        } else {
            out.push(Field {
                name: name.to_string(),
                type_id: m.type_id,
                offset,
            });
        }
    }
    Ok(())
}

/// Writes `text` into `slot`, which is exactly the size of `type_id`.
fn scalar(
    btf: &Btf,
    name: Option<&str>,
    type_id: u32,
    slot: &mut [u8],
    text: &str,
) -> Result<(), String> {
    let (_, t) = btf.resolve(type_id).map_err(|e| e.to_string())?;
    let v4 = name.is_some_and(is_v4_name);
    let v6 = name.is_some_and(is_v6_name);
    match t {
        BtfType::Int(i) if v4 && i.size == 4 && i.encoding & 1 == 0 => {
            let ip: Ipv4Addr = text
                .parse()
                .map_err(|_| format!("`{text}` is not an IPv4 address"))?;
            slot.copy_from_slice(&ip.octets());
        }
        BtfType::Int(i) if i.encoding & 4 != 0 => {
            let b = match text {
                "true" | "1" => 1,
                "false" | "0" => 0,
                _ => return Err(format!("`{text}` is not true or false")),
            };
            slot.fill(0);
            write_int(slot, b, false)?;
        }
        BtfType::Int(i) if i.encoding & 2 != 0 && text.chars().count() == 1 => {
            let c = text
                .bytes()
                .next()
                .filter(u8::is_ascii)
                .ok_or("not ASCII")?;
            write_int(slot, i128::from(c), false)?;
        }
        BtfType::Int(i) => write_int(slot, number(text)?, i.encoding & 1 != 0)?,
        BtfType::Ptr(_) => write_int(slot, number(text)?, false)?,
        BtfType::Enum(e) => {
            let named = e.values.iter().map(|v| (v.name_off, i128::from(v.val)));
            let v = enum_value(btf, named, text)?;
            write_int(slot, v, e.signed || v < 0)?;
        }
        BtfType::Enum64(e) => {
            let named = e.values.iter().map(|v| (v.name_off, i128::from(v.val)));
            let v = enum_value(btf, named, text)?;
            write_int(slot, v, e.signed || v < 0)?;
        }
        BtfType::Array(_) if v6 && slot.len() == 16 => {
            let ip: Ipv6Addr = text
                .parse()
                .map_err(|_| format!("`{text}` is not an IPv6 address"))?;
            slot.copy_from_slice(&ip.octets());
        }
        BtfType::Array(a)
            if btf.size_of(a.elem_type).is_ok_and(|n| n == 1) && text.starts_with('"') =>
        {
            let s = text
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .ok_or("unterminated string")?;
            if s.len() > slot.len() {
                return Err(format!("`{s}` is longer than {} bytes", slot.len()));
            }
            slot.fill(0);
            slot[..s.len()].copy_from_slice(s.as_bytes());
        }
        _ => {
            return Err(format!(
                "a {} cannot be given as text; give the whole key or value with --key-hex/--value-hex",
                t.kind_name()
            ));
        }
    }
    Ok(())
}

/// An enum given by one of its names or as a number.
fn enum_value(
    btf: &Btf,
    mut named: impl Iterator<Item = (u32, i128)>,
    text: &str,
) -> Result<i128, String> {
    match named.find(|(off, _)| btf.string(*off).is_ok_and(|n| n == text)) {
        Some((_, v)) => Ok(v),
        None => number(text),
    }
}

/// A decimal or `0x` hex integer, possibly negative.
fn number(text: &str) -> Result<i128, String> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let v = match digits.strip_prefix("0x") {
        Some(h) => i128::from_str_radix(h, 16),
        None => digits.parse::<i128>(),
    }
    .map_err(|_| format!("`{text}` is not a number"))?;
    Ok(if neg { -v } else { v })
}

/// `v` into `slot` (1, 2, 4, 8 or 16 bytes) in host order, refusing values that do not fit.
fn write_int(slot: &mut [u8], v: i128, signed: bool) -> Result<(), String> {
    let bits = slot.len() * 8;
    if bits == 0 || bits > 128 {
        return Err(format!("an integer of {} bytes", slot.len()));
    }
    let fits = if bits == 128 {
        signed || v >= 0
    } else if signed {
        let half = 1i128 << (bits - 1);
        (-half..half).contains(&v)
    } else {
        (0..(1i128 << bits)).contains(&v)
    };
    if !fits {
        let kind = if signed { "signed" } else { "unsigned" };
        return Err(format!("{v} does not fit a {bits}-bit {kind} integer"));
    }
    let bytes = v.to_ne_bytes();
    let part = if cfg!(target_endian = "little") {
        &bytes[..slot.len()]
    } else {
        &bytes[16 - slot.len()..]
    };
    slot.copy_from_slice(part);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::map::decode::{self, Shown};

    fn sockops_btf() -> (Btf, u32) {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../bpf-prog/bpf_sockops.o");
        let bytes = std::fs::read(path).unwrap();
        let obj = rawbpf_elf::Object::parse(&bytes).unwrap();
        let btf = obj.btf.unwrap();
        let (id, _) = btf.find_by_name("sock_key").unwrap();
        (btf, id)
    }

    /// A decoded struct as the `--key` text that names it.
    fn spec(shown: &Shown) -> String {
        let Shown::Fields(fields) = shown else {
            panic!("not a struct")
        };
        let parts: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", v.to_text()))
            .collect();
        parts.join(",")
    }

    #[test]
    fn sock_key_round_trips() {
        let (btf, id) = sockops_btf();
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&[127, 0, 0, 1]);
        bytes.extend_from_slice(&[10, 1, 2, 3]);
        bytes.extend_from_slice(&40000u32.to_ne_bytes());
        bytes.extend_from_slice(&8080u32.to_ne_bytes());
        let shown = decode::show(&btf.decode(id, &bytes).unwrap());
        let text = spec(&shown);
        assert_eq!(text, "sip4=127.0.0.1,dip4=10.1.2.3,sport=40000,dport=8080");
        assert_eq!(encode(&btf, id, &text).unwrap(), bytes);
        // Order does not matter, missing fields are zero.
        let partial = encode(&btf, id, "dport=8080, sip4=127.0.0.1").unwrap();
        assert_eq!(&partial[..4], &[127, 0, 0, 1]);
        assert_eq!(&partial[4..12], &[0; 8]);
        assert_eq!(&partial[12..], &8080u32.to_ne_bytes());
    }

    #[test]
    fn refuses_what_does_not_fit() {
        let (btf, id) = sockops_btf();
        let e = encode(&btf, id, "nope=1").unwrap_err();
        assert!(e.contains("sip4, dip4, sport, dport"), "{e}");
        assert!(encode(&btf, id, "sport=-1").is_err());
        assert!(encode(&btf, id, "sport=4294967296").is_err());
        assert!(encode(&btf, id, "sip4=300.0.0.1").is_err());
        assert!(encode(&btf, id, "sport").is_err());
    }

    #[test]
    fn integers() {
        let mut s = [0u8; 2];
        write_int(&mut s, 65535, false).unwrap();
        assert_eq!(s, [0xff, 0xff]);
        write_int(&mut s, -1, true).unwrap();
        assert_eq!(s, [0xff, 0xff]);
        assert!(write_int(&mut s, 32768, true).is_err());
        assert_eq!(number("0x10").unwrap(), 16);
        assert_eq!(number("-5").unwrap(), -5);
        assert!(number("x").is_err());
    }
}
