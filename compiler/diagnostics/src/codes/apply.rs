//! P8xxx: a build against a live cluster (`posture apply`, `diff --live`, `verify --live`) and
//! reviews of builds. P8001–P8049 belong to the live commands, P8050–P8059 to `posture diff`
//! between two revisions.

declare_codes! {
    P8001 "not-a-build" Error "the directory is not the output of `posture build`";
    P8002 "build-output-modified" Error "a file of the build differs from the digest its manifest records";
    P8003 "kubeconfig-unusable" Error "no usable cluster configuration: kubeconfig, context or in-cluster account";
    P8004 "cluster-unreachable" Error "the cluster's API server cannot be reached";
    P8005 "missing-api-kind" Error "the cluster does not serve a kind the build holds (a CRD is not installed)";
    P8006 "forbidden" Error "the cluster's authorization refuses an operation apply or verify needs";
    P8007 "apply-refused" Error "the API server refused an object; the run stopped there";
    P8008 "namespace-not-pruned" Warning "a namespace the build no longer holds is not deleted by `--prune`";
    P8009 "namespace-missing" Error "an object's namespace neither exists in the cluster nor is created by the build";
    P8010 "admission-in-audit-mode" Warning "`apply --admission audit` applied admission policies that report violations instead of refusing them";
}
