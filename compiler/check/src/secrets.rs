//! `secrets { … }`: stores, secrets and encryption at rest.

use crate::Top;
use crate::cx::Cx;
use crate::resolve::Symbols;

pub(crate) fn secrets(cx: &mut Cx, syms: &mut Symbols, items: &[Top<'_>]) -> ir::secrets::Secrets {
    let _ = (cx, syms, items);
    ir::secrets::Secrets::default()
}
