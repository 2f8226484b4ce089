import Foundation
import Testing
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

/// Directory of this test target's sources, for fixtures.
let testSourcesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

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

/// A new empty directory under the system's temporary directory.
func temporaryDirectory() -> String {
    let dir = NSTemporaryDirectory() + "bucketlab-test-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// The elements of `items` that `isIncluded` selects, recording an issue
/// when it selects none: a check that runs over a filtered collection must
/// fail, not pass, when the filter stops matching (a renamed workload,
/// phase or column).
func matching<C: Collection>(_ items: C, _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation,
                             where isIncluded: (C.Element) throws -> Bool) rethrows -> [C.Element] {
    let matched = try items.filter(isIncluded)
    #expect(!matched.isEmpty, comment ?? "the filter matched nothing", sourceLocation: sourceLocation)
    return matched
}

@Suite struct TestSupportTests {
    @Test func aFilterThatMatchesNothingFails() {
        withKnownIssue("the filter matched nothing") {
            #expect(matching([1, 2, 3]) { $0 > 5 }.isEmpty)
        }
        #expect(matching([1, 2, 3]) { $0 > 1 } == [2, 3])
    }
}
