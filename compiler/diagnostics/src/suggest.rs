//! "Did you mean" suggestions for unknown names.

/// The candidate closest to `input`, when it is close enough to be a likely typo.
/// Ties go to the alphabetically first candidate, so the suggestion is deterministic.
pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(f64, &'a str)> = None;
    for cand in candidates {
        if cand == input {
            continue;
        }
        let score = strsim::jaro_winkler(&input.to_lowercase(), &cand.to_lowercase());
        let better = match best {
            None => true,
            Some((s, c)) => score > s || (score == s && cand < c),
        };
        if better {
            best = Some((score, cand));
        }
    }
    best.filter(|(s, _)| *s >= 0.8).map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        assert_eq!(
            did_you_mean("netwrok", ["network", "namespace", "runtime"]),
            Some("network")
        );
        assert_eq!(did_you_mean("zzz", ["network", "namespace"]), None);
    }
}
