import Foundation

// A sweep: `bucketlab run` with lists for --keys, --payload-bytes or --gogc
// runs the suite once per combination (a point), each into a run folder of
// its own under `points/` (every file of which carries the point's `keys`,
// `payload_bytes` and `gogc` columns, RunKey's dimensions), then sets the
// points side by side: sweep.csv (every point's summary rows), charts of
// retained bytes and Go's modelled GC CPU per key against the points, and a
// REPORT.md linking each point's.

extension RunSummary {
    /// The point, as a group label: the dimensions the sweep varies.
    func sweepLabel(varying: Sweep.Dimensions) -> String {
        var parts: [String] = []
        if varying.keys { parts.append(Sweep.countLabel(keys)) }
        if varying.payload { parts.append("\(key.payloadBytes) B") }
        if varying.gogc { parts.append("GOGC \(key.gogc)") }
        return parts.joined(separator: ", ")
    }
}

public enum Sweep {
    /// A point's folder name under `points/`.
    public static func folder(keys: Int, payloadBytes: Int, gogc: Int?) -> String {
        "keys-\(keys)-payload-\(payloadBytes)-gogc-\(gogc.map(String.init) ?? "off")"
    }

    /// Which dimensions take more than one value.
    public struct Dimensions: Sendable {
        var keys = false, payload = false, gogc = false
    }

    static func varying(_ rows: [RunSummary]) -> Dimensions {
        Dimensions(keys: Set(rows.map(\.keys)).count > 1, payload: Set(rows.map(\.key.payloadBytes)).count > 1,
                   gogc: Set(rows.map(\.key.gogc)).count > 1)
    }

    /// 100000 → "10^5", 2500000 → "2.5×10^6", else the digits.
    static func countLabel(_ n: Int) -> String {
        guard n >= 1000 else { return String(n) }
        let e = Int(log10(Double(n)))
        let m = Double(n) / pow(10, Double(e))
        if m == 1 { return "10^\(e)" }
        if (m * 10).rounded() == m * 10 { return "\(formatFixed(m, digits: m == m.rounded() ? 0 : 1))×10^\(e)" }
        return String(n)
    }

    /// Points in run order.
    static func points(_ rows: [RunSummary], _ varying: Dimensions) -> [String] {
        Report.orderedUnique(rows.map { $0.sweepLabel(varying: varying) })
    }

    /// Two charts: retained bytes per key at the headline phase, and Go's
    /// modelled GC CPU per key over the run, against the points; a row of
    /// panels per workload, a column per map model, a line (over keys) or a
    /// bar (over other dimensions) per strategy.
    public static func charts(_ rows: [RunSummary]) -> [(file: String, title: String, svg: String)] {
        let varying = varying(rows)
        let groups = points(rows, varying)
        let maps = Report.orderedUnique(rows.map(\.key.map))
        let workloads = Report.orderedUnique(rows.map(\.key.workload))
        let strategies = Report.orderedUnique(rows.map(\.key.strategy))
        // Over keys, lines on a log axis (the first payload size and GOGC);
        // over other dimensions, bars by point.
        let keysList = Report.orderedUnique(rows.map { String($0.keys) }).compactMap(Int.init).sorted()
        let first = rows.first.map { ($0.key.payloadBytes, $0.key.gogc) }
        func lines(_ title: String, _ yLabel: String, _ value: @escaping (RunSummary) -> Double?) -> String {
            var panels: [SVG.LinePanel] = []
            for (r, w) in workloads.enumerated() {
                for (c, m) in maps.enumerated() {
                    let ls = strategies.map { s in
                        keysList.compactMap { k -> (x: Double, y: Double)? in
                            guard let row = rows.first(where: { $0.key.map == m && $0.key.workload == w && $0.key.strategy == s
                                && $0.keys == k && $0.key.payloadBytes == first?.0 && $0.key.gogc == first?.1 }),
                                  let v = value(row) else { return nil }
                            return (log10(Double(k)), v)
                        }
                    }
                    panels.append(SVG.LinePanel(title: "\(w) (\(m))", row: r, column: c, lines: ls))
                }
            }
            return SVG.linePanels(title: title, xLabel: "keys (log scale)", yLabel: yLabel, unit: .count,
                                  seriesNames: strategies, xTicks: keysList.map { (log10(Double($0)), countLabel($0)) },
                                  panels: panels)
        }
        func chart(_ title: String, _ yLabel: String, _ value: @escaping (RunSummary) -> Double?) -> String {
            if varying.keys { return lines(title, yLabel, value) }
            var panels: [SVG.BarPanel] = []
            for (r, w) in workloads.enumerated() {
                for (c, m) in maps.enumerated() {
                    let values = groups.map { g in
                        strategies.map { s in
                            rows.first { $0.key.map == m && $0.key.workload == w && $0.key.strategy == s
                                && $0.sweepLabel(varying: varying) == g }.flatMap(value)
                        }
                    }
                    panels.append(SVG.BarPanel(title: "\(w) (\(m))", row: r, column: c, groups: groups,
                                               series: Array(strategies.indices), values: values,
                                               ranges: values.map { $0.map { _ in nil } }))
                }
            }
            return SVG.barPanels(title: title, yLabel: yLabel, unit: .count, seriesNames: strategies, whiskerLabel: nil,
                                 panels: panels)
        }
        let retained = "Retained bytes per key at the headline phase, across the sweep"
        let gc = "Go's GC CPU per key over the run, modelled (ns), across the sweep"
        return [
            ("sweep-retained.svg", retained, chart(retained, "heap in use / keys") { r in
                r.keys > 0 ? Double(r.headlineHeapInuseBytes) / Double(r.keys) : nil }),
            ("sweep-gc.svg", gc, chart(gc, "Go GC CPU (model) / keys, ns") { r in
                r.keys > 0 ? Double(r.modelledGoGCCPUNs) / Double(r.keys) : nil }),
        ]
    }

    /// The sweep's REPORT.md: what was swept, the table of every cell at
    /// every point, the charts, and each point's own report.
    public static func markdown(_ rows: [RunSummary], header: String, folders: [String],
                                charts: [(file: String, title: String, svg: String)]) -> String {
        let varying = varying(rows)
        let groups = points(rows, varying)
        var md = "# BucketLab sweep\n\n\(header)\n\n"
        md += "Each point is a run of its own under `points/` (its REPORT.md and CSV files); `sweep.csv` has every "
        md += "point's summary rows; every file has the point's `keys`, `payload_bytes` and `gogc`. Retained = heap in use after the "
        md += "headline phase's collection; Go GC = the CPU Go's collector would spend on the run, modelled "
        md += "(docs/gc-cost.md).\n\n"
        for c in charts { md += "![\(c.title)](\(c.file))\n\n" }
        md += "## Every cell\n\n"
        let header = ["map", "workload", "strategy"] + groups.map { "retained MiB \($0)" } + groups.map { "Go GC ms \($0)" }
        var table: [[String]] = []
        var seen = Set<String>()
        for r in rows {
            let k = r.key
            let id = k.map + "\u{1}" + k.workload + "\u{1}" + k.strategy
            guard seen.insert(id).inserted else { continue }
            let cells = groups.map { g in rows.first { $0.key.map == k.map && $0.key.workload == k.workload
                && $0.key.strategy == k.strategy && $0.sweepLabel(varying: varying) == g } }
            table.append([k.map, k.workload, k.strategy]
                         + cells.map { $0.map { Report.mib($0.headlineHeapInuseBytes) } ?? "—" }
                         + cells.map { $0.map { Report.modelledGCText($0) } ?? "—" })
        }
        md += Report.markdownTable(header: header, rows: table) + "\n"
        md += "## Each point\n\n"
        for f in folders { md += "- [`\(f)`](points/\(f)/REPORT.md)\n" }
        return md
    }
}
