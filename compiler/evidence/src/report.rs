//! `report/index.html` (self-contained: inline CSS and SVG, no script, no network; a Content
//! Security Policy forbids loading anything) and `report/coverage.md` (the same Markdown
//! `posture coverage --format markdown` prints, one section per declared framework).

use std::collections::BTreeMap;

use graph::{Coverage, RequirementRow, Status};

use crate::html::{Element, Node, document, el, text};
use crate::{Input, REPORT};

pub(crate) fn report(
    input: &Input<'_>,
    coverages: &BTreeMap<controls::Framework, Coverage>,
) -> Vec<emit::Artifact> {
    let coverages: Vec<&Coverage> = coverages.values().collect();
    let mut md = String::new();
    for (i, c) in coverages.iter().enumerate() {
        if i > 0 {
            md.push('\n');
        }
        md.push_str(&graph::report::coverage_markdown(c));
    }
    let artifact = |path: &str, bytes: Vec<u8>| emit::Artifact {
        target: REPORT,
        role: emit::Role::Evidence,
        path: path.to_string(),
        bytes,
        origins: vec![crate::docs::system_origin(input)],
        applyable: false,
        placement: None,
    };
    vec![
        artifact("report/coverage.md", md.into_bytes()),
        artifact("report/index.html", html(input, &coverages).into_bytes()),
    ]
}

/// The colour of a status in the charts and tables.
fn colour(s: Status) -> &'static str {
    match s {
        Status::Satisfied => "#2e7d32",
        Status::Inherited => "#1565c0",
        Status::Process => "#6a1b9a",
        Status::NotApplicable => "#9e9e9e",
        Status::Partial => "#f9a825",
        Status::Supported => "#80cbc4",
        Status::Claimed => "#ef6c00",
        Status::Gap => "#c62828",
    }
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem;color:#222}\
table{border-collapse:collapse;width:100%;margin:1rem 0}\
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}\
th{background:#f3f3f3}.status{font-weight:600}\
.legend span{display:inline-block;margin-right:1rem}\
.swatch{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}\
details{margin:.5rem 0}code{font-size:.85rem}";

/// A horizontal stacked bar of a framework's statuses, with a title per segment.
fn chart(c: &Coverage) -> Element {
    let width = 600.0_f64;
    let total = c.summary.requirements.max(1) as f64;
    let mut x = 0.0_f64;
    let mut svg = el("svg")
        .attr("xmlns", "http://www.w3.org/2000/svg")
        .attr("id", format!("chart-{}", c.framework))
        .attr("class", "chart")
        .attr("width", format!("{width}"))
        .attr("height", "40")
        .attr("viewBox", format!("0 0 {width} 40"))
        .attr("role", "img")
        .attr(
            "aria-label",
            format!("{}: {:.1}% covered", c.name, c.summary.percent),
        );
    for s in Status::ALL {
        let n = c.summary.count(s);
        if n == 0 {
            continue;
        }
        let w = width * n as f64 / total;
        svg = svg.child(
            el("rect")
                .attr("x", format!("{x:.2}"))
                .attr("y", "0")
                .attr("width", format!("{w:.2}"))
                .attr("height", "40")
                .attr("fill", colour(s))
                .attr("data-status", s.name())
                .child(el("title").text(format!("{s}: {n}"))),
        );
        x += w;
    }
    svg
}

fn legend(c: &Coverage) -> Element {
    el("p")
        .attr("class", "legend")
        .children(Status::ALL.iter().map(|s| {
            el("span")
                .child(
                    el("span")
                        .attr("class", "swatch")
                        .attr("style", format!("background:{}", colour(*s))),
                )
                .text(format!("{s} {}", c.summary.count(*s)))
                .into()
        }))
}

/// The checks that verified each artifact, by path: computed once for the whole report.
fn checks_by_file<'a>(input: &'a Input<'_>) -> BTreeMap<&'a str, Vec<&'a str>> {
    let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for c in input.graph.checks().values() {
        for f in &c.verifies {
            let v = out.entry(f.as_str()).or_default();
            if !v.contains(&c.id.0.as_str()) {
                v.push(c.id.0.as_str());
            }
        }
    }
    out
}

/// One `<li>` per statement: its label and `file:line`.
fn statements(head: String, items: &[graph::ItemRef]) -> Element {
    let mut ul = el("ul");
    ul.children.reserve(items.len());
    for i in items {
        // `label (file:line)`, as `format!` would write it, in one allocation.
        let mut t = String::with_capacity(
            i.label.len() + i.location.as_ref().map_or(0, |l| l.file.len() + 12),
        );
        t.push_str(&i.label);
        if let Some(l) = &i.location {
            t.push_str(" (");
            t.push_str(&l.file);
            t.push(':');
            ir::push_decimal(&mut t, l.line as u64);
            t.push(')');
        }
        ul = ul.child(el("li").text(t));
    }
    el("li").text(head).child(ul)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The trace of a row: the statements that implement (or support) it with their places, then
/// the files they emitted, grouped by the checks that verified them (each file once, not once
/// per statement: at 50,000 network intents a row lists thousands of statements).
fn trace(r: &RequirementRow, checks_of: &BTreeMap<&str, Vec<&str>>) -> Node {
    let mut ul = el("ul");
    if !r.implemented_by.is_empty() {
        ul = ul.child(statements(
            format!(
                "implemented by {}:",
                plural(r.implemented_by.len(), "statement", "statements")
            ),
            &r.implemented_by,
        ));
    }
    if !r.supported_by.is_empty() {
        ul = ul.child(statements(
            format!(
                "supported in part by {}:",
                plural(r.supported_by.len(), "statement", "statements")
            ),
            &r.supported_by,
        ));
    }
    let mut by_checks: BTreeMap<&[&str], Vec<&str>> = BTreeMap::new();
    for f in &r.artifacts {
        let checks = checks_of.get(f.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        by_checks.entry(checks).or_default().push(f);
    }
    for (checks, files) in by_checks {
        let files_n = plural(files.len(), "file", "files");
        let mut li = el("li").text(if checks.is_empty() {
            format!("{files_n}, verified by no check of the build:")
        } else {
            format!("{files_n}, verified by {}:", checks.join(", "))
        });
        for f in files {
            li = li.text(" ").child(el("code").text(f));
        }
        ul = ul.child(li);
    }
    for i in &r.claimed_by {
        ul = ul.child(el("li").text(format!("claimed by {} (no enforcing artifact)", i.label)));
    }
    for p in &r.inherited_from {
        ul = ul.child(el("li").text(format!("inherited from {p}")));
    }
    for p in &r.processes {
        ul = ul.child(el("li").text(format!(
            "process {} every {}, evidence {}",
            p.name, p.every, p.evidence
        )));
    }
    for n in &r.not_applicable {
        ul = ul.child(el("li").text(format!("not applicable: {n}")));
    }
    if let Some(b) = r.base {
        ul = ul.child(el("li").text(format!("base {b} satisfied; this enhancement is not")));
    }
    for i in r.informed_by.iter().filter(|i| i.status.counts()) {
        ul = ul.child(el("li").text(format!("informed by {} ({})", i.control, i.status)));
    }
    for e in &r.exceptions {
        ul = ul.child(el("li").text(format!("waived in part by exception {e}")));
    }
    ul.into()
}

fn section(c: &Coverage, checks_of: &BTreeMap<&str, Vec<&str>>) -> Element {
    let s = &c.summary;
    let mut table = el("table")
        .attr("id", format!("table-{}", c.framework))
        .child(
            el("tr")
                .child(el("th").text("id"))
                .child(el("th").text("title"))
                .child(el("th").text("status"))
                .child(el("th").text("trace")),
        );
    for r in &c.requirements {
        table = table.child(
            el("tr")
                .attr("id", format!("row-{}-{}", c.framework, r.id))
                .attr("data-status", r.status.name())
                .child(el("td").child(el("code").text(r.id.to_string())))
                .child(el("td").text(r.title.clone()))
                .child(
                    el("td")
                        .attr("class", "status")
                        .attr("style", format!("color:{}", colour(r.status)))
                        .text(r.status.name()),
                )
                .child(el("td").child(trace(r, checks_of))),
        );
    }
    el("section")
        .attr("id", format!("framework-{}", c.framework))
        .child(el("h2").text(format!("{} ({})", c.name, c.framework)))
        .child(el("p").text(format!(
            "{:.1}% covered: {} of {} requirements are satisfied, inherited, done by a process or not applicable.",
            s.percent, s.covered, s.requirements
        )))
        .child(chart(c))
        .child(legend(c))
        .child(el("details").child(el("summary").text("every requirement")).child(table))
}

fn html(input: &Input<'_>, coverages: &[&Coverage]) -> String {
    let p = input.posture;
    let prov = input.provenance;
    let mut body = el("body")
        .child(el("h1").text(format!("{}: compliance report", p.system.title)))
        .child(el("p").text(format!(
            "Built by posture {} at {} from sources with SHA-256 {}{}.",
            prov.version,
            prov.timestamp.rfc3339(),
            prov.sources_sha256,
            prov.commit
                .as_ref()
                .map(|c| format!(", commit {c}"))
                .unwrap_or_default()
        )));
    let mut summary = el("table").attr("id", "summary").child(
        el("tr")
            .child(el("th").text("framework"))
            .child(el("th").text("covered"))
            .children(Status::ALL.iter().map(|s| el("th").text(s.name()).into())),
    );
    for c in coverages {
        summary = summary.child(
            el("tr")
                .child(
                    el("td").child(
                        el("a")
                            .attr("href", format!("#framework-{}", c.framework))
                            .text(c.name.clone()),
                    ),
                )
                .child(el("td").text(format!("{:.1}%", c.summary.percent)))
                .children(
                    Status::ALL
                        .iter()
                        .map(|s| el("td").text(c.summary.count(*s).to_string()).into()),
                ),
        );
    }
    body = body.child(el("h2").text("Coverage")).child(summary);

    // Gaps and claimed controls, over every declared framework, once each.
    // In catalog order (control ids sort by family, number, enhancement).
    let mut open: std::collections::BTreeMap<controls::ControlRef, (Status, String, String)> =
        std::collections::BTreeMap::new();
    for c in coverages {
        for r in &c.requirements {
            if matches!(r.status, Status::Gap | Status::Claimed) {
                let why = match r.status {
                    Status::Claimed => format!(
                        "claimed by {}, but no emitted artifact enforces it",
                        r.claimed_by
                            .iter()
                            .map(|i| i.label.clone())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    _ => "nothing in the posture addresses it".to_string(),
                };
                open.entry(r.id).or_insert((r.status, r.title.clone(), why));
            }
        }
    }
    let mut gaps = el("table").attr("id", "open").child(
        el("tr")
            .child(el("th").text("id"))
            .child(el("th").text("status"))
            .child(el("th").text("title"))
            .child(el("th").text("why")),
    );
    for (id, (s, title, why)) in &open {
        gaps = gaps.child(
            el("tr")
                .child(el("td").child(el("code").text(id.to_string())))
                .child(el("td").text(s.name()))
                .child(el("td").text(title.clone()))
                .child(el("td").text(why.clone())),
        );
    }
    body = body
        .child(el("h2").text("Gaps and claimed controls"))
        .child(
            el("details")
                .child(el("summary").text(format!(
                    "{} controls of the declared frameworks are gaps or claimed",
                    open.len()
                )))
                .child(gaps),
        );

    let mut ex = el("table").attr("id", "exceptions").child(
        el("tr")
            .child(el("th").text("exception"))
            .child(el("th").text("waives"))
            .child(el("th").text("owner"))
            .child(el("th").text("ticket"))
            .child(el("th").text("expires"))
            .child(el("th").text("reason")),
    );
    for e in p.exceptions.values() {
        ex = ex.child(
            el("tr")
                .attr("id", format!("exception-{}", e.name))
                .child(el("td").text(e.name.to_string()))
                .child(
                    el("td").text(
                        e.waive
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                )
                .child(el("td").text(e.owner.clone()))
                .child(el("td").text(e.ticket.clone().unwrap_or_default()))
                .child(el("td").text(e.expires.to_string()))
                .child(el("td").text(e.reason.clone().unwrap_or_default())),
        );
    }
    body = body.child(el("h2").text("Exceptions")).child(ex);
    let checks_of = checks_by_file(input);
    for c in coverages {
        body = body.child(section(c, &checks_of));
    }
    let head = el("head")
        .child(el("meta").attr("charset", "utf-8"))
        .child(
            el("meta")
                .attr("http-equiv", "Content-Security-Policy")
                .attr("content", "default-src 'none'; style-src 'unsafe-inline'"),
        )
        .child(el("title").text(format!("{}: compliance report", p.system.title)))
        .child(el("style").child(text(CSS)));
    document(el("html").attr("lang", "en").child(head).child(body))
}
