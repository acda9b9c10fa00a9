use super::*;

#[test]
fn default_api_follows_the_kyverno_version() {
    let v = |major, minor| Version { major, minor };
    assert_eq!(default_api(None), Api::Cel);
    assert_eq!(default_api(Some(&v(1, 17))), Api::Cel);
    assert_eq!(default_api(Some(&v(1, 19))), Api::Cel);
    assert_eq!(default_api(Some(&v(1, 16))), Api::ClusterPolicy);
    assert_eq!(default_api(Some(&v(1, 12))), Api::ClusterPolicy);
}

#[test]
fn day_after_crosses_months_and_years() {
    let d = |year, month, day| ir::Date { year, month, day };
    assert_eq!(day_after(d(2027, 1, 31)), d(2027, 2, 1));
    assert_eq!(day_after(d(2028, 2, 28)), d(2028, 2, 29));
    assert_eq!(day_after(d(2027, 2, 28)), d(2027, 3, 1));
    assert_eq!(day_after(d(2026, 12, 31)), d(2027, 1, 1));
}

#[test]
fn title_case_of_names() {
    assert_eq!(title_case("require-team-label"), "Require Team Label");
}
