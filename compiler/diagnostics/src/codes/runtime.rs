//! P5xxx: runtime detection (Falco lists, macros, rules and profiles).

declare_codes! {
    P5001 "list-as-scalar" Error "a Falco list is compared with a scalar operator, so Falco compares with its name as a literal string";
    P5002 "unknown-falco-list" Warning "`in (…)` names something that looks like a list but is not a declared one";
    P5003 "malformed-condition" Error "a Falco condition is empty, has unbalanced parentheses or an unterminated string";
    P5004 "invalid-falco-identifier" Error "a list or macro name cannot be written in a Falco condition";
}
