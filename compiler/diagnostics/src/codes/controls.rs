//! P2xxx: control ids, mappings and coverage.

declare_codes! {
    P2001 "malformed-control-id" Error "a control id is not written like `AC-2(1)`, `soc2:CC6.1` or `hipaa:164.312(a)(1)`";
    P2002 "unknown-control-id" Error "a control id is not in the catalog";
    P2003 "withdrawn-control-id" Error "a control id was withdrawn from SP 800-53 rev5";
    P2004 "unknown-framework" Error "a framework id is not one the compiler knows";
    P2005 "claimed-without-artifact" Warning "an item maps to controls but no emitted artifact enforces it, so coverage counts them as claimed";
    P2006 "not-applicable-but-mapped" Warning "a control declared not applicable is implemented or claimed by an item";
    P2030 "not-emitted" Warning "a block of the posture is checked but no target compiles it, so nothing it says reaches the output";
}
