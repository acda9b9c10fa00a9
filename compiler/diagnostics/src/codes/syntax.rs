//! P0xxx: syntax. One parse error per file (the parser stops there); the checks that follow
//! the grammar (literals, block shapes) report every problem they find.

declare_codes! {
    P0001 "syntax-error" Error "the text does not follow the grammar";
    P0002 "too-deeply-nested" Error "brackets or braces are nested more than 128 levels deep";
    P0003 "invalid-escape" Error "a string contains an escape sequence that does not exist";
    P0004 "invalid-date" Error "a date is not a real calendar date";
    P0005 "invalid-number" Error "a number or port is out of range";
    P0006 "unknown-unit" Error "a number carries a unit that is neither a duration nor a quantity unit";
    P0007 "attribute-outside-block" Error "an attribute stands at the top level of a file";
    P0008 "unterminated-literal" Error "a string or backtick expression is never closed";
    P0009 "unknown-keyword" Error "a block or statement keyword is not known in this place";
    P0010 "misplaced-item" Error "a block or statement stands inside a block where it does not belong";
    P0011 "missing-name" Error "a declaration has no name";
    P0012 "doc-on-attribute" Error "a `///` doc comment stands before an attribute";
    P0013 "unexpected-head" Error "a keyword is followed by a name, path or traffic form it does not take";
    P0014 "missing-body" Error "a block has no `{ … }` body";
    P0015 "unexpected-value" Error "a keyword that takes no `= value` is given one";
    P0016 "unexpected-body" Error "a statement that takes no body is given one";
}
