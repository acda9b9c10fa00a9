//! Debug aid: parse files and print diagnostics (or the formatted text with `--fmt`).
fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let fmt = args.iter().any(|a| a == "--fmt");
    args.retain(|a| a != "--fmt");
    for path in args {
        let text = std::fs::read_to_string(&path).expect("read");
        let (ast, diags) = syntax::parse(diagnostics::FileId(0), &text);
        for d in diags.iter() {
            let span = d.span.unwrap();
            let sf = diagnostics::SourceFile::new(diagnostics::FileId(0), &path, text.clone());
            let lc = sf.line_col(span.start as usize);
            println!(
                "{path}:{}:{}: {}[{}] {} {:?} {:?}",
                lc.line,
                lc.column,
                d.severity.as_str(),
                d.code.id,
                d.message,
                d.label,
                d.help
            );
        }
        if fmt && let Some(ast) = ast {
            print!("{}", syntax::fmt::format(&ast, &text));
        }
    }
}
