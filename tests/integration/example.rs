//! The Optimal Platform as a whole, over time: its exceptions expire, and a fresh clone's first
//! command (`posture build examples/optimal-platform`) must never be the one that finds out.
//!
//! - `example::exception-expiry`: built on each exception's expiry date minus 31 days, the
//!   build warns (P1027) and succeeds; on the expiry date it still builds (the date is the last
//!   valid day); the day after, it fails with P1027.
//! - `example::exceptions-renewed-in-review`: against the real clock, every exception of the
//!   example has at least 90 days left. When this fails, renew the exception the way a team
//!   would — a reviewed commit with a new date and ticket — long before a user's build fails.

use crate::root;
use cli::FsWorld;
use libtest_mimic::{Failed, Trial};

/// Days an exception of the example must have left, counted from the real clock.
const RENEWAL_MARGIN_DAYS: i64 = 90;

pub(crate) fn trials() -> Vec<Trial> {
    vec![
        Trial::test("example::exception-expiry", exception_expiry),
        Trial::test("example::exceptions-renewed-in-review", renewed_in_review),
    ]
}

/// The example's exceptions (name, expiry), checked with the tests' fixed "today".
fn exceptions() -> Result<Vec<(String, ir::Date)>, Failed> {
    let checked = check_on(tests::TODAY)?;
    let p = checked
        .posture
        .as_ref()
        .ok_or("the example does not check on the tests' fixed date")?;
    let out: Vec<(String, ir::Date)> = p
        .exceptions
        .values()
        .map(|e| (e.name.to_string(), e.expires))
        .collect();
    if out.is_empty() {
        return Err("the example declares no exception: this test would prove nothing".into());
    }
    Ok(out)
}

fn check_on(today: ir::Date) -> Result<driver::Checked, Failed> {
    driver::check(
        &FsWorld,
        &root().join("examples/optimal-platform"),
        &driver::Options { today: Some(today) },
    )
    .map_err(|d| format!("cannot load the example: {}", d.message).into())
}

/// `(errors, warnings)` with code P1027 naming the exception.
fn p1027(checked: &driver::Checked, name: &str) -> (usize, usize) {
    let mut out = (0, 0);
    for d in checked.diagnostics.iter() {
        if d.code.id == "P1027" && d.message.contains(&format!("`{name}`")) {
            if d.severity == diagnostics::Severity::Error {
                out.0 += 1;
            } else {
                out.1 += 1;
            }
        }
    }
    out
}

fn exception_expiry() -> Result<(), Failed> {
    let mut problems = Vec::new();
    for (name, expires) in exceptions()? {
        let day = |offset: i64| {
            expires
                .add_days(offset)
                .ok_or_else(|| Failed::from(format!("{expires} {offset:+} days")))
        };
        // A month ahead: a warning, and the build goes on.
        let before = check_on(day(-check::EXPIRY_WARNING_DAYS)?)?;
        if before.posture.is_none() || p1027(&before, &name) != (0, 1) {
            problems.push(format!(
                "{} days before {expires}, `{name}` must warn once and build: {:?}, builds: {}",
                check::EXPIRY_WARNING_DAYS,
                p1027(&before, &name),
                before.posture.is_some()
            ));
        }
        // One day earlier: nothing.
        let quiet = check_on(day(-check::EXPIRY_WARNING_DAYS - 1)?)?;
        if p1027(&quiet, &name) != (0, 0) {
            problems.push(format!(
                "{} days before {expires}, `{name}` must not warn yet",
                check::EXPIRY_WARNING_DAYS + 1
            ));
        }
        // On the expiry date: the last valid day.
        let last = check_on(expires)?;
        if last.posture.is_none() || p1027(&last, &name) != (0, 1) {
            problems.push(format!("on {expires}, `{name}` must warn and still build"));
        }
        // The day after: the build fails.
        let after = check_on(day(1)?)?;
        if after.posture.is_some() || p1027(&after, &name).0 != 1 {
            problems.push(format!(
                "the day after {expires}, `{name}` must fail the build with P1027"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n").into())
    }
}

/// Today's date from the real clock (UTC).
fn real_today() -> Result<ir::Date, Failed> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    let days = i64::try_from(secs / 86_400).map_err(|e| e.to_string())?;
    ir::Date::from_days_since_epoch(days).ok_or_else(|| "the clock is out of range".into())
}

fn renewed_in_review() -> Result<(), Failed> {
    let today = real_today()?;
    let mut problems = Vec::new();
    for (name, expires) in exceptions()? {
        let left = expires.days_since_epoch() - today.days_since_epoch();
        if left < RENEWAL_MARGIN_DAYS {
            problems.push(format!(
                "exception `{name}` of examples/optimal-platform expires on {expires}, in {left} \
                 days (fewer than {RENEWAL_MARGIN_DAYS}): renew it in a reviewed commit with a \
                 new date and ticket, or fix the finding and delete it"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n").into())
    }
}
