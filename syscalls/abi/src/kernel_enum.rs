//! `kernel_enum!`: one table per kernel enum gives its constants, their names and `Display`,
//! so a number and its name cannot drift apart.

/// Defines a `#[repr(transparent)]` newtype over `u32` for a kernel enum, with one associated
/// constant per `NAME = value, "text";` row, `name()` (the row's text) and `Display` (the
/// text, or `type N` for a value the table does not know, e.g. from a newer kernel).
macro_rules! kernel_enum {
    (
        $(#[$meta:meta])*
        $ty:ident, prefix $prefix:literal;
        $($name:ident = $value:literal, $text:literal;)*
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(transparent)]
        pub struct $ty(pub u32);

        impl $ty {
            $(
                #[doc = concat!("`", $prefix, stringify!($name), "`.")]
                pub const $name: $ty = $ty($value);
            )*

            /// Every value the table knows, in the kernel's order.
            pub const ALL: &'static [$ty] = &[$($ty::$name),*];

            /// The kernel's name for this value with the prefix dropped, in lower case, as
            /// libbpf and bpftool print it; `None` for a value this table does not know.
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some($text),)*
                    _ => None,
                }
            }
        }

        impl core::fmt::Display for $ty {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "type {}", self.0),
                }
            }
        }

        #[cfg(test)]
        mod table_tests {
            use super::$ty;
            use std::string::ToString;

            /// Each row's text is its constant's name in lower case, and the values count up
            /// from the first without gaps or repeats (the kernel's enums have none).
            #[test]
            fn names_follow_the_constants() {
                let rows: &[($ty, &str)] = &[$(($ty::$name, stringify!($name))),*];
                for (i, (value, ident)) in rows.iter().enumerate() {
                    assert_eq!(value.0, rows[0].0 .0 + i as u32, "{ident}");
                    assert_eq!(value.name(), Some(ident.to_lowercase().as_str()));
                }
                let past = $ty(rows[0].0 .0 + rows.len() as u32);
                assert_eq!(past.name(), None);
                assert_eq!(past.to_string(), std::format!("type {}", past.0));
            }
        }
    };
}

pub(crate) use kernel_enum;
