// A strategy: a name and a clearing policy, with the one parser of the
// strategy grammar that the command line, the stress test, the benchmarks and
// the tests all use. See ClearingPolicy.swift for the policies.
//
// Grammar:
//
//   list      = strategy { "," strategy } | "all"
//   strategy  = preset { "+" setting } | setting { "+" setting }
//   setting   = key "=" value        (clear=pointers, shrink=below:0.125, …)
//
// A strategy that starts with a setting starts from `go`. So
// `go,stale,clear=pointers+shrink=below:0.25` is three strategies, and
// `compact+evac=incremental` is compact with one policy changed.

import LabHeap

/// A spec the parser refused; the message names what is valid.
public struct StrategySpecError: Error, CustomStringConvertible {
    public let description: String
}

/// A named clearing policy: a preset, or a spec the user composed.
public struct Strategy: Sendable, Equatable, CustomStringConvertible {
    /// The preset's name, or the canonical spec when the policy is no preset.
    public let name: String
    public let policy: ClearingPolicy
    /// The sentence `bucketlab list` prints, for presets.
    public let summary: String?

    public var description: String { name }

    /// A strategy for `policy`, named after its preset when it is one.
    public init(_ policy: ClearingPolicy) {
        if let preset = Self.presets.first(where: { $0.policy == policy }) {
            self = preset
        } else {
            self.init(name: policy.spec, policy: policy, summary: nil)
        }
    }

    private init(name: String, policy: ClearingPolicy, summary: String?) {
        self.name = name
        self.policy = policy
        self.summary = summary
    }

    public static let go = Strategy(name: "go", policy: .go,
        summary: "Go as it is (1.19 on classic, 1.24+ on swiss): deletes clear slots but nothing is ever freed or shrunk.")

    public static let presets: [Strategy] = [
        go,
        Strategy(name: "stale", policy: ClearingPolicy(slotClearing: .none),
                 summary: "Deletes change only the tophash, so stale pointers keep deleted payloads alive (the seed's leak)."),
        Strategy(name: "go-ptrclear", policy: ClearingPolicy(slotClearing: .pointers),
                 summary: "Clears only pointer words on delete: as safe as Go's full clear for the collector, fewer stores."),
        Strategy(name: "reclaim", policy: ClearingPolicy(overflow: .reclaim),
                 summary: "Go plus unlinking overflow buckets that empty, so churn stops accumulating them."),
        Strategy(name: "shrink", policy: ClearingPolicy(shrink: .below(0.25)),
                 summary: "Go plus shrinking when the map drains below a quarter of its capacity (classic: halve the array; swiss: rebuild smaller tables)."),
        Strategy(name: "compact", policy: ClearingPolicy(
            slotClearing: .pointers, overflow: .reclaim, shrink: .below(0.25), evacuation: .eager,
            emptyMap: .release, clearAll: .release, relocation: .sparse(0.25)),
                 summary: "Everything that returns memory: reclaim, shrink, release, eager evacuation and payload relocation."),
    ]

    public static var presetNames: [String] { presets.map(\.name) }

    /// The preset called `name`.
    public static func preset(_ name: String) -> Strategy? { presets.first { $0.name == name } }

    /// One strategy: `preset[+key=value…]` or `key=value[+key=value…]`.
    public init(spec: String) throws {
        let items = spec.split(separator: "+", omittingEmptySubsequences: false).map { String($0).trimmingSpaces() }
        guard !items.contains(where: \.isEmpty) else {
            throw StrategySpecError(description: "empty strategy in '\(spec)'; \(Self.validSpecHelp)")
        }
        var base = Strategy.go
        var settings = items[...]
        if let first = items.first, !first.contains("=") {
            guard let preset = Self.preset(first) else {
                throw StrategySpecError(description: "unknown strategy '\(first)'; \(Self.validSpecHelp)")
            }
            base = preset
            settings = items.dropFirst()
        }
        guard !settings.isEmpty else {
            self = base
            return
        }
        var policy = base.policy
        for item in settings { try Self.apply(item, to: &policy, in: spec) }
        self.init(policy)
    }

    /// A list: strategies separated by commas, or `all` (every preset).
    public static func parseList(_ text: String) throws -> [Strategy] {
        if text.trimmingSpaces() == "all" { return presets }
        return try text.split(separator: ",", omittingEmptySubsequences: false).map { try Strategy(spec: String($0)) }
    }

    /// Several lists (a repeated option): their strategies in order, each
    /// once; no list at all means every preset.
    public static func parseLists(_ texts: [String]) throws -> [Strategy] {
        guard !texts.isEmpty else { return presets }
        var out: [Strategy] = []
        for s in try texts.flatMap(parseList) where !out.contains(s) { out.append(s) }
        return out
    }

    private static func apply(_ item: String, to policy: inout ClearingPolicy, in spec: String) throws {
        guard let eq = item.firstIndex(of: "=") else {
            throw StrategySpecError(description: "'\(item)' in '\(spec)' is not key=value (a preset may only come first); \(validSpecHelp)")
        }
        let key = String(item[..<eq]), value = String(item[item.index(after: eq)...])
        func bad() -> StrategySpecError {
            StrategySpecError(description: "bad value '\(value)' for '\(key)' in strategy '\(spec)'; \(validSpecHelp)")
        }
        switch key {
        case "clear": guard let v = SlotClearing(rawValue: value) else { throw bad() }; policy.slotClearing = v
        case "overflow": guard let v = OverflowPolicy(rawValue: value) else { throw bad() }; policy.overflow = v
        case "evac": guard let v = EvacuationPolicy(rawValue: value) else { throw bad() }; policy.evacuation = v
        case "empty": guard let v = EmptyMapPolicy(rawValue: value) else { throw bad() }; policy.emptyMap = v
        case "clearall": guard let v = ClearAllPolicy(rawValue: value) else { throw bad() }; policy.clearAll = v
        case "shrink":
            if value == "never" { policy.shrink = .never; break }
            guard let f = fraction(value, prefix: "below:"), f <= ShrinkPolicy.maxFraction else { throw bad() }
            policy.shrink = .below(f)
        case "relocate":
            if value == "off" { policy.relocation = .off; break }
            guard let t = fraction(value, prefix: "sparse:"), t <= 1 else { throw bad() }
            policy.relocation = .sparse(t)
        default:
            throw StrategySpecError(description: "unknown policy '\(key)' in strategy '\(spec)'; \(validSpecHelp)")
        }
    }

    private static func fraction(_ value: String, prefix: String) -> Double? {
        guard value.hasPrefix(prefix), let f = Double(value.dropFirst(prefix.count)), f > 0, f.isFinite else { return nil }
        return f
    }

    public static let validSpecHelp = "valid: all, or strategies separated by ',', each a preset ("
        + presetNames.joined(separator: ", ")
        + ") and/or key=value settings joined by '+': clear=none|go|full|pointers, overflow=keep|reclaim, "
        + "shrink=never|below:F (0<F<=0.25), evac=incremental|eager, empty=keep|release, "
        + "clearall=zero-in-place|release, relocate=off|sparse:T (0<T<=1)"
}

extension ClearingPolicy {
    /// The spec that parses back to this policy, every policy spelled out.
    public var spec: String {
        let shrinkText: String
        switch shrink {
        case .never: shrinkText = "never"
        case let .below(f): shrinkText = "below:\(f)"
        }
        let relocateText: String
        switch relocation {
        case .off: relocateText = "off"
        case let .sparse(t): relocateText = "sparse:\(t)"
        }
        return "clear=\(slotClearing.rawValue)+overflow=\(overflow.rawValue)+shrink=\(shrinkText)+"
            + "evac=\(evacuation.rawValue)+empty=\(emptyMap.rawValue)+clearall=\(clearAll.rawValue)+relocate=\(relocateText)"
    }
}

extension String {
    package func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
