import Foundation
@testable import BucketLab

/// Directory of this test target's sources, for fixtures.
let testSourcesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

func fixture(_ name: String) throws -> String {
    try String(contentsOf: testSourcesDirectory.appendingPathComponent("Fixtures/\(name)"), encoding: .utf8)
}

/// A small deterministic generator (SplitMix64), so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Runs `body(i)` for i in 0..<n on n threads at once and waits for all.
func runConcurrently(_ n: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for i in 0..<n {
        DispatchQueue.global().async(group: group) { body(i) }
    }
    group.wait()
}

/// A box for collecting results from threads.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
