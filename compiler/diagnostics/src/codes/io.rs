//! P9xxx: input and output, command line.

declare_codes! {
    P9001 "unreadable-path" Error "a path given on the command line cannot be read";
    P9002 "not-utf8" Error "a source file is not valid UTF-8";
    P9003 "file-too-large" Error "a source file is larger than 64 MiB";
    P9004 "empty-file" Warning "a source file contains nothing";
    P9005 "no-posture-files" Error "a directory contains no `.posture` files";
    P9006 "write-failed" Error "the output directory could not be written";
    P9007 "not-a-regular-file" Error "a posture file is a FIFO, a device, a socket or a directory";
    P9008 "outside-project-root" Error "a posture file resolves, through a symbolic link, outside the project root";
    P9009 "output-not-recognised" Error "the output directory holds files a previous build did not write";
    P9010 "output-holds-sources" Error "the output directory is, or contains, the posture's own sources";
    P9011 "output-not-a-directory" Error "the output path is a file, a symbolic link, or has no name";
}
