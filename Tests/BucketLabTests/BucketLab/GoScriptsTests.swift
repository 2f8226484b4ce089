import Foundation
import Testing

/// The scripts that run Go for the GC-cost model (scripts/gc-cost-refit,
/// scripts/go-mark-workers, scripts/go-gc-drift; and scripts/memlimit-targets'
/// --gc-coefficients) refuse bad arguments with
/// one line on stderr and exit 64, and a missing input with exit 65, before
/// running anything. (What they measure needs Go and an idle machine; the
/// commands that made the committed results are in docs/gc-cost.md.)
@Suite struct GoScriptsTests {
    static let repo = testSourcesDirectory.deletingLastPathComponent().deletingLastPathComponent().path

    @Test(arguments: [
        (["scripts/gc-cost-refit"], 64, "--out DIR is required"),
        (["scripts/gc-cost-refit", "--out", "/tmp/x", "--keys", "5000"], 64, "at least two sizes"),
        (["scripts/gc-cost-refit", "--out", "/tmp/x", "--keys", "5000,5000"], 64, "two different sizes"),
        (["scripts/gc-cost-refit", "--out", "/tmp/x", "--keys", "5000,x"], 64, "'x' is not a size"),
        (["scripts/gc-cost-refit", "--out", "/tmp/x", "--runs", "0"], 64, "'0' is not a positive number"),
        (["scripts/gc-cost-refit", "--out"], 64, "--out needs a value"),
        (["scripts/gc-cost-refit", "--out", "/tmp/x", "--bogus"], 64, "unknown argument '--bogus'"),
        (["scripts/gc-cost-refit", "--out", "/tmp/x", "--bucketlab", "/nonexistent"], 64, "is not an executable"),
        (["scripts/go-mark-workers", "--keys", "x", "--out", "/tmp/x"], 64, "is not a list of numbers"),
        (["scripts/go-mark-workers", "--sleeps", "99", "--out", "/tmp/x"], 64, "a count of sleeps"),
        (["scripts/go-mark-workers"], 64, "--out DIR is required"),
        (["scripts/go-gc-drift", "/nonexistent-a", "/nonexistent-b"], 65, "no such directory"),
        (["scripts/memlimit-targets", "--workload-file", "docs/notes/limit-engage.json", "--gc-coefficients",
          "/nonexistent.csv", "--out", "/tmp/x"], 65, "/nonexistent.csv: no such file"),
        (["scripts/memlimit-targets", "--out", "/tmp/x", "--gc-coefficients"], 64, "--gc-coefficients needs a value"),
    ] as [([String], Int32, String)])
    func badArgumentsAreOneLine(_ args: [String], _ status: Int32, _ message: String) throws {
        let out = "/tmp/bucketlab-script-test-\(UUID().uuidString)"
        let real = args.map { $0 == "/tmp/x" ? out : $0 }
        let r = try runProcess(Self.repo + "/" + real[0], Array(real.dropFirst()), cwd: Self.repo)
        #expect(r.status == status, "\(args): \(r.stderr)")
        #expect(r.stderr.split(whereSeparator: \.isNewline).count == 1 && r.stderr.contains(message), "\(args): \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out), "nothing written")
    }
}
