//! P0xxx: syntax. One parse error per file (the parser stops there); lowering checks that follow
//! the grammar (literals, block shapes) report every problem they find.

declare_codes! {
    P0001 "syntax-error" Error "the text does not follow the grammar";
    P0002 "too-deeply-nested" Error "brackets or braces are nested more than 128 levels deep";
}
