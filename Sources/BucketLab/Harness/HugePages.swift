// Transparent huge pages as a process really has them, and how `ops` and
// `gcbench` take them away from both sides of a comparison.

import CLabIntrinsics
#if canImport(Glibc)
import Glibc
#endif

/// Transparent huge pages as a process really has them.
public enum HugePages {
    /// AnonHugePages of this process (/proc/self/smaps_rollup), KiB; −1
    /// where the kernel does not say.
    public static func anonHugeKiB() -> Int {
        guard let text = readTextFile("/proc/self/smaps_rollup") else { return -1 }
        for line in text.split(separator: "\n") where line.hasPrefix("AnonHugePages:") {
            return line.split(separator: " ").compactMap { Int($0) }.first ?? -1
        }
        return -1
    }

    /// No transparent huge pages for this process and the processes it
    /// starts (prctl PR_SET_THP_DISABLE, inherited across fork and exec), so
    /// the lab and a Go child get none whatever the system's THP mode and
    /// whatever Go would advise.
    public static func disableForProcess() throws {
        guard bl_disable_thp() == 0 else {
            throw ConfigError("prctl(PR_SET_THP_DISABLE): \(String(cString: strerror(errno)))")
        }
    }

    /// The kernel's system-wide mode, e.g. "madvise".
    public static var systemMode: String {
        guard let text = readTextFile("/sys/kernel/mm/transparent_hugepage/enabled"),
              let open = text.firstIndex(of: "["), let close = text.firstIndex(of: "]") else { return "unknown" }
        return String(text[text.index(after: open)..<close])
    }
}
