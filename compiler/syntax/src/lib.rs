//! The grammar (pest), the syntax tree, lowering to the AST, and the formatter.
