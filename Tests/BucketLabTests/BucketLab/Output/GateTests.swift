import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import BucketLab

/// A phase row of `cell` at `phase` with the gate's figures.
private func row(_ cell: RunKey, _ phase: String, inuse: Int, live: Int, leaked: Int = 0, rss: Int = 0,
                 repeatIndex: Int = 1) -> PhaseRow {
    var m = RunMeasurement()
    m.heapInuseBytes = inuse
    m.liveBytes = live
    m.leakedBytes = leaked
    m.rssBytes = rss
    var key = cell
    key.repeatIndex = repeatIndex
    return PhaseRow(key: key, phase: phase, measurement: m, phaseNs: 1_000_000, startNs: 0)
}

private func cell(_ map: String, _ strategy: String, workload: String = "fill-drain") -> RunKey {
    RunKey(runID: "t", map: map, workload: workload, strategy: strategy, repeatIndex: 0)
}

private func summary(_ key: RunKey, status: String = "ok") -> RunSummary {
    var s = RunSummary(key: RunKey(runID: key.runID, map: key.map, workload: key.workload, strategy: key.strategy, repeatIndex: 1),
                       keys: 1000)
    s.status = status
    return s
}

@Suite struct GateTests {
    let go = cell("classic", "go"), shrink = cell("classic", "shrink")

    @Test func eachLimitHoldsAtItsBoundAndBreaksJustAbove() {
        let inuse = 40_000, live = 10_000, leaked = 512, rss = 9_000_000
        let phases = [row(go, "peak", inuse: inuse * 9, live: live * 9), row(go, "drained", inuse: inuse, live: live, leaked: leaked, rss: rss)]
        func outcome(_ limits: GateLimits) -> [GateOutcome] {
            Gate.evaluate(summaries: [summary(go)], phases: phases, limits: limits, phase: { _ in "drained" }).map(\.outcome)
        }
        let ratio = Double(inuse) / Double(live)
        #expect(outcome(GateLimits(maxRetainedBytes: inuse, maxRetainedRatio: ratio, maxLeakedBytes: leaked, maxResidentBytes: rss))
                == [.held, .held, .held, .held])
        #expect(outcome(GateLimits(maxRetainedBytes: inuse - 1)) == [.broken])
        #expect(outcome(GateLimits(maxRetainedRatio: ratio * 0.99)) == [.broken])
        #expect(outcome(GateLimits(maxLeakedBytes: leaked - 1)) == [.broken])
        #expect(outcome(GateLimits(maxResidentBytes: rss - 1)) == [.broken])
    }

    @Test func theLineNamesFigureLimitPhaseMapAndStrategy() throws {
        let phases = [row(shrink, "drained", inuse: 123_456, live: 0)]
        let r = try #require(Gate.evaluate(summaries: [summary(shrink)], phases: phases,
                                           limits: GateLimits(maxRetainedBytes: 1000), phase: { _ in "drained" }).first)
        #expect(r.outcome == .broken)
        #expect(r.line == "FAIL max-retained-bytes: 123456 > 1000 (retained bytes: heap in use) at phase drained, map classic, strategy shrink, workload fill-drain")
    }

    @Test func aRatioWithNothingLiveIsSkippedNotPassed() throws {
        let phases = [row(go, "drained", inuse: 40_000, live: 0)]
        let r = try #require(Gate.evaluate(summaries: [summary(go)], phases: phases, limits: GateLimits(maxRetainedRatio: 100),
                                           phase: { _ in "drained" }).first)
        guard case .skipped(let why) = r.outcome else { Issue.record("\(r.outcome)"); return }
        #expect(why.contains("nothing live"))
    }

    @Test func aFailedCellIsAnErrorOnEveryLimit() {
        let results = Gate.evaluate(summaries: [summary(go, status: "signal 9 (Killed)")], phases: [],
                                    limits: GateLimits(maxRetainedBytes: 1, maxLeakedBytes: 1), phase: { _ in "drained" })
        #expect(results.count == 2)
        #expect(results.allSatisfy { if case .error(let why) = $0.outcome { why.contains("signal 9") } else { false } })
    }

    /// Growth is judged against the median of the baseline's repeats at the
    /// same cell and phase, never against another cell's.
    @Test func growthComparesTheSameCellAndPhaseWithTheBaselineMedian() throws {
        let base = GateBaseline(directory: "B", phases: [
            row(go, "drained", inuse: 90_000, live: 0, repeatIndex: 1),
            row(go, "drained", inuse: 100_000, live: 0, repeatIndex: 2),
            row(go, "drained", inuse: 500_000, live: 0, repeatIndex: 3),
            row(go, "peak", inuse: 1, live: 0),
            row(shrink, "drained", inuse: 1, live: 0),
        ], keys: 1000)
        func growth(_ inuse: Int, max: Double) throws -> GateResult {
            try #require(Gate.evaluate(summaries: [summary(go)], phases: [row(go, "drained", inuse: inuse, live: 0)],
                                       limits: GateLimits(maxGrowth: max), phase: { _ in "drained" }, baseline: base).first)
        }
        #expect(try growth(105_000, max: 0.05).outcome == .held)
        let broken = try growth(105_001, max: 0.05)
        #expect(broken.outcome == .broken)
        #expect(broken.detail.contains("+5%") && broken.detail.contains("baseline 100000"), "\(broken.detail)")
        #expect(try growth(50_000, max: 0).outcome == .held, "shrinking is not growth")
        // A zero baseline: any byte is unbounded growth.
        let zero = GateBaseline(directory: "B", phases: [row(go, "drained", inuse: 0, live: 0)], keys: 1000)
        let r = Gate.evaluate(summaries: [summary(go)], phases: [row(go, "drained", inuse: 8192, live: 0)],
                              limits: GateLimits(maxGrowth: 10), phase: { _ in "drained" }, baseline: zero)
        #expect(r.map(\.outcome) == [.broken])
    }

    @Test func aBaselineMustHaveEveryCellAndTheSameKeys() {
        let base = GateBaseline(directory: "B", phases: [row(go, "drained", inuse: 1, live: 0)], keys: 1000)
        #expect(throws: Never.self) { try base.check(covers: [(go, "drained")], keys: 1000) }
        #expect(throws: CSVError.self) { try base.check(covers: [(go, "drained")], keys: 2000) }
        #expect(throws: CSVError.self) { try base.check(covers: [(shrink, "drained")], keys: 1000) }
        #expect(throws: CSVError.self) { try base.check(covers: [(go, "peak")], keys: 1000) }
    }

    @Test func byteCountsAndPercentages() {
        #expect(GateParse.bytes("1048576") == 1 << 20)
        #expect(GateParse.bytes("40MiB") == 40 << 20)
        #expect(GateParse.bytes("1.5KiB") == 1536)
        #expect(GateParse.bytes("2G") == 2 << 30)
        for bad in ["", "-1", "MiB", "12XB", "1e400MiB", "-2KiB"] { #expect(GateParse.bytes(bad) == nil, "\(bad)") }
        #expect(GateParse.percent("5%") == 0.05)
        #expect(GateParse.percent("12.5") == 0.125)
        for bad in ["", "%", "-1%", "five", "inf"] { #expect(GateParse.percent(bad) == nil, "\(bad)") }
    }
}

@Suite struct JUnitTests {
    @Test func specialCharactersAreEscaped() {
        #expect(JUnit.escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&apos;")
        #expect(JUnit.escape("x\ny\u{1}") == "x&#10;y\u{FFFD}")
    }

    /// A document from a mix of outcomes, with every XML special character
    /// in names, parses and obeys the Ant JUnit schema's rules.
    @Test func theDocumentFollowsTheAntSchema() throws {
        let odd = cell("classic", "clear=pointers+shrink=below:0.25 <&\"'>")
        let ok = cell("swiss", "go", workload: "churn")
        let results = Gate.evaluate(
            summaries: [summary(odd), summary(ok), summary(cell("swiss", "stale"), status: "exit 3")],
            phases: [row(odd, "drained", inuse: 5000, live: 0, leaked: 700), row(ok, "end", inuse: 5000, live: 1000)],
            limits: GateLimits(maxRetainedBytes: 4000, maxRetainedRatio: 10, maxLeakedBytes: 800),
            phase: { $0 == "churn" ? "end" : "drained" })
        let header = JUnitHeader(timestamp: "2026-01-02T03:04:05", hostname: "ci & <host>",
                                 properties: [(name: "keys", value: "2000"), (name: "note", value: "a \"quoted\" <value>")])
        let doc = try XMLTree.parse(JUnit.xml(results, header: header))
        let expected = try JUnitSchema.validate(doc)
        // 3 cells × 3 limits; odd: retained broken, ratio skipped, leaked held; ok: retained broken, ratio and
        // leaked held; the failed cell: 3 errors.
        #expect(expected == JUnitSchema.Counts(tests: 9, failures: 2, errors: 3, skipped: 1))
        let names = doc.children.flatMap(\.children).filter { $0.name == "testcase" }.map { $0.attributes["classname"]! }
        #expect(names.contains(odd.cellName), "the classname round-trips through escaping")
        #expect(doc.children.first?.attributes["hostname"] == "ci & <host>")
    }

    @Test func theValidatorRejectsBrokenDocuments() throws {
        let bad = [
            "<testsuites><testcase name=\"a\" classname=\"b\" time=\"0\"/></testsuites>",
            "<testsuites tests=\"1\" failures=\"0\" errors=\"0\" time=\"0\"><testsuite name=\"s\" tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0\" timestamp=\"t\" hostname=\"h\" id=\"0\" package=\"p\"><testcase name=\"a\" classname=\"b\" time=\"0\"/></testsuite></testsuites>",
            "<testsuites tests=\"1\" failures=\"0\" errors=\"0\" time=\"0\"><testsuite name=\"s\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0\" timestamp=\"t\" hostname=\"h\" id=\"0\" package=\"p\"><testcase name=\"a\" time=\"0\"/></testsuite></testsuites>",
        ]
        for text in bad {
            let tree = try XMLTree.parse(text)
            #expect(throws: JUnitSchema.Violation.self) { try JUnitSchema.validate(tree) }
        }
        #expect(throws: (any Error).self) { try XMLTree.parse("<testsuites><testsuite></testsuites>") }
    }
}

/// An element of a parsed document.
struct XMLTree {
    var name: String
    var attributes: [String: String]
    var children: [XMLTree] = []
    var text = ""

    /// Parses `text` with Foundation's XMLParser; malformed XML throws.
    static func parse(_ text: String) throws -> XMLTree {
        final class Builder: NSObject, XMLParserDelegate {
            var stack: [XMLTree] = [XMLTree(name: "#document", attributes: [:])]
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                        attributes: [String: String] = [:]) {
                stack.append(XMLTree(name: name, attributes: attributes))
            }
            func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
                let done = stack.removeLast()
                stack[stack.count - 1].children.append(done)
            }
            func parser(_ parser: XMLParser, foundCharacters string: String) { stack[stack.count - 1].text += string }
        }
        let parser = XMLParser(data: Data(text.utf8))
        let builder = Builder()
        parser.delegate = builder
        guard parser.parse(), builder.stack.count == 1, let root = builder.stack[0].children.first else {
            throw JUnitSchema.Violation(description: "not well-formed: \(parser.parserError.map { "\($0)" } ?? "?")")
        }
        return root
    }
}

/// The Ant JUnit XSD's rules, as CI servers rely on them.
enum JUnitSchema {
    struct Violation: Error, CustomStringConvertible { let description: String }
    struct Counts: Equatable { var tests = 0, failures = 0, errors = 0, skipped = 0 }

    static func require(_ e: XMLTree, _ names: [String]) throws {
        for n in names where e.attributes[n] == nil {
            throw Violation(description: "<\(e.name)> lacks '\(n)'")
        }
    }

    static func count(_ e: XMLTree, _ attribute: String) throws -> Int {
        guard let text = e.attributes[attribute], let n = Int(text), n >= 0 else {
            throw Violation(description: "<\(e.name) \(attribute)> is not a count")
        }
        return n
    }

    static func time(_ e: XMLTree) throws {
        guard let text = e.attributes["time"], let t = Double(text), t >= 0 else {
            throw Violation(description: "<\(e.name)> time is not a non-negative decimal")
        }
    }

    /// Checks nesting, required attributes and that every suite's counts
    /// (and the root's) are those of its test cases; returns the totals.
    static func validate(_ root: XMLTree) throws -> Counts {
        guard root.name == "testsuites" else { throw Violation(description: "root is <\(root.name)>") }
        try require(root, ["tests", "failures", "errors", "time"])
        try time(root)
        var total = Counts()
        for suite in root.children {
            guard suite.name == "testsuite" else { throw Violation(description: "<\(suite.name)> in <testsuites>") }
            try require(suite, ["name", "tests", "failures", "errors", "time", "timestamp", "hostname", "id", "package"])
            try time(suite)
            // properties?, testcase*, system-out?, system-err?, in that order.
            let order = ["properties", "testcase", "system-out", "system-err"]
            let ranks = try suite.children.map { child in
                guard let i = order.firstIndex(of: child.name) else { throw Violation(description: "<\(child.name)> in <testsuite>") }
                return i
            }
            guard ranks == ranks.sorted() else { throw Violation(description: "<testsuite> children out of order") }
            for once in ["properties", "system-out", "system-err"] where ranks.filter({ order[$0] == once }).count > 1 {
                throw Violation(description: "<\(once)> twice in <testsuite>")
            }
            var counts = Counts()
            for child in suite.children {
                switch child.name {
                case "properties":
                    for p in child.children {
                        guard p.name == "property" else { throw Violation(description: "<\(p.name)> in <properties>") }
                        try require(p, ["name", "value"])
                    }
                case "testcase":
                    try require(child, ["name", "classname", "time"])
                    try time(child)
                    guard child.children.count <= 1 else { throw Violation(description: "a testcase with several outcomes") }
                    counts.tests += 1
                    if let outcome = child.children.first {
                        switch outcome.name {
                        case "failure": try require(outcome, ["message", "type"]); counts.failures += 1
                        case "error": try require(outcome, ["message", "type"]); counts.errors += 1
                        case "skipped": counts.skipped += 1
                        default: throw Violation(description: "<\(outcome.name)> in <testcase>")
                        }
                    }
                default:
                    guard child.children.isEmpty else { throw Violation(description: "elements in <\(child.name)>") }
                }
            }
            guard try count(suite, "tests") == counts.tests, try count(suite, "failures") == counts.failures,
                  try count(suite, "errors") == counts.errors,
                  try (suite.attributes["skipped"] == nil ? counts.skipped : count(suite, "skipped")) == counts.skipped else {
                throw Violation(description: "suite \(suite.attributes["name"]!): counts differ from its test cases")
            }
            total.tests += counts.tests
            total.failures += counts.failures
            total.errors += counts.errors
            total.skipped += counts.skipped
        }
        guard try count(root, "tests") == total.tests, try count(root, "failures") == total.failures,
              try count(root, "errors") == total.errors else {
            throw Violation(description: "<testsuites> counts differ from its suites'")
        }
        return total
    }
}
