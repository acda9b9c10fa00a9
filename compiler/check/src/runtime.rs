//! `runtime { … }`: Falco lists, macros, rules, behaviour profiles and rule sets.

use crate::Top;
use crate::cx::Cx;
use crate::resolve::Symbols;

pub(crate) fn runtime(cx: &mut Cx, syms: &mut Symbols, items: &[Top<'_>]) -> ir::runtime::Runtime {
    let _ = (cx, syms, items);
    ir::runtime::Runtime::default()
}
