//! P9xxx: input and output, command line.

declare_codes! {
    P9001 "unreadable-path" Error "a path given on the command line cannot be read";
    P9002 "not-utf8" Error "a source file is not valid UTF-8";
    P9003 "file-too-large" Error "a source file is larger than 64 MiB";
    P9004 "empty-file" Warning "a source file contains nothing";
    P9005 "no-posture-files" Error "a directory contains no `.posture` files";
    P9006 "write-failed" Error "the output directory could not be written";
}
