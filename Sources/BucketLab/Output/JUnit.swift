// The results of a check as JUnit XML, in the Ant/Jenkins dialect CI
// servers read (the Ant JUnit XSD): `testsuites` > one `testsuite` per map ×
// workload (name, id, package, timestamp, hostname, tests, failures, errors,
// skipped, time; then properties, the test cases, system-out, system-err) >
// one `testcase` per strategy × limit (name = the limit, classname = the
// cell, time) > at most one `failure`, `error` or `skipped`.
//
// A test case's time is 0: the limit is judged after the run; the run's
// time is its suite's (the cells' phases).

/// What a JUnit file says about the run as a whole.
public struct JUnitHeader: Sendable {
    /// ISO 8601 without a zone (the XSD's pattern), e.g. 2026-11-29T10:04:05.
    public var timestamp: String
    public var hostname: String
    /// Written into every suite's `properties` (the check's settings).
    public var properties: [(name: String, value: String)]

    public init(timestamp: String, hostname: String, properties: [(name: String, value: String)]) {
        self.timestamp = timestamp
        self.hostname = hostname
        self.properties = properties
    }
}

public enum JUnit {
    /// The document for `results`, grouped by map × workload in order.
    public static func xml(_ results: [GateResult], header: JUnitHeader) -> String {
        var order: [String] = []
        var groups: [String: [GateResult]] = [:]
        for r in results {
            let suite = "\(r.cell.map)/\(r.cell.workload)"
            if groups[suite] == nil { order.append(suite) }
            groups[suite, default: []].append(r)
        }
        func counts(_ rs: [GateResult]) -> String {
            let failures = rs.filter { $0.outcome == .broken }.count
            let errors = rs.filter { if case .error = $0.outcome { true } else { false } }.count
            let skipped = rs.filter { if case .skipped = $0.outcome { true } else { false } }.count
            return "tests=\"\(rs.count)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\""
        }
        // A cell's time once, whatever its number of limits.
        func seconds(_ rs: [GateResult]) -> Double {
            var seen = Set<RunKey>()
            return rs.reduce(0) { seen.insert($1.cell).inserted ? $0 + $1.cellSeconds : $0 }
        }
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        x += "<testsuites name=\"bucketlab check\" \(counts(results)) time=\"\(formatFixed(seconds(results), digits: 3))\">\n"
        for (id, name) in order.enumerated() {
            let rs = groups[name]!
            let phases = Array(Set(rs.map(\.phase))).sorted().joined(separator: ",")
            x += "  <testsuite name=\"\(escape(name + " at " + phases))\" id=\"\(id)\" package=\"bucketlab.check\""
            x += " timestamp=\"\(escape(header.timestamp))\" hostname=\"\(escape(header.hostname))\""
            x += " \(counts(rs)) time=\"\(formatFixed(seconds(rs), digits: 3))\">\n"
            x += "    <properties>\n"
            for p in header.properties {
                x += "      <property name=\"\(escape(p.name))\" value=\"\(escape(p.value))\"/>\n"
            }
            x += "    </properties>\n"
            for r in rs {
                let open = "    <testcase name=\"\(escape(r.limit.rawValue))\" classname=\"\(escape(r.cell.cellName))\" time=\"0.000\""
                switch r.outcome {
                case .held:
                    x += open + "/>\n"
                case .broken:
                    x += open + ">\n      <failure message=\"\(escape(r.line))\" type=\"\(escape(r.limit.rawValue))\">\(escape(r.detail))</failure>\n    </testcase>\n"
                case .error(let why):
                    x += open + ">\n      <error message=\"\(escape(why))\" type=\"cell\">\(escape(r.line))</error>\n    </testcase>\n"
                case .skipped(let why):
                    x += open + ">\n      <skipped message=\"\(escape(why))\"/>\n    </testcase>\n"
                }
            }
            x += "    <system-out>\(escape(rs.map(\.line).joined(separator: "\n")))</system-out>\n"
            x += "    <system-err></system-err>\n"
            x += "  </testsuite>\n"
        }
        x += "</testsuites>\n"
        return x
    }

    /// `text` safe in XML content and in double- or single-quoted
    /// attributes: the five special characters as entities, line breaks and
    /// tabs as character references (kept through attribute normalisation),
    /// other control characters — not allowed in XML 1.0 — as U+FFFD.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n": out += "&#10;"
            case "\r": out += "&#13;"
            case "\t": out += "&#9;"
            default:
                let v = c.value
                let allowed = v >= 0x20 && !(0xD800...0xDFFF).contains(v) && v != 0xFFFE && v != 0xFFFF
                out.unicodeScalars.append(allowed ? c : "\u{FFFD}")
            }
        }
        return out
    }
}
