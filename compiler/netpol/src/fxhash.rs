//! The hash maps of this crate's in-memory tables: foldhash with a fixed seed (the workspace's
//! one fast hasher, as in `check`) instead of SipHash, which was a tenth of this crate's time
//! at 10,000 workloads. The tables are keyed by the posture's own ids and only looked up, never
//! iterated into output, so their order never shows; the fixed seed keeps runs alike.

/// A hash map with the fast hasher.
pub(crate) type FxHashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;
