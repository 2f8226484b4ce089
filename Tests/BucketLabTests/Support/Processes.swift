import Foundation

/// The built `bucketlab`, next to the test bundle.
let bucketlabPath: String = {
    let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidates = [dir.appendingPathComponent("bucketlab").path,
                      dir.deletingLastPathComponent().appendingPathComponent("bucketlab").path]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
}()

struct Outcome {
    var status: Int32
    var stdout: String
    var stderr: String
}

func bucketlab(_ args: [String], cwd: String? = nil, environment: [String: String] = [:]) throws -> Outcome {
    try runProcess(bucketlabPath, args, cwd: cwd, environment: environment)
}

/// Runs `executable` to its end and collects its output.
func runProcess(_ executable: String, _ args: [String], cwd: String? = nil,
                environment: [String: String] = [:]) throws -> Outcome {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = args
    if !environment.isEmpty {
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return Outcome(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}
