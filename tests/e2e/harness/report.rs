//! The few fields of `rawbpf --json load` the tests compare with the kernel.

use serde_json::Value;

use super::MAP_NAME;

/// `load`'s JSON, reduced to the sockops program and the `sock_ops_map`.
#[derive(Debug, Clone)]
pub struct LoadReport {
    pub prog_id: u32,
    /// `attach.replaced_id`; `None` for `null` (and when `attach` is `null`).
    pub replaced_id: Option<u32>,
    pub attached: bool,
    pub map_id: u32,
    pub map_status: String,
    pub map_pin_path: Option<String>,
}

impl LoadReport {
    pub fn from_json(v: &Value) -> LoadReport {
        let progs = v["programs"]
            .as_array()
            .unwrap_or_else(|| panic!("no programs in {v}"));
        assert_eq!(progs.len(), 1, "expected one program in {v}");
        let p = &progs[0];
        let map = v["maps"]
            .as_array()
            .unwrap_or_else(|| panic!("no maps in {v}"))
            .iter()
            .find(|m| m["name"] == MAP_NAME)
            .unwrap_or_else(|| panic!("no {MAP_NAME} in {v}"));
        LoadReport {
            prog_id: id(&p["id"]),
            replaced_id: p["attach"]["replaced_id"].as_u64().map(|i| i as u32),
            attached: !p["attach"].is_null(),
            map_id: id(&map["id"]),
            map_status: map["status"].as_str().unwrap_or_default().to_string(),
            map_pin_path: map["pin_path"].as_str().map(str::to_string),
        }
    }
}

/// A JSON id as u32, panicking when it is not a positive integer.
pub fn id(v: &Value) -> u32 {
    v.as_u64()
        .filter(|&i| i > 0 && i <= u32::MAX as u64)
        .unwrap_or_else(|| panic!("not an id: {v}")) as u32
}
