import BucketLab
#if canImport(Glibc)
import Glibc
#endif

/// One progress line on stderr, rewritten in place, when stderr is a terminal;
/// nothing otherwise (logs and pipes get only the results).
enum ProgressLine {
    static var onTerminal: Bool { isatty(2) != 0 }

    /// Shows a line, or nil when not on a terminal.
    static var show: ((String) -> Void)? {
        onTerminal ? { writeStandardError("\r\u{1B}[K" + $0) } : nil
    }

    /// Erases the line.
    static func end() {
        if onTerminal { writeStandardError("\r\u{1B}[K") }
    }
}
