// Summaries of repeated measurements.

/// Median of a non-empty sample.
public func median(_ values: [Double]) -> Double {
    precondition(!values.isEmpty, "median of nothing")
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
