//! Diagnostic codes of one family; see the ranges in `codes.rs`.
declare_codes! {}
