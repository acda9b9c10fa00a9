//! The typed CEL subset of admission rules (skeleton; being built).
