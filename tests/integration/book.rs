//! Every diagnostic code has a page `book/src/diagnostics/<ID>.md`, and `book/src/SUMMARY.md`
//! links it. One trial per code, so the failures list exactly the missing pages. Likewise every
//! admission policy of the standard library has its row in the book's standard-library page,
//! and every target crate is added everywhere the checklist of
//! `book/src/contributing/adding-a-target.md` says (`book::targets/<name>`).

use crate::root;
use libtest_mimic::Trial;

/// The book page that lists the standard library's admission policies.
const STDLIB_PAGE: &str = "book/src/admission/standard-library.md";

pub(crate) fn trials() -> Vec<Trial> {
    let mut out = code_pages();
    out.extend(target_checklist());
    out.extend(stdlib_policies().into_iter().map(|(bundle, policy)| {
        Trial::test(format!("book::stdlib/{bundle}/{policy}"), move || {
            let text = std::fs::read_to_string(root().join(STDLIB_PAGE))
                .map_err(|e| format!("{STDLIB_PAGE}: {e}"))?;
            let row = format!("| `{policy}` |");
            if text.lines().any(|l| l.starts_with(&row)) {
                Ok(())
            } else {
                Err(format!(
                    "{STDLIB_PAGE} has no row for `{policy}` (bundle `std.{bundle}`): add `{row} …`"
                )
                .into())
            }
        })
    }));
    out
}

/// Every admission item of every stdlib bundle, as (bundle, name).
fn stdlib_policies() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for b in stdlib::BUNDLES {
        let (Some(file), _) = syntax::parse(diagnostics::FileId(0), b.source) else {
            continue;
        };
        for item in file.items.iter().filter(|i| i.keyword.text == "admission") {
            for e in item.entries() {
                if let syntax::ast::Entry::Item(i) = e
                    && let (false, Some(n)) = (i.keyword.text == "use", i.name())
                {
                    out.push((b.name.to_string(), n.text.to_string()));
                }
            }
        }
    }
    out
}

fn code_pages() -> Vec<Trial> {
    diagnostics::codes::all()
        .into_iter()
        .map(|code| {
            Trial::test(format!("book::diagnostics/{}", code.id), move || {
                let root = root();
                let page = root.join(diagnostics::render::doc_path(code));
                let mut problems = Vec::new();
                match std::fs::read_to_string(&page) {
                    Ok(text) if text.contains(code.id) => {}
                    Ok(_) => problems.push(format!(
                        "`{}` does not mention {}",
                        page.display(),
                        code.id
                    )),
                    Err(_) => problems.push(format!(
                        "{} ({}) has no page: write `book/src/diagnostics/{}.md` (what, why, example, fix)",
                        code.id, code.name, code.id
                    )),
                }
                let summary = std::fs::read_to_string(root.join("book/src/SUMMARY.md"))
                    .unwrap_or_default();
                let link = format!("(diagnostics/{}.md)", code.id);
                if !summary.contains(&link) {
                    problems.push(format!(
                        "`book/src/SUMMARY.md` does not link `diagnostics/{}.md`",
                        code.id
                    ));
                }
                if problems.is_empty() {
                    Ok(())
                } else {
                    Err(problems.join("\n").into())
                }
            })
        })
        .collect()
}

/// The target crates: every folder under `targets/` with a `Cargo.toml`, except `emit` (what
/// they share), sorted.
fn target_crates() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(root().join("targets"))
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter(|e| e.path().join("Cargo.toml").is_file())
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter(|n| n != "emit")
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// One trial per target crate: it is in the workspace, in the one list of targets
/// (`driver::targets::TARGETS`), in the graph's construct rows (`Construct::target`), in the
/// book's output layout and in ARCHITECTURE.md's codemap. One more trial: every target of the
/// list is a crate under `targets/`, and there is at least one.
fn target_checklist() -> Vec<Trial> {
    const CHECKLIST: &str = "see book/src/contributing/adding-a-target.md";
    let crates = target_crates();
    let mut out: Vec<Trial> = crates
        .iter()
        .cloned()
        .map(|name| {
            Trial::test(format!("book::targets/{name}"), move || {
                let read = |path: &str| {
                    std::fs::read_to_string(root().join(path)).map_err(|e| format!("{path}: {e}"))
                };
                let mut problems = Vec::new();
                let cargo = read("Cargo.toml")?;
                let members = cargo
                    .split_once("members = [")
                    .and_then(|(_, rest)| rest.split_once(']'))
                    .map(|(m, _)| m)
                    .unwrap_or_default();
                if !members.contains(&format!("\"targets/{name}\"")) {
                    problems.push(format!(
                        "`targets/{name}` is not in the workspace's `members` (Cargo.toml)"
                    ));
                }
                if !driver::targets::TARGETS
                    .iter()
                    .any(|t| t.id.as_str() == name)
                {
                    problems.push(format!(
                        "`{name}` is not in `driver::targets::TARGETS` (compiler/driver/src/targets.rs)"
                    ));
                }
                if !graph::defaults::Construct::ALL
                    .iter()
                    .any(|c| c.target() == name)
                {
                    problems.push(format!(
                        "no construct of `graph::defaults::Construct` names target `{name}` \
                         (compiler/graph/src/defaults.rs, `Construct::target`)"
                    ));
                }
                let layout = read("book/src/build-output.md")?;
                if !layout.contains(&format!("── {name}/")) {
                    problems.push(format!(
                        "book/src/build-output.md's layout has no `{name}/` folder"
                    ));
                }
                let arch = read("ARCHITECTURE.md")?;
                let codemap = arch
                    .split_once("## Codemap")
                    .and_then(|(_, rest)| rest.split_once("\n## "))
                    .map(|(c, _)| c)
                    .unwrap_or_default();
                if !codemap.contains(&format!("| `targets/{name}` | `{name}` |")) {
                    problems.push(format!(
                        "ARCHITECTURE.md's codemap has no row `| `targets/{name}` | `{name}` | …`"
                    ));
                }
                if problems.is_empty() {
                    Ok(())
                } else {
                    problems.push(CHECKLIST.to_string());
                    Err(problems.join("\n").into())
                }
            })
        })
        .collect();
    out.push(Trial::test("book::targets", move || {
        let mut problems = Vec::new();
        if crates.is_empty() {
            problems.push("no target crate found under targets/".to_string());
        }
        for t in driver::targets::TARGETS {
            if !crates.iter().any(|c| c == t.id.as_str()) {
                problems.push(format!(
                    "`driver::targets::TARGETS` lists `{}`, which is no crate under targets/",
                    t.id
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            problems.push(CHECKLIST.to_string());
            Err(problems.join("\n").into())
        }
    }));
    out
}
