//! Type cycles in BTF: a typedef that names itself, a struct that contains itself (not
//! through a pointer), an array of itself. Such BTF has no layout; the kernel refuses it
//! ("Loop detected"), and code that followed it naively would never stop. The parser checks
//! ids and offsets; this checks the graph once, iteratively (no recursion, so no stack
//! overflow on a deep chain), in time linear in the number of types.
//!
//! Edges are the references that need the target's layout: typedefs and modifiers, array
//! elements, struct/union members, a VAR's type, DATASEC entries, FUNC → FUNC_PROTO →
//! return and parameter types, DECL_TAG targets. A pointer is not an edge: pointers are how
//! C writes legitimate recursive types.

use super::{Btf, BtfType};

/// The types `t` needs the layout of.
fn edges(t: &BtfType) -> Vec<u32> {
    match t {
        BtfType::Typedef(r)
        | BtfType::Volatile(r)
        | BtfType::Const(r)
        | BtfType::Restrict(r)
        | BtfType::TypeTag(r) => vec![r.type_id],
        BtfType::Array(a) => vec![a.elem_type],
        BtfType::Struct(c) | BtfType::Union(c) => c.members.iter().map(|m| m.type_id).collect(),
        BtfType::Var(v) => vec![v.type_id],
        BtfType::Datasec(d) => d.vars.iter().map(|v| v.type_id).collect(),
        BtfType::Func(f) => vec![f.proto],
        BtfType::FuncProto(p) => std::iter::once(p.return_type)
            .chain(p.params.iter().map(|p| p.type_id))
            .collect(),
        BtfType::DeclTag(d) => vec![d.type_id],
        _ => Vec::new(),
    }
}

/// The id of a type that is part of a layout cycle, if there is one.
pub(super) fn find_cycle(btf: &Btf) -> Option<u32> {
    const WHITE: u8 = 0;
    const GREY: u8 = 1;
    const BLACK: u8 = 2;
    let types = btf.types();
    let mut colour = vec![WHITE; types.len()];
    for start in 0..types.len() {
        if colour[start] != WHITE {
            continue;
        }
        // (type, its edges, next edge to visit)
        let mut stack: Vec<(usize, Vec<u32>, usize)> = vec![(start, edges(&types[start]), 0)];
        colour[start] = GREY;
        while let Some((node, out, next)) = stack.last_mut() {
            let Some(&target) = out.get(*next) else {
                colour[*node] = BLACK;
                stack.pop();
                continue;
            };
            *next += 1;
            let t = target as usize;
            match colour.get(t) {
                // An id past the table: the parser reports it; not a cycle.
                None => {}
                Some(&GREY) => return u32::try_from(t).ok(),
                Some(&WHITE) => {
                    colour[t] = GREY;
                    let e = edges(&types[t]);
                    stack.push((t, e, 0));
                }
                Some(_) => {}
            }
        }
    }
    None
}
