import BucketLab
import Foundation

/// What produced a run (run.json) and what the machine has free.
enum MachineInfo {
    static var today: String {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd"
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: Date())
    }

    static func command(_ args: [String]) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init)
    }

    static var gitCommit: String? { command(["git", "rev-parse", "--short", "HEAD"]) }

    static func meminfo(_ key: String) -> Int? {
        guard let text = readTextFile("/proc/meminfo") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            let kb = line.split(separator: " ").compactMap { Int($0) }.first
            return kb.map { $0 * 1024 }
        }
        return nil
    }

    static var cpuModel: String {
        guard let text = readTextFile("/proc/cpuinfo") else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            return line.split(separator: ":", maxSplits: 1).last.map { String($0).trimmingCharacters(in: .whitespaces) } ?? "unknown"
        }
        return "unknown"
    }

    static var facts: MachineFacts {
        MachineFacts(command: CommandLine.arguments.joined(separator: " "), commit: gitCommit ?? "unknown",
                     swift: command(["swift", "--version"]) ?? "unknown", cpu: cpuModel,
                     cores: ProcessInfo.processInfo.activeProcessorCount, memoryBytes: meminfo("MemTotal") ?? 0,
                     date: ISO8601DateFormatter().string(from: Date()))
    }
}
