//! Every diagnostic code has a page `book/src/diagnostics/<ID>.md`, and `book/src/SUMMARY.md`
//! links it. One trial per code, so the failures list exactly the missing pages. Likewise every
//! admission policy of the standard library has its row in the book's standard-library page.

use crate::root;
use libtest_mimic::Trial;

/// The book page that lists the standard library's admission policies.
const STDLIB_PAGE: &str = "book/src/admission/standard-library.md";

pub fn trials() -> Vec<Trial> {
    let mut out = code_pages();
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
                if let syntax::ast::Entry::Item(i) = e {
                    if let (false, Some(n)) = (i.keyword.text == "use", i.name()) {
                        out.push((b.name.to_string(), n.text.clone()));
                    }
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
