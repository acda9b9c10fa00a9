//! Output paths that every file system can hold: no file name (path segment) longer than
//! [`MAX_NAME_BYTES`]. Names come from the posture and may be long (an admission rule's name,
//! a namespace and a policy name together); a long one is cut and given a hash of the whole
//! name, so it stays unique and the same input always gives the same path.

use sha2::{Digest, Sha256};

/// The longest file name written, in bytes: the limit of ext4, XFS, btrfs and APFS.
pub const MAX_NAME_BYTES: usize = 255;

/// The number of hex digits of the SHA-256 of a long name kept in its short form (128 bits).
const HASH_HEX: usize = 32;

/// `path` with every `/`-separated segment longer than [`MAX_NAME_BYTES`] shortened: its
/// start, cut at a character boundary, then `-` and the first 32 hex digits of the SHA-256 of
/// the whole segment, then the segment's extension (`.yaml`) when it has a short one. Shorter
/// segments are unchanged, so ordinary paths do not move.
pub fn fit_path(path: &str) -> String {
    if fits(path) {
        return path.to_string();
    }
    path.split('/').map(fit_name).collect::<Vec<_>>().join("/")
}

/// [`fit_path`] of an owned path: the same string back, without a copy, when every segment
/// already fits (every path of an ordinary posture).
pub fn fit_owned(path: String) -> String {
    if fits(&path) { path } else { fit_path(&path) }
}

/// True when no segment of `path` is longer than [`MAX_NAME_BYTES`].
fn fits(path: &str) -> bool {
    path.len() <= MAX_NAME_BYTES || path.split('/').all(|s| s.len() <= MAX_NAME_BYTES)
}

fn fit_name(name: &str) -> String {
    if name.len() <= MAX_NAME_BYTES {
        return name.to_string();
    }
    let ext = match name.rfind('.') {
        Some(i) if i > 0 && name.len() - i <= 16 => &name[i..],
        _ => "",
    };
    let stem = &name[..name.len() - ext.len()];
    let digest = Sha256::digest(name.as_bytes());
    let mut hash = String::with_capacity(HASH_HEX);
    for b in digest.iter().take(HASH_HEX / 2) {
        hash.push_str(&format!("{b:02x}"));
    }
    let room = MAX_NAME_BYTES - ext.len() - 1 - HASH_HEX;
    let mut cut = room.min(stem.len());
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}-{hash}{ext}", &stem[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_paths_are_unchanged() {
        for p in ["kyverno/a.yaml", "network/policies/ns/p.yaml", ""] {
            assert_eq!(fit_path(p), p);
        }
        let exactly = format!("kyverno/{}.yaml", "a".repeat(MAX_NAME_BYTES - 5));
        assert_eq!(fit_path(&exactly), exactly);
        assert_eq!(fit_owned(exactly.clone()), exactly);
    }

    #[test]
    fn long_names_are_cut_hashed_and_distinct() {
        let long = "a".repeat(300);
        let other = format!("{}b", "a".repeat(299));
        let p1 = fit_path(&format!("kyverno/{long}.yaml"));
        let p2 = fit_path(&format!("kyverno/{other}.yaml"));
        assert_ne!(p1, p2);
        for p in [&p1, &p2] {
            assert!(p.starts_with("kyverno/aaaa"), "{p}");
            assert!(p.ends_with(".yaml"), "{p}");
            assert!(p.split('/').all(|s| s.len() <= MAX_NAME_BYTES), "{p}");
        }
        assert_eq!(
            p1,
            fit_path(&format!("kyverno/{long}.yaml")),
            "deterministic"
        );
        // Every segment, and multi-byte characters are never split.
        let wide = "é".repeat(200);
        let p = fit_path(&format!("{wide}/{wide}"));
        assert!(p.split('/').all(|s| s.len() <= MAX_NAME_BYTES), "{p}");
        // One byte over the limit is shortened too.
        let over = format!("{}.yaml", "a".repeat(MAX_NAME_BYTES - 4));
        assert_eq!(fit_path(&over).len(), MAX_NAME_BYTES);
        assert_eq!(
            fit_owned(over.clone()),
            fit_path(&over),
            "owned and borrowed agree"
        );
    }
}
