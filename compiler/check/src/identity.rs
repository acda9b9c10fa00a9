//! `identity { … }`: realms, permissions, roles, clients, federation, RBAC mapping.

use crate::Top;
use crate::cx::Cx;
use crate::resolve::Symbols;

pub(crate) fn identity(
    cx: &mut Cx,
    syms: &mut Symbols,
    items: &[Top<'_>],
) -> ir::identity::Identity {
    let _ = (cx, syms, items);
    ir::identity::Identity::default()
}
