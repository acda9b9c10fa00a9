//! Name resolution and type checking: AST in, IR out, every error in one run.
