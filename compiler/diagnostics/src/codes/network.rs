//! P4xxx: network intents, ingress TLS and the mesh.

declare_codes! {
    P4001 "port-on-source" Error "an `allow` source carries a port";
    P4002 "flow-outside-cluster" Error "an `allow` connects two address blocks";
    P4003 "unknown-port" Error "a port does not exist on its destination workload";
    P4004 "duplicate-intent" Warning "an `allow` repeats an earlier one";
    P4005 "cidr-overlaps-cluster" Warning "an address block overlaps the pod or service range";
    P4006 "allow-without-deny" Warning "an `allow` targets a namespace that is not default-deny in that direction";
    P4007 "shadowed-intent" Warning "an `allow` adds nothing: another intent already allows all of it";
    P4008 "reachability-proof-failed" Error "the emitted NetworkPolicies do not allow exactly the declared flows";
    P4009 "strict-mtls-from-outside-mesh" Error "a flow into a namespace with strict mTLS comes from a client outside the mesh, whose plaintext connections the sidecar refuses";
    P4010 "plaintext-mesh-hop" Warning "a declared flow enters or leaves the mesh without TLS, so encryption in transit does not hold for it";
}
