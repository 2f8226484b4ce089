// Numbers and tables as text, without Foundation.

/// `value` with exactly `digits` decimals, no Foundation needed.
public func formatFixed(_ value: Double, digits: Int) -> String {
    guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let negative = value < 0
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale)
    let frac = Int(scaled - Double(whole) * scale)
    var fracText = String(frac)
    while fracText.count < digits { fracText = "0" + fracText }
    return (negative && scaled != 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + fracText : "")
}

/// Left-aligned text table with a rule under the header.
public func renderTable(header: [String], rows: [[String]], rightAlign: Set<Int> = []) -> String {
    var widths = header.map(\.count)
    for r in rows { for (i, f) in r.enumerated() { widths[i] = max(widths[i], f.count) } }
    func line(_ fields: [String]) -> String {
        fields.enumerated().map { i, f in
            let pad = String(repeating: " ", count: widths[i] - f.count)
            return rightAlign.contains(i) ? pad + f : f + pad
        }.joined(separator: "  ")
    }
    var out = line(header) + "\n"
    out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
    for r in rows { out += line(r) + "\n" }
    return out
}
