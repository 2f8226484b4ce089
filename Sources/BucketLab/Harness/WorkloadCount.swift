// Counts in workload files: a number, or an expression in the run's sizes,
// so `--keys` scales a file as it scales a built-in (docs/workload-files.md).
//
//   count  := term (("+" | "-") term)*
//   term   := factor (("*" | "/")? factor)*       juxtaposition multiplies: "0.99 keys"
//   factor := integer | decimal | name | name "(" count ("," count)* ")" | "(" count ")"
//
// A term is computed exactly (decimals as fractions) and rounded down once,
// at its end, so "0.1 keys" is keys/10 and "keys - 0.5 keys" is
// keys - keys/2, as integer code would write them; a function's arguments are
// rounded down before the call.

/// A parsed count expression.
public indirect enum WorkloadCount: Sendable, Equatable {
    case literal(Int)
    /// An exact fraction (a decimal literal): numerator / denominator.
    case fraction(Int, Int)
    case name(String)
    case call(String, [WorkloadCount])
    case sum([(sign: Int, term: WorkloadCount)])
    case product([(divide: Bool, factor: WorkloadCount)])

    public static func == (a: WorkloadCount, b: WorkloadCount) -> Bool { a.description == b.description }

    /// The names a count may use anywhere: the run's sizes, and inside a
    /// `repeat` its 1-based index `i`.
    public static let staticNames: Set<String> = ["keys", "window", "bursts", "i"]
    /// Names that read the current map or its contents, allowed in step
    /// counts only: `slots` (the map's slot capacity), `live` (keys in it).
    public static let dynamicNames: Set<String> = ["slots", "live"]
    /// `threshold(n)`: the map's growth threshold at or above n (the count at
    /// which the next insert starts a grow); `max`, `min`.
    public static let functions: [String: ClosedRange<Int>] = ["threshold": 1...1, "max": 2...8, "min": 2...8]

    /// Parses `text`; the message says what is wrong.
    public static func parse(_ text: String) throws -> WorkloadCount {
        var p = Parser(Array(text.utf8))
        let c = try p.sum()
        p.skipSpace()
        guard p.atEnd else { throw WorkloadCountError("unexpected '\(p.rest)' in count '\(text)'") }
        return c
    }

    /// Every name the count uses, functions included.
    public var names: Set<String> {
        switch self {
        case .literal, .fraction: return []
        case .name(let n): return [n]
        case .call(let f, let args): return args.reduce([f]) { $0.union($1.names) }
        case .sum(let terms): return terms.reduce([]) { $0.union($1.term.names) }
        case .product(let factors): return factors.reduce([]) { $0.union($1.factor.names) }
        }
    }

    /// The count's value; `lookup` gives a name's value and `threshold` the
    /// map's growth threshold. Throws on overflow or division by zero.
    public func evaluate(_ lookup: (String) -> Int?, threshold: (Int) -> Int) throws -> Int {
        let (n, d) = try exact(lookup, threshold)
        return Self.floorDiv(n, d)
    }

    private func exact(_ lookup: (String) -> Int?, _ threshold: (Int) -> Int) throws -> (Int, Int) {
        switch self {
        case .literal(let v): return (v, 1)
        case .fraction(let n, let d): return (n, d)
        case .name(let name):
            guard let v = lookup(name) else { throw WorkloadCountError("'\(name)' has no value here") }
            return (v, 1)
        case .call(let f, let args):
            let values = try args.map { try $0.evaluate(lookup, threshold: threshold) }
            switch f {
            case "threshold": return (threshold(max(0, values[0])), 1)
            case "max": return (values.max()!, 1)
            default: return (values.min()!, 1)
            }
        case .sum(let terms):
            var total = 0
            for (sign, term) in terms {
                let v = try term.evaluate(lookup, threshold: threshold)
                let (r, o) = sign > 0 ? total.addingReportingOverflow(v) : total.subtractingReportingOverflow(v)
                guard !o else { throw WorkloadCountError("count overflows") }
                total = r
            }
            return (total, 1)
        case .product(let factors):
            var n = 1, d = 1
            for (divide, factor) in factors {
                let (fn, fd) = try factor.exact(lookup, threshold)
                let (a, b) = divide ? (fd, fn) : (fn, fd)
                guard b != 0 else { throw WorkloadCountError("division by zero") }
                let (n2, o1) = n.multipliedReportingOverflow(by: a)
                let (d2, o2) = d.multipliedReportingOverflow(by: b)
                guard !o1 && !o2 else { throw WorkloadCountError("count overflows") }
                (n, d) = Self.reduced(n2, d2)
            }
            return (n, d)
        }
    }

    private static func reduced(_ n: Int, _ d: Int) -> (Int, Int) {
        var (a, b) = (abs(n), abs(d))
        while b != 0 { (a, b) = (b, a % b) }
        let g = max(1, a)
        return d < 0 ? (-n / g, -d / g) : (n / g, d / g)
    }

    private static func floorDiv(_ n: Int, _ d: Int) -> Int {
        let q = n / d
        return (n % d != 0 && (n < 0) != (d < 0)) ? q - 1 : q
    }
}

extension WorkloadCount: CustomStringConvertible {
    public var description: String {
        switch self {
        case .literal(let v): return String(v)
        case .fraction(let n, let d):
            // A decimal literal's denominator is a power of ten.
            let digits = String(d).count - 1
            let frac = String(n % d)
            return "\(n / d)." + String(repeating: "0", count: max(0, digits - frac.count)) + frac
        case .name(let n): return n
        case .call(let f, let args): return f + "(" + args.map(\.description).joined(separator: ", ") + ")"
        case .sum(let terms):
            return "(" + terms.enumerated().map { i, t in (i == 0 && t.sign > 0 ? "" : (t.sign > 0 ? " + " : " - ")) + t.term.description }.joined() + ")"
        case .product(let factors):
            return "(" + factors.enumerated().map { i, f in (i == 0 ? "" : (f.divide ? " / " : " * ")) + f.factor.description }.joined() + ")"
        }
    }
}

public struct WorkloadCountError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}

private struct Parser {
    let s: [UInt8]
    var i = 0
    init(_ s: [UInt8]) { self.s = s }

    var atEnd: Bool { i >= s.count }
    var rest: String { String(decoding: s[i...].prefix(20), as: UTF8.self) }

    mutating func skipSpace() { while i < s.count && s[i] == UInt8(ascii: " ") { i += 1 } }

    mutating func peek() -> UInt8? {
        skipSpace()
        return atEnd ? nil : s[i]
    }

    mutating func sum() throws -> WorkloadCount {
        var terms = [(sign: 1, term: try product())]
        while let c = peek(), c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
            i += 1
            terms.append((c == UInt8(ascii: "+") ? 1 : -1, try product()))
        }
        return terms.count == 1 && terms[0].sign == 1 ? terms[0].term : .sum(terms)
    }

    mutating func product() throws -> WorkloadCount {
        var factors = [(divide: false, factor: try factor())]
        while let c = peek() {
            if c == UInt8(ascii: "*") || c == UInt8(ascii: "/") {
                i += 1
                factors.append((c == UInt8(ascii: "/"), try factor()))
            } else if Self.isStart(c) {
                factors.append((false, try factor()))
            } else {
                break
            }
        }
        return factors.count == 1 ? factors[0].factor : .product(factors)
    }

    static func isStart(_ c: UInt8) -> Bool {
        c == UInt8(ascii: "(") || isDigit(c) || isLetter(c)
    }
    static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
    static func isLetter(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || c == UInt8(ascii: "_")
    }

    mutating func factor() throws -> WorkloadCount {
        guard let c = peek() else { throw WorkloadCountError("a count is missing a number or a name at its end") }
        if c == UInt8(ascii: "(") {
            i += 1
            let inner = try sum()
            guard peek() == UInt8(ascii: ")") else { throw WorkloadCountError("missing ')'") }
            i += 1
            return inner
        }
        if Self.isDigit(c) { return try number() }
        if Self.isLetter(c) {
            let start = i
            while i < s.count && (Self.isLetter(s[i]) || Self.isDigit(s[i])) { i += 1 }
            let name = String(decoding: s[start..<i], as: UTF8.self)
            if peek() == UInt8(ascii: "(") {
                guard let arity = WorkloadCount.functions[name] else { throw WorkloadCountError("unknown function '\(name)'") }
                i += 1
                var args = [try sum()]
                while peek() == UInt8(ascii: ",") {
                    i += 1
                    args.append(try sum())
                }
                guard peek() == UInt8(ascii: ")") else { throw WorkloadCountError("missing ')' after \(name)'s arguments") }
                i += 1
                guard arity.contains(args.count) else {
                    throw WorkloadCountError("\(name) takes \(arity.lowerBound == arity.upperBound ? "\(arity.lowerBound)" : "\(arity.lowerBound)…\(arity.upperBound)") argument(s)")
                }
                return .call(name, args)
            }
            guard WorkloadCount.staticNames.contains(name) || WorkloadCount.dynamicNames.contains(name) else {
                throw WorkloadCountError("unknown name '\(name)'; counts may use \((WorkloadCount.staticNames.union(WorkloadCount.dynamicNames)).sorted().joined(separator: ", "))")
            }
            return .name(name)
        }
        throw WorkloadCountError("unexpected '\(rest)'")
    }

    mutating func number() throws -> WorkloadCount {
        var n = 0, d = 1, seenPoint = false, digits = 0
        while i < s.count {
            let c = s[i]
            if Self.isDigit(c) {
                let (a, o1) = n.multipliedReportingOverflow(by: 10)
                let (b, o2) = a.addingReportingOverflow(Int(c - UInt8(ascii: "0")))
                guard !o1 && !o2 else { throw WorkloadCountError("number too large") }
                n = b
                digits += 1
                if seenPoint {
                    let (e, o3) = d.multipliedReportingOverflow(by: 10)
                    guard !o3 else { throw WorkloadCountError("too many decimals") }
                    d = e
                }
            } else if c == UInt8(ascii: ".") && !seenPoint {
                seenPoint = true
            } else if c == UInt8(ascii: "_") && !seenPoint {
                // 1_000_000, as Swift and Go write it.
            } else if (c == UInt8(ascii: "e") || c == UInt8(ascii: "E")) && !seenPoint {
                // 1e6: an integer power of ten.
                i += 1
                var e = 0
                let start = i
                while i < s.count && Self.isDigit(s[i]) { e = e * 10 + Int(s[i] - UInt8(ascii: "0")); i += 1; if e > 18 { break } }
                guard i > start, e <= 18 else { throw WorkloadCountError("bad exponent") }
                for _ in 0..<e {
                    let (m, o) = n.multipliedReportingOverflow(by: 10)
                    guard !o else { throw WorkloadCountError("number too large") }
                    n = m
                }
                return .literal(n)
            } else {
                break
            }
            i += 1
        }
        guard digits > 0 else { throw WorkloadCountError("a number needs digits") }
        return d == 1 ? .literal(n) : .fraction(n, d)
    }
}
