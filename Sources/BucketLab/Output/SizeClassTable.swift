/// The size-class table as Go's `sizeclasses.go` comment prints it.
public enum SizeClassTable {
    public static let header = ["class", "bytes_per_obj", "bytes_per_span", "objects", "tail_waste", "max_waste_pct"]

    public static var rows: [[String]] {
        SizeClasses.all.dropFirst().map { c in
            [String(c.index), String(c.size), String(c.spanBytes), String(c.objectsPerSpan),
             String(c.tailWaste), formatFixed(SizeClasses.maxWaste(c) * 100, digits: 2)]
        }
    }

    public static var csv: String {
        var t = CSVTable(header: header)
        for r in rows { t.append(r) }
        return t.text
    }
}
