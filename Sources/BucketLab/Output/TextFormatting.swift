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

/// Left-aligned text table with a rule under the header. `groups`, when
/// given, splits the columns into consecutive runs set `groupGap` spaces
/// apart, each titled on a line above the header.
public func renderTable(header: [String], rows: [[String]], rightAlign: Set<Int> = [], groupGap: Int = 2,
                        groups: [(title: String, columns: Int)] = []) -> String {
    var widths = header.map(\.count)
    for r in rows { for (i, f) in r.enumerated() { widths[i] = max(widths[i], f.count) } }
    // The gap before each column: wider where a group starts.
    var gaps = [Int](repeating: 2, count: header.count)
    var starts: [Int] = []
    var column = 0
    for g in groups {
        starts.append(column)
        if column > 0 && column < gaps.count { gaps[column] = groupGap }
        column += g.columns
    }
    func line(_ fields: [String]) -> String {
        var out = ""
        for (i, f) in fields.enumerated() {
            let pad = String(repeating: " ", count: widths[i] - f.count)
            if i > 0 { out += String(repeating: " ", count: gaps[i]) }
            out += rightAlign.contains(i) ? pad + f : f + pad
        }
        return out
    }
    var out = ""
    if groups.contains(where: { !$0.title.isEmpty }) {
        var titles = ""
        for (g, start) in zip(groups, starts) where start < widths.count {
            // Where the group's first column starts: the columns before it
            // and the gap before each column after the first, up to it.
            let at = widths[..<start].reduce(0, +) + (start == 0 ? 0 : gaps[1...start].reduce(0, +))
            if titles.count < at { titles += String(repeating: " ", count: at - titles.count) }
            titles += g.title
        }
        out += titles + "\n"
    }
    out += line(header) + "\n"
    out += line(widths.map { String(repeating: "-", count: $0) }) + "\n"
    for r in rows { out += line(r) + "\n" }
    return out
}
