// Named strategies and the composed-spec syntax the CLI takes. See
// ClearingPolicy.swift.

/// A named strategy with the one sentence `bucketlab list` prints.
public struct StrategyPreset: Sendable {
    public let name: String
    public let policy: ClearingPolicy
    public let summary: String
}

/// A spec the parser refused; the message names what is valid.
public struct StrategySpecError: Error, CustomStringConvertible {
    public let description: String
}

extension ClearingPolicy {
    public static let presets: [StrategyPreset] = [
        StrategyPreset(name: "go", policy: .go,
                       summary: "Go 1.19 as it is: deletes clear slots but nothing is ever freed or shrunk."),
        StrategyPreset(name: "stale", policy: ClearingPolicy(slotClearing: .none),
                       summary: "Deletes change only the tophash, so stale pointers keep deleted payloads alive (the seed's leak)."),
        StrategyPreset(name: "go-ptrclear", policy: ClearingPolicy(slotClearing: .pointers),
                       summary: "Clears only pointer words on delete: as safe as Go's full clear for the collector, fewer stores."),
        StrategyPreset(name: "reclaim", policy: ClearingPolicy(overflow: .reclaim),
                       summary: "Go plus unlinking overflow buckets that empty, so churn stops accumulating them."),
        StrategyPreset(name: "shrink", policy: ClearingPolicy(shrink: .below(0.25)),
                       summary: "Go plus halving the bucket array when the map drains below a quarter of its capacity."),
        StrategyPreset(name: "compact", policy: ClearingPolicy(
            slotClearing: .pointers, overflow: .reclaim, shrink: .below(0.25), evacuation: .eager,
            emptyMap: .release, clearAll: .release, relocation: .sparse(0.25)),
                       summary: "Everything that returns memory: reclaim, shrink, release, eager evacuation and payload relocation."),
    ]

    public static var presetNames: [String] { presets.map(\.name) }

    /// A preset name, or a comma-separated spec such as
    /// `clear=pointers,overflow=reclaim,shrink=below:0.125,evac=eager,empty=release`,
    /// optionally starting from a preset (`go,evac=eager`).
    public init(spec: String) throws {
        let items = spec.split(separator: ",", omittingEmptySubsequences: false).map {
            String($0).trimmingSpaces()
        }
        guard !items.isEmpty, !items.contains(where: \.isEmpty) else {
            throw StrategySpecError(description: "empty strategy spec; \(Self.validSpecHelp)")
        }
        var policy = ClearingPolicy.go
        for (i, item) in items.enumerated() {
            guard let eq = item.firstIndex(of: "=") else {
                guard i == 0, let preset = Self.presets.first(where: { $0.name == item }) else {
                    throw StrategySpecError(description: "unknown strategy '\(item)'; \(Self.validSpecHelp)")
                }
                policy = preset.policy
                continue
            }
            let key = String(item[..<eq]), value = String(item[item.index(after: eq)...])
            func bad() -> StrategySpecError {
                StrategySpecError(description: "bad value '\(value)' for '\(key)' in strategy '\(spec)'; \(Self.validSpecHelp)")
            }
            switch key {
            case "clear": guard let v = SlotClearing(rawValue: value) else { throw bad() }; policy.slotClearing = v
            case "overflow": guard let v = OverflowPolicy(rawValue: value) else { throw bad() }; policy.overflow = v
            case "evac": guard let v = EvacuationPolicy(rawValue: value) else { throw bad() }; policy.evacuation = v
            case "empty": guard let v = EmptyMapPolicy(rawValue: value) else { throw bad() }; policy.emptyMap = v
            case "clearall": guard let v = ClearAllPolicy(rawValue: value) else { throw bad() }; policy.clearAll = v
            case "shrink":
                if value == "never" { policy.shrink = .never; break }
                guard let f = Self.fraction(value, prefix: "below:"), f <= ShrinkPolicy.maxFraction else { throw bad() }
                policy.shrink = .below(f)
            case "relocate":
                if value == "off" { policy.relocation = .off; break }
                guard let t = Self.fraction(value, prefix: "sparse:"), t <= 1 else { throw bad() }
                policy.relocation = .sparse(t)
            default:
                throw StrategySpecError(description: "unknown policy '\(key)' in strategy '\(spec)'; \(Self.validSpecHelp)")
            }
        }
        self = policy
    }

    private static func fraction(_ value: String, prefix: String) -> Double? {
        guard value.hasPrefix(prefix), let f = Double(value.dropFirst(prefix.count)), f > 0, f.isFinite else { return nil }
        return f
    }

    /// The spec that parses back to this policy (every policy spelled out).
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
        return "clear=\(slotClearing.rawValue),overflow=\(overflow.rawValue),shrink=\(shrinkText),"
            + "evac=\(evacuation.rawValue),empty=\(emptyMap.rawValue),clearall=\(clearAll.rawValue),relocate=\(relocateText)"
    }

    /// The preset name when this policy is one, else its spec.
    public var name: String { Self.presets.first { $0.policy == self }?.name ?? spec }

    public static let validSpecHelp = "valid: a preset (" + presetNames.joined(separator: ", ")
        + ") or key=value items: clear=none|go|full|pointers, overflow=keep|reclaim, shrink=never|below:F (0<F<=0.25), "
        + "evac=incremental|eager, empty=keep|release, clearall=zero-in-place|release, relocate=off|sparse:T (0<T<=1)"
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
