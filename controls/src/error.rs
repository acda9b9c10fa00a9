//! Errors: bad control ids (malformed, unknown, withdrawn), bad framework ids, bad catalog files.

use std::fmt;
use std::path::PathBuf;

use crate::catalog::Withdrawal;
use crate::id::ControlId;
use crate::pattern::ControlPattern;
use crate::refs::{ControlRef, PREFIXES};

/// Why a control id did not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MalformedReason {
    /// Nothing was given.
    Empty,
    /// The text does not have the shape `XX-n` or `XX-n(m)`.
    NotAControlId,
    /// Two letters that are not an SP 800-53 rev5 family.
    UnknownFamily(String),
    /// The control number is missing, zero or too large.
    BadNumber,
    /// The enhancement is not `(n)` or `.n` with `n` in 1..=999.
    BadEnhancement,
    /// A statement item (`AC-2a`) where a control id is expected.
    StatementPart,
    /// Text after a complete id.
    TrailingText(String),
    /// A `prefix:` that names no framework.
    UnknownPrefix(String),
    /// A SOC 2, HIPAA or GRR id written without its prefix; holds the prefixed form.
    MissingPrefix(String),
    /// Not a 2017 Trust Services Criterion id like `CC6.1`.
    BadSoc2,
    /// Not a HIPAA Security Rule citation like `164.312(a)(1)`.
    BadHipaa,
    /// Not a DoD General Readiness Requirement id like `GRR-1`.
    BadGrr,
    /// Not a control pattern like `PE-*` or `AC-2(*)`.
    BadPattern,
}

impl fmt::Display for MalformedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MalformedReason::Empty => f.write_str("the id is empty"),
            MalformedReason::NotAControlId => {
                f.write_str("expected a control id like `AC-2` or `AC-2(1)`")
            }
            MalformedReason::UnknownFamily(fam) => {
                write!(f, "`{fam}` is not a NIST SP 800-53 rev5 control family")
            }
            MalformedReason::BadNumber => f.write_str("the control number must be 1 to 999"),
            MalformedReason::BadEnhancement => {
                f.write_str("an enhancement is written `(n)` or `.n` with n from 1 to 999")
            }
            MalformedReason::StatementPart => {
                f.write_str("a statement item is not a control id; cite the control")
            }
            MalformedReason::TrailingText(t) => write!(f, "unexpected `{t}` after the control id"),
            MalformedReason::UnknownPrefix(p) => write!(
                f,
                "`{p}` is not a framework prefix; use one of {}",
                PREFIXES.map(|p| format!("`{p}:`")).join(", ")
            ),
            MalformedReason::MissingPrefix(fixed) => {
                write!(f, "bare ids are NIST SP 800-53; write `{fixed}`")
            }
            MalformedReason::BadSoc2 => {
                f.write_str("expected a 2017 Trust Services Criterion like `CC6.1` or `PI1.2`")
            }
            MalformedReason::BadHipaa => {
                f.write_str("expected a HIPAA Security Rule citation like `164.312(a)(1)`")
            }
            MalformedReason::BadGrr => {
                f.write_str("expected a DoD General Readiness Requirement like `GRR-1`")
            }
            MalformedReason::BadPattern => {
                f.write_str("expected a pattern like `PE-*` (a family) or `AC-2(*)` (enhancements)")
            }
        }
    }
}

/// An id that cannot be used: malformed, unknown to the catalog, or withdrawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ControlIdError {
    /// The text is not an id of any supported kind.
    Malformed {
        /// The text as given.
        input: String,
        /// What is wrong with it.
        reason: MalformedReason,
    },
    /// A well-formed id that the catalog does not contain.
    Unknown {
        /// The id, in canonical form.
        id: ControlRef,
        /// The closest id the catalog does contain, when one is close.
        suggestion: Option<ControlRef>,
    },
    /// A NIST control that rev5 withdrew; the error names where it went.
    Withdrawn {
        /// The withdrawn control.
        id: ControlId,
        /// Its title, to make the message recognisable.
        title: String,
        /// Where its content went.
        withdrawal: Withdrawal,
    },
    /// A well-formed pattern that names no current control: every control it matches is
    /// withdrawn, or it matches none at all (`AC-1(*)`: AC-1 has no enhancements).
    EmptyPattern {
        /// The pattern, in canonical form.
        pattern: ControlPattern,
    },
}

impl ControlIdError {
    /// Replaces the recorded input of a `Malformed` error (used when a prefix was stripped).
    pub(crate) fn with_input(self, input: &str) -> Self {
        match self {
            ControlIdError::Malformed { reason, .. } => ControlIdError::Malformed {
                input: input.to_string(),
                reason,
            },
            other => other,
        }
    }

    /// A one-line fix, when there is one: the suggestion or the replacement controls.
    pub fn help(&self) -> Option<String> {
        match self {
            ControlIdError::Malformed { .. } => None,
            ControlIdError::Unknown { suggestion, .. } => {
                suggestion.map(|s| format!("did you mean `{s}`?"))
            }
            ControlIdError::Withdrawn { withdrawal, .. } => {
                let targets = withdrawal.targets();
                (!targets.is_empty()).then(|| {
                    let list: Vec<String> = targets.iter().map(ToString::to_string).collect();
                    format!("cite {} instead", list.join(", "))
                })
            }
            ControlIdError::EmptyPattern { pattern } => match pattern {
                ControlPattern::Enhancements(base) => Some(format!("cite `{base}` itself")),
                ControlPattern::Family(_) => None,
            },
        }
    }
}

impl fmt::Display for ControlIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ControlIdError::Malformed { input, reason } => {
                write!(f, "malformed control id `{}`: {reason}", input.trim())
            }
            ControlIdError::Unknown { id, suggestion } => {
                write!(f, "unknown control id `{id}`")?;
                if let Some(s) = suggestion {
                    write!(f, "; did you mean `{s}`?")?;
                }
                Ok(())
            }
            ControlIdError::Withdrawn {
                id,
                title,
                withdrawal,
            } => write!(
                f,
                "`{id}` ({title}) was withdrawn from NIST SP 800-53 rev5: {withdrawal}"
            ),
            ControlIdError::EmptyPattern { pattern } => write!(
                f,
                "pattern `{pattern}` matches no current NIST SP 800-53 rev5 control"
            ),
        }
    }
}

impl std::error::Error for ControlIdError {}

/// A framework id that names no supported framework.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownFramework {
    /// The id as given.
    pub input: String,
    /// The closest supported id, when one is close.
    pub suggestion: Option<&'static str>,
}

impl fmt::Display for UnknownFramework {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown framework `{}`", self.input)?;
        if let Some(s) = self.suggestion {
            write!(f, "; did you mean `{s}`?")?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownFramework {}

/// A catalog directory (`--controls-dir`) or catalog document that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// A file or directory could not be read (reported by the reader of a `--controls-dir`).
    Io {
        /// The path involved.
        path: PathBuf,
        /// The operating system's message.
        message: String,
    },
    /// A file is not valid JSON of the catalog shape.
    Json {
        /// The file.
        path: PathBuf,
        /// serde's message, with line and column.
        message: String,
    },
    /// The directory holds no catalog documents.
    Empty {
        /// The directory.
        path: PathBuf,
    },
    /// The documents parse but are inconsistent; every problem found is listed, sorted.
    Invalid {
        /// The file, or the directory when the problem spans files.
        path: PathBuf,
        /// One line per problem.
        problems: Vec<String>,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Io { path, message } => {
                write!(f, "cannot read `{}`: {message}", path.display())
            }
            LoadError::Json { path, message } => {
                write!(
                    f,
                    "`{}` is not a control catalog document: {message}",
                    path.display()
                )
            }
            LoadError::Empty { path } => write!(
                f,
                "`{}` holds no control catalog documents (`*.json` with a `kind` of `catalog` or `frameworks`)",
                path.display()
            ),
            LoadError::Invalid { path, problems } => {
                write!(f, "inconsistent control catalog `{}`", path.display())?;
                for p in problems {
                    write!(f, "\n  - {p}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for LoadError {}
