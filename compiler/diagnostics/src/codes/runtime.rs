//! P5xxx: runtime detection (Falco lists, macros, rules and profiles).

declare_codes! {
    P5001 "list-as-scalar" Error "a Falco list is compared with a scalar operator, so Falco compares with its name as a literal string";
    P5002 "unknown-falco-list" Warning "`in (…)` names something that looks like a list but is not a declared one";
    P5003 "malformed-condition" Error "a Falco condition is empty, has unbalanced parentheses or an unterminated string";
    P5004 "invalid-falco-identifier" Error "a list or macro name cannot be written in a Falco condition";
    P5005 "unknown-falco-field" Error "a Falco condition or output names a field that Falco 0.44 does not have";
    P5006 "falco-field-argument" Error "a Falco field is given an argument it does not take, in the wrong form, or none when it needs one";
    P5007 "unknown-event-type" Error "a Falco condition compares `evt.type` with a name that is no event type";
    P5008 "falco-operator-type" Error "a Falco operator does not fit the type of the field it compares";
    P5009 "falco-value-type" Error "a value in a Falco condition does not fit the type of the field it is compared with";
    P5010 "undefined-falco-macro" Error "a Falco condition names a macro that is not defined";
    P5011 "runtime-exception-scope" Error "an exception that waives a runtime rule has a scope Falco cannot express exactly";
    P5012 "profile-outbound-undeclared" Error "a behaviour profile expects an outbound destination the network block does not declare for the workload";
    P5013 "falco-default-rule-title" Error "a runtime rule takes the title of a rule in Falco's default rules, which it would replace";
}
