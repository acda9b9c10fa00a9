//! Version-5 UUIDs from stable names: the same system, document and subject always get the
//! same UUID, and different ones never share one.

use uuid::Uuid;

/// The namespace every posture UUID is derived in: UUIDv5(URL, "https://posture.dev/oscal").
pub fn namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"https://posture.dev/oscal")
}

/// The UUID of `name` within the system `system` (`ssp/fedramp-moderate`,
/// `component/target/kyverno`, `resource/network/x.yaml`).
pub fn uuid(system: &str, name: &str) -> String {
    Uuid::new_v5(&namespace(), format!("{system}\n{name}").as_bytes()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_and_distinct() {
        let a = uuid("s", "ssp/x");
        assert_eq!(a, uuid("s", "ssp/x"));
        assert_ne!(a, uuid("s", "ssp/y"));
        assert_ne!(a, uuid("t", "ssp/x"));
        // Version 5, RFC 4122 variant.
        assert_eq!(&a[14..15], "5");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
    }
}
