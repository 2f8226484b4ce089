// Summaries of repeated measurements.

/// Median of a non-empty sample.
public func median(_ values: [Double]) -> Double {
    precondition(!values.isEmpty, "median of nothing")
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// The nearest-rank `p`-quantile (0 < p ≤ 1) of a non-empty sample: the
/// smallest value at or above which lies a share p of the sample.
public func quantile(_ values: [Double], _ p: Double) -> Double {
    precondition(!values.isEmpty, "quantile of nothing")
    let s = values.sorted()
    let rank = Int((p * Double(s.count)).rounded(.up))
    return s[min(max(rank, 1), s.count) - 1]
}

/// The spread of a sample: median, quartiles (nearest rank), extremes.
public struct Spread: Sendable, Equatable {
    public var median = 0.0, p25 = 0.0, p75 = 0.0, min = 0.0, max = 0.0

    public init() {}

    public init(_ values: [Double]) {
        median = BucketLab.median(values)
        p25 = quantile(values, 0.25)
        p75 = quantile(values, 0.75)
        min = values.min()!
        max = values.max()!
    }

    /// Columns `<prefix>_median`, `_p25`, `_p75`, `_min`, `_max`.
    static func columns<Row>(_ prefix: String, _ path: WritableKeyPath<Row, Spread>, digits: Int) -> [Column<Row>] {
        [("median", \Spread.median), ("p25", \Spread.p25), ("p75", \Spread.p75), ("min", \Spread.min), ("max", \Spread.max)]
            .map { Column<Row>.double("\(prefix)_\($0.0)", path.appending(path: $0.1), digits: digits) }
    }
}
