import BucketLab
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a suite cell in a child process of this executable (`bucketlab cell`),
/// so that the process's RSS, peak RSS, jemalloc state and a crash belong to
/// that cell alone. A cell that exits badly or is killed becomes a failed row.
enum CellProcess {
    static func run(_ cell: SuiteCell, config: SuiteConfig, progress: Bool) throws -> CellResult {
        var template = Array((NSTemporaryDirectory() + "bucketlab-cell-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw OutputError(description: "cannot create a temporary directory: \(String(cString: strerror(errno)))")
        }
        let dir = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let args = ["cell"] + SuiteOptions.arguments(for: cell, of: config)
            + ["--repeat-index", String(cell.key.repeatIndex), "--run-id", cell.key.runID, "--out", dir]
            + (progress ? ["--progress"] : [])
        let spawned = monotonicNanos()
        let (status, maxRSSBytes) = try spawnAndWait(arguments: args)
        let exited = monotonicNanos()
        defer {
            if getenv("BUCKETLAB_CELL_TIMES") != nil {
                writeStandardError("cell-wall \(cell.key.cellName) process=\(String(format: "%.1f", Double(exited - spawned) / 1e6)) read=\(String(format: "%.1f", Double(monotonicNanos() - exited) / 1e6))\n")
            }
        }
        let failure: String?
        if WIFSIGNALED(status) {
            let signal = WTERMSIG(status)
            failure = "signal \(signal) (\(String(cString: strsignal(signal))))"
        } else if WEXITSTATUS(status) != 0 {
            failure = "exit \(WEXITSTATUS(status))"
        } else {
            failure = nil
        }
        if let failure { return .failed(cell, config: config, status: failure) }
        do {
            var result = try CellResult.read(from: dir, cell: cell)
            result.summary.peakRSSBytes = maxRSSBytes
            return result
        } catch {
            return .failed(cell, config: config, status: "unreadable output: \(error)")
        }
    }

    /// posix_spawn of /proc/self/exe, then wait4: the exit status and the
    /// child's peak resident set (ru_maxrss, KiB on Linux).
    static func spawnAndWait(arguments: [String]) throws -> (status: Int32, maxRSSBytes: Int) {
        let exe = "/proc/self/exe"
        let argv = ([CommandLine.arguments[0]] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, exe, nil, nil, argv, environ)
        guard rc == 0 else {
            throw OutputError(description: "cannot start a cell process: \(String(cString: strerror(rc)))")
        }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            guard errno == EINTR else { throw OutputError(description: "waiting for a cell: \(String(cString: strerror(errno)))") }
        }
        return (status, Int(usage.ru_maxrss) * 1024)
    }
}

// Glibc's wait-status macros are not imported into Swift.
private func WIFSIGNALED(_ status: Int32) -> Bool { status & 0x7f != 0 && status & 0x7f != 0x7f }
private func WTERMSIG(_ status: Int32) -> Int32 { status & 0x7f }
private func WEXITSTATUS(_ status: Int32) -> Int32 { (status >> 8) & 0xff }
