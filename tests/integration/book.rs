//! Every diagnostic code has a page `book/src/diagnostics/<ID>.md`, and `book/src/SUMMARY.md`
//! links it. One trial per code, so the failures list exactly the missing pages.

use crate::root;
use libtest_mimic::Trial;

pub fn trials() -> Vec<Trial> {
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
