// The Go reference program (../Reference, see scripts/reference) built once
// with the Go 1.19 toolchain, then run as a child process next to the lab's
// own measurement in each iteration, so the lab/Go ratios pair measurements
// taken moments apart on the same machine.
import BucketLab
import Foundation

final class GoReference: @unchecked Sendable {
    let binary: URL
    let scratch: URL
    let version: String

    /// The toolchain: $BUCKETLAB_GO, else Debian's Go 1.19. Nil when absent
    /// (the lab never needs Go; the lab/Go benchmarks are then not registered).
    static func toolchain() -> String? {
        let candidate = ProcessInfo.processInfo.environment["BUCKETLAB_GO"] ?? "/usr/lib/go-1.19/bin/go"
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
    }

    /// ../Reference, found from this file's place in the repository.
    static var sourceDirectory: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Reference")
    }

    init(go: String) throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("bucketlab-bench-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        binary = scratch.appendingPathComponent("reference")
        try Self.run(go, ["build", "-o", binary.path, "."], in: Self.sourceDirectory,
                     environment: ["GOTOOLCHAIN": "local", "GOCACHE": scratch.appendingPathComponent("cache").path])
        let versionFile = scratch.appendingPathComponent("version")
        try Self.run(binary.path, ["-mode", "version", "-out", "/dev/null"], stdout: versionFile)
        version = try String(contentsOf: versionFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    deinit { try? FileManager.default.removeItem(at: scratch) }

    /// One run of the reference in `mode` (ops or gc): its rows, a median
    /// and a best (`<version>:best`) per op over `rounds`.
    func run(mode: String, keys: Int, rounds: Int) throws -> [OpsRow] {
        let dir = scratch.appendingPathComponent("out")
        try? FileManager.default.removeItem(at: dir)
        let file = dir.appendingPathComponent(version).appendingPathComponent("ops.csv")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Self.run(binary.path, ["-mode", mode, "-keys", "\(keys)", "-repeat", "\(rounds)", "-out", file.path])
        return try OpsBenchmark.referenceRows(dir.path)
    }

    private static func run(_ executable: String, _ arguments: [String], in directory: URL? = nil,
                            environment: [String: String] = [:], stdout: URL? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let stdout {
            FileManager.default.createFile(atPath: stdout.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: stdout)
        }
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw GoReferenceError(description: "\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
        }
    }
}

struct GoReferenceError: Error, CustomStringConvertible {
    let description: String
}
