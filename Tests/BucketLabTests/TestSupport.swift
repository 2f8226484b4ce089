import Foundation
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

/// Directory of this test target's sources, for fixtures.
let testSourcesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

func fixture(_ name: String) throws -> String {
    try String(contentsOf: testSourcesDirectory.appendingPathComponent("Fixtures/\(name)"), encoding: .utf8)
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
