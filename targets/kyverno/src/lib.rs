//! Target `kyverno/` (skeleton; being built).
