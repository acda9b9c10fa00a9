//! Source files and byte spans into them.

use serde::Serialize;
use std::sync::Arc;

/// Index of a file in [`Sources`]. Stable for one run; ordered like the files' paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct FileId(pub u32);

/// A byte range `start..end` in one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both (which must be in the same file).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

/// A value together with where it was written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Spanned<T> {
    pub node: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(node: T, span: Span) -> Self {
        Spanned { node, span }
    }
}

/// A 1-based line and column (column counted in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// One source file: its display path (relative to the project root, `/`-separated) and text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub id: FileId,
    pub path: String,
    /// Shared, with the line table, by the copies [`Sources::renamed`] makes.
    pub text: Arc<str>,
    line_starts: Arc<[usize]>,
}

impl SourceFile {
    pub fn new(id: FileId, path: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            id,
            path: path.into(),
            text,
            line_starts: line_starts.into(),
        }
    }

    /// The 1-based line of a byte offset: [`SourceFile::line_col`]'s line without counting the
    /// column's characters (the sources of 50,000 items only name lines).
    pub fn line(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// Line and column of a byte offset (clamped into the file).
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let mut col_end = offset;
        while !self.text.is_char_boundary(col_end) {
            col_end -= 1;
        }
        LineCol {
            line: line + 1,
            column: self.text[start..col_end].chars().count() + 1,
        }
    }

    /// The text a span covers, or `""` when it is out of bounds.
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }
}

/// Every source file of one run. Files are added once; ids follow insertion order, and the
/// loaders insert in sorted path order so ids are deterministic.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, path: impl Into<String>, text: impl Into<Arc<str>>) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(SourceFile::new(id, path, text));
        id
    }

    /// The same files under other paths (`path` of each file): ids, texts and line tables are
    /// shared, so nothing is scanned or copied again (the 10,000-workload posture is 3 MB of
    /// text and 2 MB of line table).
    pub fn renamed(&self, mut path: impl FnMut(&SourceFile) -> String) -> Sources {
        Sources {
            files: self
                .files
                .iter()
                .map(|f| SourceFile {
                    path: path(f),
                    ..f.clone()
                })
                .collect(),
        }
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn find(&self, path: &str) -> Option<&SourceFile> {
        self.files.iter().find(|f| f.path == path)
    }

    pub fn iter(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter()
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_is_line_col_without_the_column() {
        let f = SourceFile::new(FileId(0), "a.posture", "ab\n\nçd\ne\n");
        for offset in 0..=f.text.len() + 2 {
            assert_eq!(f.line(offset), f.line_col(offset).line, "offset {offset}");
        }
        assert_eq!((f.line(0), f.line(3), f.line(4), f.line(99)), (1, 2, 3, 5));
    }

    #[test]
    fn renamed_keeps_ids_texts_and_lines() {
        let mut s = Sources::new();
        s.add("a.posture", "x\ny\n");
        s.add("b.posture", "z");
        let r = s.renamed(|f| format!("dir/{}", f.path));
        let paths: Vec<&str> = r.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["dir/a.posture", "dir/b.posture"]);
        let a = r.get(FileId(0)).expect("a");
        assert_eq!((&*a.text, a.line(2), a.id), ("x\ny\n", 2, FileId(0)));
    }
}
