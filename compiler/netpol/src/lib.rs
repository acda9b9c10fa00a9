//! NetworkPolicy semantics: a neutral model, loaders, and the reachability analysis.
