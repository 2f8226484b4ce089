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
