//! How `map dump` shows a decoded key or value: a BTF [`Value`] turned into a [`Shown`] tree
//! with display rules for network fields, which prints as JSON or as bpftool-like text.
//!
//! Rules (by struct field name, case-insensitive): a 4-byte unsigned integer whose name ends
//! in `ip4`, `addr4` or `_ip`, or is `ip`, `sip`, `dip`, `saddr` or `daddr`, is an IPv4
//! address in network order, shown dotted from its in-memory bytes; a `u32[4]` or `u8[16]` whose name ends in `ip6` or `addr6` is an IPv6
//! address. Everything else is shown as BTF says (ports are plain numbers: the sockops
//! program stores them in host order).

use std::net::{Ipv4Addr, Ipv6Addr};

use rawbpf_elf::btf::Value;
use serde_json::Value as Json;

/// A decoded value ready to print.
#[derive(Debug, Clone, PartialEq)]
pub enum Shown {
    /// A number, already formatted (`42`, `-1`, `1.5`).
    Number(String),
    /// A bool.
    Bool(bool),
    /// Text from the data (a `char[]` string): quoted in text output.
    Text(String),
    /// A symbol rawbpf made (an address, an enum name, a pointer): unquoted in text output.
    Symbol(String),
    /// A struct or union: fields in order.
    Fields(Vec<(String, Shown)>),
    /// An array.
    List(Vec<Shown>),
}

/// Serialised as [`Shown::to_json`] would be, but with struct fields in declaration order
/// (a `serde_json::Value` object sorts its keys).
impl serde::Serialize for Shown {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Shown::Fields(fields) => {
                let mut m = ser.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
            Shown::List(items) => {
                let mut seq = ser.serialize_seq(Some(items.len()))?;
                for v in items {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            other => other.to_json().serialize(ser),
        }
    }
}

impl Shown {
    /// The JSON form: numbers as numbers (a 128-bit one that does not fit as a string),
    /// structs as objects, the rest as strings.
    pub fn to_json(&self) -> Json {
        match self {
            Shown::Number(n) => number(n),
            Shown::Bool(b) => Json::Bool(*b),
            Shown::Text(s) | Shown::Symbol(s) => Json::String(s.clone()),
            Shown::Fields(fields) => Json::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
            Shown::List(items) => Json::Array(items.iter().map(Shown::to_json).collect()),
        }
    }

    /// One-line text: `{sip4: 127.0.0.1, sport: 41234}`.
    pub fn to_text(&self) -> String {
        match self {
            Shown::Number(n) => n.clone(),
            Shown::Bool(b) => b.to_string(),
            Shown::Text(s) => format!("{s:?}"),
            Shown::Symbol(s) => s.clone(),
            Shown::Fields(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", v.to_text()))
                    .collect();
                format!("{{{}}}", parts.join(", "))
            }
            Shown::List(items) => {
                let parts: Vec<String> = items.iter().map(Shown::to_text).collect();
                format!("[{}]", parts.join(", "))
            }
        }
    }
}

/// A formatted number as JSON: integers that fit 64 bits and finite floats as numbers,
/// wider integers as strings (JSON readers lose precision past 2^53 already, past 2^64 all
/// of them do).
fn number(n: &str) -> Json {
    if let Ok(u) = n.parse::<u64>() {
        Json::from(u)
    } else if let Ok(i) = n.parse::<i64>() {
        Json::from(i)
    } else if n.contains(['.', 'e', 'E']) {
        n.parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Json::String(n.to_string()), Json::Number)
    } else {
        Json::String(n.to_string())
    }
}

/// `value` as [`Shown`], applying the field-name rules.
pub fn show(value: &Value) -> Shown {
    show_named(None, value)
}

fn show_named(name: Option<&str>, value: &Value) -> Shown {
    if let Some(addr) = name.and_then(|n| address(n, value)) {
        return Shown::Symbol(addr);
    }
    match value {
        Value::Int {
            value,
            signed: false,
            ..
        } => Shown::Number((*value as u128).to_string()),
        Value::Int { value, .. } => Shown::Number(value.to_string()),
        Value::Bool(b) => Shown::Bool(*b),
        Value::Char(c) if c.is_ascii_graphic() || *c == b' ' => {
            Shown::Text(char::from(*c).to_string())
        }
        Value::Char(c) => Shown::Number(c.to_string()),
        Value::Float(f) if f.is_finite() => Shown::Number(f.to_string()),
        Value::Float(f) => Shown::Symbol(f.to_string()),
        Value::Enum {
            name: Some(name), ..
        } => Shown::Symbol(name.clone()),
        Value::Enum { value, .. } => Shown::Number(value.to_string()),
        Value::Struct { fields, .. } | Value::Union { fields, .. } => {
            let mut out = Vec::new();
            flatten(fields, &mut out);
            Shown::Fields(out)
        }
        Value::Array(items) => Shown::List(items.iter().map(|v| show_named(None, v)).collect()),
        Value::Bytes(bytes) => match c_string(bytes) {
            Some(s) => Shown::Text(s.to_string()),
            None => Shown::List(bytes.iter().map(|b| Shown::Number(b.to_string())).collect()),
        },
        Value::Ptr(p) => Shown::Symbol(format!("{p:#x}")),
    }
}

/// Fields of a struct; an anonymous struct/union member's fields join their parent's, as C
/// reaches them (`skops->reply`).
fn flatten(fields: &[(String, Value)], out: &mut Vec<(String, Shown)>) {
    for (name, v) in fields {
        match v {
            Value::Struct { fields: inner, .. } | Value::Union { fields: inner, .. }
                if name.is_empty() =>
            {
                flatten(inner, out);
            }
            _ => out.push((name.clone(), show_named(Some(name), v))),
        }
    }
}

/// Whether a field of this name holds an IPv4 address (when it is a `u32`).
pub(crate) fn is_v4_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["ip4", "addr4", "_ip"].iter().any(|s| lower.ends_with(s))
        || matches!(lower.as_str(), "ip" | "sip" | "dip" | "saddr" | "daddr")
}

/// Whether a field of this name holds an IPv6 address (when it is a `u32[4]` or `u8[16]`).
pub(crate) fn is_v6_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["ip6", "addr6"].iter().any(|s| lower.ends_with(s))
}

/// The field as an IP address, when its name and shape say it is one.
fn address(name: &str, value: &Value) -> Option<String> {
    let v4 = is_v4_name(name);
    let v6 = is_v6_name(name);
    match value {
        Value::Int {
            value,
            signed: false,
            size: 4,
        } if v4 => {
            // Decoded in host order; the in-memory bytes are the address in network order.
            let bytes = u32::try_from(*value).ok()?.to_ne_bytes();
            Some(Ipv4Addr::from(bytes).to_string())
        }
        Value::Bytes(b) if v6 && b.len() == 16 => {
            let bytes: [u8; 16] = b.as_slice().try_into().ok()?;
            Some(Ipv6Addr::from(bytes).to_string())
        }
        Value::Array(words) if v6 && words.len() == 4 => {
            let mut bytes = [0u8; 16];
            for (chunk, w) in bytes.chunks_exact_mut(4).zip(words) {
                let Value::Int { value, size: 4, .. } = w else {
                    return None;
                };
                chunk.copy_from_slice(&(*value as u32).to_ne_bytes());
            }
            Some(Ipv6Addr::from(bytes).to_string())
        }
        _ => None,
    }
}

/// `bytes` as text if they are a non-empty run of printable ASCII followed only by NULs
/// (at least one): what a `char name[16]` holding a name looks like.
fn c_string(bytes: &[u8]) -> Option<&str> {
    let end = bytes.iter().position(|&b| b == 0)?;
    let (text, rest) = bytes.split_at(end);
    let printable = |b: &u8| b.is_ascii_graphic() || *b == b' ';
    if text.is_empty() || !text.iter().all(printable) || rest.iter().any(|&b| b != 0) {
        return None;
    }
    std::str::from_utf8(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u32v(v: u32) -> Value {
        Value::Int {
            value: i128::from(v),
            signed: false,
            size: 4,
        }
    }

    fn sock_key() -> Value {
        Value::Struct {
            name: Some("sock_key".into()),
            fields: vec![
                ("sip4".into(), u32v(u32::from_ne_bytes([127, 0, 0, 1]))),
                ("dip4".into(), u32v(u32::from_ne_bytes([10, 1, 2, 3]))),
                ("sport".into(), u32v(41234)),
                ("dport".into(), u32v(8080)),
            ],
        }
    }

    #[test]
    fn sock_key_shows_dotted_ips_and_ports() {
        let s = show(&sock_key());
        assert_eq!(
            s.to_text(),
            "{sip4: 127.0.0.1, dip4: 10.1.2.3, sport: 41234, dport: 8080}"
        );
        assert_eq!(
            s.to_json(),
            serde_json::json!({"sip4": "127.0.0.1", "dip4": "10.1.2.3", "sport": 41234, "dport": 8080})
        );
    }

    #[test]
    fn numbers_texts_and_anonymous_members() {
        let v = Value::Struct {
            name: None,
            fields: vec![
                ("comm".into(), Value::Bytes(b"curl\0\0\0\0".to_vec())),
                ("raw".into(), Value::Bytes(vec![1, 2])),
                (
                    "".into(),
                    Value::Union {
                        name: None,
                        fields: vec![("reply".into(), u32v(7))],
                    },
                ),
                (
                    "big".into(),
                    Value::Int {
                        value: -1,
                        signed: false,
                        size: 16,
                    },
                ),
                ("p".into(), Value::Ptr(0x1000)),
                (
                    "e".into(),
                    Value::Enum {
                        name: Some("TCP_ESTABLISHED".into()),
                        value: 1,
                    },
                ),
            ],
        };
        let s = show(&v);
        assert_eq!(
            s.to_text(),
            format!(
                "{{comm: \"curl\", raw: [1, 2], reply: 7, big: {}, p: 0x1000, e: TCP_ESTABLISHED}}",
                u128::MAX
            )
        );
        let j = s.to_json();
        assert_eq!(j["comm"], "curl");
        assert_eq!(j["reply"], 7);
        assert_eq!(j["big"], u128::MAX.to_string());
        assert_eq!(j["e"], "TCP_ESTABLISHED");
    }

    #[test]
    fn ipv6_and_non_matching_names() {
        let mut b = [0u8; 16];
        b[15] = 1;
        let v = Value::Struct {
            name: None,
            fields: vec![
                ("saddr6".into(), Value::Bytes(b.to_vec())),
                ("ship".into(), u32v(9)),
                ("src_ip".into(), u32v(u32::from_ne_bytes([1, 2, 3, 4]))),
                ("ipx".into(), u32v(5)),
            ],
        };
        assert_eq!(
            show(&v).to_text(),
            "{saddr6: ::1, ship: 9, src_ip: 1.2.3.4, ipx: 5}"
        );
    }

    #[test]
    fn serialises_fields_in_order() {
        let s = serde_json::to_string(&show(&sock_key())).unwrap();
        assert_eq!(
            s,
            r#"{"sip4":"127.0.0.1","dip4":"10.1.2.3","sport":41234,"dport":8080}"#
        );
        let l = Shown::List(vec![Shown::Number("1".into()), Shown::Text("a".into())]);
        assert_eq!(serde_json::to_string(&l).unwrap(), r#"[1,"a"]"#);
    }

    #[test]
    fn json_numbers() {
        assert_eq!(number("42"), serde_json::json!(42));
        assert_eq!(number("-1"), serde_json::json!(-1));
        assert_eq!(number("1.5"), serde_json::json!(1.5));
        assert_eq!(number("1e300"), serde_json::json!(1e300));
        let big = u128::MAX.to_string();
        assert_eq!(number(&big), serde_json::json!(big));
    }
}
