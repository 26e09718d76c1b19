//! The kernel's lockdown mode (the lockdown LSM), read only to explain an EPERM that no
//! missing capability explains.

use crate::host::kernel_config::read_kernel_config;

/// The active lockdown mode and where it was read: the bracketed word of
/// `/sys/kernel/security/lockdown` (`none [integrity] confidentiality`), else the mode the
/// kernel configuration forces from boot (it can only be raised later), else `none` for a
/// kernel built without the lockdown LSM. `None` when neither is readable.
pub fn mode() -> Option<(String, &'static str)> {
    if let Ok(text) = std::fs::read_to_string("/sys/kernel/security/lockdown")
        && let Some(mode) = text
            .split_whitespace()
            .find_map(|w| w.strip_prefix('[')?.strip_suffix(']'))
    {
        return Some((mode.to_string(), "/sys/kernel/security/lockdown"));
    }
    let config = read_kernel_config().ok()?;
    let set = |name: &str| config.get(name).is_some_and(|v| v == "y");
    if !set("CONFIG_SECURITY_LOCKDOWN_LSM") {
        return Some(("none".into(), "no lockdown LSM in the kernel configuration"));
    }
    ["confidentiality", "integrity"].into_iter().find_map(|m| {
        set(&format!(
            "CONFIG_LOCK_DOWN_KERNEL_FORCE_{}",
            m.to_uppercase()
        ))
        .then(|| (m.to_string(), "forced by the kernel configuration"))
    })
}

/// "; kernel lockdown is integrity (forced by the kernel configuration)" when lockdown is
/// on, "" when it is off or unknown: the tail of a refusal's message.
pub fn clause() -> String {
    match mode() {
        Some((m, from)) if m != "none" => format!("; kernel lockdown is {m} ({from})"),
        _ => String::new(),
    }
}
