//! P3xxx: admission rules. P3001–P3099: the admission predicate language (CEL), checked by
//! the `cel` crate.

declare_codes! {
    P3001 "cel-syntax-error" Error "an admission expression is not valid CEL";
    P3002 "cel-too-deeply-nested" Error "an admission expression nests more than 128 levels deep";
    P3003 "cel-unknown-identifier" Error "an admission expression names a variable that does not exist";
    P3004 "cel-unknown-field" Error "an admission expression selects a field the Kubernetes schema does not have";
    P3005 "cel-type-mismatch" Error "an operator, function or rule gets a value of the wrong type";
    P3006 "cel-unknown-function" Error "an admission expression calls a function that does not exist or with the wrong number of arguments";
    P3007 "cel-unknown-parameter" Error "`params.NAME` names a parameter the bundle does not have";
    P3008 "cel-unhandled-absence" Error "a field that may be absent is used without saying what its absence means";
    P3009 "cel-schema-version" Warning "the target Kubernetes version is older than every vendored schema";
    P3010 "cel-escapes-autogen" Error "a Pod rule reads `object.metadata` unguarded or writes `object.?metadata`/`object.?spec`, which Kyverno's autogen for pod controllers gets wrong";
    P3011 "cel-invalid-regex" Error "a regular expression in CEL is not valid RE2 syntax";
    P3012 "exception-condition-untranslatable" Error "an exception's condition cannot be written as ClusterPolicy PolicyException conditions";
}
