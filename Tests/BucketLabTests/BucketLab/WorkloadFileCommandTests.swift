import Foundation
import Testing
@testable import BucketLab

/// Workload files at the command line: a user's file runs like a built-in,
/// in a child process per cell; a bad one is one line and exit 65 before
/// any work.
@Suite(.serialized) struct WorkloadFileCommandTests {
    static let file = """
    {"format": "bucketlab-workload/1", "name": "mine", "summary": "fill, then keep 1 in 10",
     "map": {"key": "uint64", "value": {"kind": "pointer", "bytes": 64}},
     "headline": "thinned",
     "phases": [{"name": "filled", "steps": [{"op": "insert", "count": "keys"}]},
                {"name": "thinned", "steps": [{"op": "delete", "count": "keys", "keep_every": 10}]}]}
    """

    func write(_ text: String) throws -> String {
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/w.json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func aFileRunsBesideABuiltInInChildProcesses() throws {
        let path = try write(Self.file)
        let out = temporaryDirectory() + "/out"
        let r = try bucketlab(["run", "--workload", "fill-drain", "--workload-file", path, "--keys", "3000",
                               "--strategy", "go", "--repeat", "1", "--no-settle", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let summaries = try ResultSet.parseSummaries(String(contentsOfFile: out + "/summary.csv", encoding: .utf8), name: "summary.csv")
        let mine = summaries.filter { $0.key.workload == "mine" }
        #expect(mine.count == 2, "both map models")
        for s in mine {
            #expect(s.headlinePhase == "thinned")
            // 300 of 3,000 keys survive, each a 16-byte slot and a 64-byte payload.
            #expect(s.headlineLiveBytes == 300 * (16 + 64))
            #expect(s.succeeded)
        }
        #expect(summaries.contains { $0.key.workload == "fill-drain" })
    }

    @Test(arguments: [
        ("{\"format\": \"bucketlab-workload/1\"", "not valid JSON"),
        ("{\"format\": \"bucketlab-workload/1\"}", "name: missing"),
        (file.replacingOccurrences(of: "\"keep_every\": 10", with: "\"keep_every\": 0"), "phases[1].steps[0].keep_every: must be positive"),
        (file.replacingOccurrences(of: "\"summary\"", with: "\"sumary\""), "sumary: unknown field"),
        (file.replacingOccurrences(of: "\"insert\", \"count\": \"keys\"", with: "\"insert\", \"count\": \"2e9\""), "count: is 2000000000 here"),
        (file.replacingOccurrences(of: "{\"op\": \"delete\", \"count\": \"keys\", \"keep_every\": 10}", with: "{\"op\": \"drop\", \"via\": \"gc\"}"),
         "phases[1].steps[0].via: must be \"finalizer\" or \"cleanup\""),
        (file.replacingOccurrences(of: "{\"op\": \"delete\", \"count\": \"keys\", \"keep_every\": 10}", with: "{\"op\": \"drop\", \"cycle\": true}"),
         "phases[1].steps[0].cycle: a cycle goes through a wrapper"),
        (file.replacingOccurrences(of: "{\"op\": \"delete\", \"count\": \"keys\", \"keep_every\": 10}", with: "{\"op\": \"await-finalizers\", \"count\": 1}"),
         "phases[1].steps[0].count: 'await-finalizers' takes no 'count'"),
        (file.replacingOccurrences(of: "{\"kind\": \"pointer\", \"bytes\": 64}", with: "\"uint64\"")
             .replacingOccurrences(of: "{\"op\": \"delete\", \"count\": \"keys\", \"keep_every\": 10}", with: "{\"op\": \"drop\", \"via\": \"finalizer\", \"cycle\": true}"),
         "phases[1].steps[0].cycle: a value points back to the wrapper only"),
        (file.replacingOccurrences(of: "{\"op\": \"delete\", \"count\": \"keys\", \"keep_every\": 10}",
                                   with: "{\"op\": \"iterate\", \"hold\": \"it\"}, {\"op\": \"drop\", \"via\": \"cleanup\"}"),
         "phases[1].steps[1].via: release the held iterators first"),
    ] as [(String, String)])
    func badFilesAreOneLineAndExit65(text: String, message: String) throws {
        let path = try write(text)
        for command in [["run", "--workload-file", path], ["check", "--workload-file", path, "--max-retained-ratio", "2"],
                        ["list", "--workload-file", path], ["workload", "validate", path]] {
            let out = temporaryDirectory() + "/out"
            let r = try bucketlab(command + (command[0] == "run" || command[0] == "check" ? ["--keys", "1000", "--out", out] : []))
            #expect(r.status == 65, "\(command[0]): \(r.stderr)")
            #expect(r.stderr.split(whereSeparator: \.isNewline).count == 1, "\(r.stderr)")
            #expect(r.stderr.hasPrefix("bucketlab: \(path): ") && r.stderr.contains(message), "\(command[0]): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out), "nothing written")
        }
    }

    @Test func aMissingFileIsADataError() throws {
        let r = try bucketlab(["run", "--workload-file", "/nonexistent/w.json", "--keys", "1000"])
        #expect(r.status == 65 && r.stderr.contains("no such file"), "\(r.stderr)")
    }

    @Test func showPrintsABuiltInsFileThatValidates() throws {
        let r = try bucketlab(["workload", "show", "cache-zipf"])
        #expect(r.status == 0)
        let spec = try WorkloadSpec.decode(Data(r.stdout.utf8), file: "shown")
        #expect(spec == Workload.builtIn("cache-zipf")!.spec)
        let path = try write(r.stdout)
        let v = try bucketlab(["workload", "validate", path, "--keys", "5000"])
        #expect(v.status == 0 && v.stdout.contains("cache-zipf: ok; phases warm, *end"), "\(v.stdout)\(v.stderr)")
        let bad = try bucketlab(["workload", "show", "nope"])
        #expect(bad.status == 64 && bad.stderr.contains("unknown workload 'nope'"))
    }
}
