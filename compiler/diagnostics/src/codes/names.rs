//! P1xxx: names, references and types.

declare_codes! {
    P1001 "import-outside-root" Error "an import points outside the project root";
    P1002 "import-not-found" Error "an imported file does not exist or cannot be read";
    P1003 "unknown-bundle" Error "`use std.…` names a bundle the standard library does not have";
    P1004 "duplicate-definition" Error "two declarations of the same kind have the same name";
    P1005 "unknown-attribute" Error "a block has an attribute it does not know";
    P1006 "missing-attribute" Error "a block lacks an attribute it requires";
    P1007 "type-mismatch" Error "a value has the wrong type for its attribute";
    P1008 "unknown-reference" Error "a name refers to nothing that is declared";
    P1009 "wrong-reference-kind" Error "a name refers to a declaration of the wrong kind";
    P1010 "duplicate-attribute" Error "an attribute is set twice in one block";
    P1011 "invalid-cidr" Error "an address block is malformed or has host bits set";
    P1012 "invalid-url" Error "a URL is malformed or uses a scheme that is not allowed here";
    P1013 "invalid-kubernetes-name" Error "a name that becomes a Kubernetes object is not a valid DNS-1123 name";
    P1014 "invalid-duration" Error "a duration has no unit or a unit that is not a duration";
    P1015 "invalid-quantity" Error "a Kubernetes quantity is malformed";
    P1016 "invalid-pattern" Error "a glob, regex or label key is malformed";
    P1017 "unknown-variant" Error "a value is not one of the words its attribute accepts";
    P1019 "invalid-permission" Error "a permission is not `resource:action`";
    P1020 "out-of-range" Error "a number is outside the range its attribute allows";
    P1021 "invalid-version" Error "a version string is malformed";
    P1022 "conflicting-settings" Error "two settings contradict each other";
    P1023 "unknown-permission" Error "a role grants a permission the realm does not declare";
    P1024 "secret-literal" Error "a value looks like a secret; secrets never live in posture files";
    P1025 "missing-bundle-parameter" Error "a `use` lacks a parameter its bundle requires";
    P1027 "exception-expiry" Error "an exception has expired (an error) or expires within 30 days (a warning)";
    P1028 "exception-matches-nothing" Warning "an exception waives a policy that does not apply in its scope";
    P1030 "exception-unknown-workload" Error "an exception's scope names a workload the posture does not declare";
    P1031 "exception-workload-overlap" Error "an exception's workload shares pods with another declared workload the exception does not name";
    P1050 "exception-pod-security-conflict" Error "an exception waives a Pod Security control that the namespace's enforced level would still reject, and lowering the level would leave controls unchecked";
}
