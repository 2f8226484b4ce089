// The one set of bounds on sizes and counts, shared by the library's config
// initialisers and the command line (which shows the same messages). Each
// bound is named after the option that sets it.

#if canImport(Glibc)
import Glibc
#endif

/// A configuration the lab refuses; one line naming the option and its range.
public struct ConfigError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// An inclusive range an option must lie in.
public struct Bound: Sendable {
    public let option: String
    public let range: ClosedRange<Int>

    public init(_ option: String, _ range: ClosedRange<Int>) {
        self.option = option
        self.range = range
    }

    /// Throws unless `value` lies in the range.
    public func check(_ value: Int) throws {
        guard range.contains(value) else {
            throw ConfigError("\(option) must be between \(range.lowerBound) and \(range.upperBound)")
        }
    }
}

public enum Bounds {
    /// Keys per workload, map or benchmark.
    public static let keys = Bound("--keys", 1...100_000_000)
    /// A payload's first word holds its key, so at least one word.
    public static let payloadBytes = Bound("--payload-bytes", 8...(1 << 20))
    /// Repetitions of a measurement (runs per cell, timed rounds).
    public static let repeats = Bound("--repeat", 1...1000)
    public static let samples = Bound("--samples", 1...1000)
    public static let bursts = Bound("--bursts", 1...100)
    /// A map size hint: none (0) up to the most keys a run may have.
    public static let jobs = Bound("--jobs", 1...64)
    public static let hint = Bound("--hint", 0...keys.range.upperBound)
    public static let gogc = Bound("--gogc", 1...100_000)
    /// Mark worker threads.
    public static let gcWorkers = Bound("--gc-workers", 1...64)
    public static let cycles = Bound("--cycles", 1...10_000_000)
    /// The stress test's keys per map (its key space).
    public static let stressKeys = Bound("--keys", 1...10_000_000)

    /// The churn window and cache capacity: 1 … keys.
    public static func window(keys: Int) -> Bound { Bound("--window", 1...max(1, keys)) }

    /// GOGC from its text: "off", or a percent within `gogc`.
    public static func parseGOGC(_ text: String) throws -> Int? {
        if text == "off" { return nil }
        guard let g = Int(text), gogc.range.contains(g) else {
            throw ConfigError("--gogc must be 'off' or between \(gogc.range.lowerBound) and \(gogc.range.upperBound)")
        }
        return g
    }

    /// GOMEMLIMIT and a container's limit: 1 MiB … 1 TiB.
    public static let memlimit = Bound("--memlimit", (1 << 20)...(1 << 40))
    public static let containerLimit = Bound("--container-limit", (1 << 20)...(1 << 40))

    /// A byte count from its text: a whole number, or one with a suffix
    /// KiB, MiB or GiB ("512MiB"); "off" is nil (no limit).
    public static func parseBytes(_ text: String, _ bound: Bound) throws -> Int? {
        if text == "off" { return nil }
        var digits = Substring(text), scale = 1
        for (suffix, s) in [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30)] where text.hasSuffix(suffix) {
            digits = text.dropLast(suffix.count)
            scale = s
        }
        guard let n = Int(digits), n >= 0, n <= bound.range.upperBound / scale, bound.range.contains(n * scale) else {
            throw ConfigError("\(bound.option) must be 'off' or bytes between \(bound.range.lowerBound) and \(bound.range.upperBound) (suffixes KiB, MiB, GiB)")
        }
        return n * scale
    }

    /// Throws when about `bytes` cannot fit in the memory the machine has free
    /// (`MemAvailable`); says nothing when that cannot be read.
    public static func checkFreeMemory(needs bytes: Int, for what: String) throws {
        guard let available = availableMemoryBytes(), bytes > available else { return }
        throw ConfigError("\(what) needs at least \(bytes >> 20) MiB; only \(available >> 20) MiB is free")
    }

    public static func availableMemoryBytes() -> Int? {
        guard let text = readTextFile("/proc/meminfo") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            return line.split(separator: " ").compactMap { Int($0) }.first.map { $0 * 1024 }
        }
        return nil
    }
}
