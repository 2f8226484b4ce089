// Self-contained SVG charts: no scripts, no external fonts or styles.

enum SVG {
    static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f"]

    static func escape(_ s: String) -> String {
        s.replacingAll("&", "&amp;").replacingAll("<", "&lt;").replacingAll(">", "&gt;").replacingAll("\"", "&quot;")
    }

    static func num(_ v: Double) -> String { formatFixed(v, digits: 1) }

    /// A tidy axis step for `span` split in about `ticks` parts.
    static func niceStep(_ span: Double, ticks: Int = 5) -> Double {
        guard span > 0 else { return 1 }
        let raw = span / Double(ticks)
        var magnitude = 1.0
        while magnitude * 10 <= raw { magnitude *= 10 }
        while magnitude > raw { magnitude /= 10 }
        for m in [1.0, 2.0, 5.0, 10.0] where m * magnitude >= raw { return m * magnitude }
        return 10 * magnitude
    }

    static func label(_ v: Double) -> String {
        v == v.rounded() ? String(Int(v)) : formatFixed(v, digits: abs(v) < 1 ? 2 : 1)
    }

    /// What an axis counts, for its tick labels.
    enum Unit {
        /// Plain counts (operations): 500k, 2M, 1.5G.
        case count
        /// Figures in MiB: 512 KiB, 40 MiB, 1.5 GiB.
        case mebibytes
        /// Figures in milliseconds: 250 ms, 1.5 s.
        case milliseconds
    }

    /// A tick label that fits beside an axis: `2M` rather than `2000000`,
    /// `1.5 GiB` rather than `1536`.
    static func tick(_ v: Double, _ unit: Unit) -> String {
        guard v != 0 else { return "0" }
        switch unit {
        case .count:
            for (scale, suffix) in [(1e9, "G"), (1e6, "M"), (1e3, "k")] where abs(v) >= scale {
                return trimmed(v / scale) + suffix
            }
            return trimmed(v)
        case .mebibytes:
            if abs(v) >= 1024 { return trimmed(v / 1024) + " GiB" }
            if abs(v) < 1 { return trimmed(v * 1024) + " KiB" }
            return trimmed(v) + " MiB"
        case .milliseconds:
            return abs(v) >= 1000 ? trimmed(v / 1000) + " s" : trimmed(v) + " ms"
        }
    }

    /// `v` with at most two decimals and no trailing zeros.
    static func trimmed(_ v: Double) -> String {
        var s = formatFixed(v, digits: 2)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    /// A y-axis title turned upright, centred on `from…to`, in a smaller
    /// font where the chart's 12 px would run past that span (about 6.7 px
    /// a character).
    static func yAxisLabel(_ text: String, x: Double, from: Double, to: Double) -> String {
        let mid = (from + to) / 2, room = to - from
        let size = min(12, max(8, 12 * room / (Double(text.count) * 6.7)))
        let font = size < 12 ? " font-size=\"\(num(size))\"" : ""
        return "<text x=\"\(num(x))\" y=\"\(num(mid))\" text-anchor=\"middle\"\(font) transform=\"rotate(-90 \(num(x)) \(num(mid)))\">\(escape(text))</text>"
    }

    static func frame(width: Int, height: Int, title: String, body: String) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(width / 2)" y="20" text-anchor="middle" font-size="15" font-weight="bold">\(escape(title))</text>
        \(body)</svg>

        """
    }

    static func legend(_ names: [String], x: Int, y: Int) -> String {
        var out = ""
        for (i, n) in names.enumerated() {
            let yy = y + i * 18
            out += "<rect x=\"\(x)\" y=\"\(yy - 10)\" width=\"12\" height=\"12\" fill=\"\(palette[i % palette.count])\"/>"
            out += "<text x=\"\(x + 18)\" y=\"\(yy)\">\(escape(n))</text>\n"
        }
        return out
    }

    /// Small multiples: one panel per series on shared axes, the series in
    /// colour and every other one faint grey behind it, so strategies whose
    /// lines coincide stay readable (one line per strategy on one plot drew
    /// five identical lines as one thick multicoloured band). Y labels on the
    /// first column, x labels on the bottom row.
    static func smallMultiples(title: String, xLabel: String, yLabel: String, xUnit: Unit = .count,
                               yUnit: Unit = .mebibytes,
                               series: [(name: String, points: [(x: Double, y: Double)])]) -> String {
        let n = max(1, series.count)
        let columns = min(3, n), rows = (n + columns - 1) / columns
        let panelW = 250.0, panelH = 150.0, gapX = 40.0, gapY = 46.0, left = 80.0, top = 58.0
        let width = Int(left + Double(columns) * (panelW + gapX)) + 10
        let height = Int(top + Double(rows) * (panelH + gapY)) + 30
        let xs = series.flatMap { $0.points.map(\.x) }, ys = series.flatMap { $0.points.map(\.y) }
        let xMax = max(xs.max() ?? 1, 1), yMax = max(ys.max() ?? 1, 1e-9)
        let xStep = niceStep(xMax, ticks: 3), yStep = niceStep(yMax, ticks: 3)
        // A run ends a few operations past a round count (the settle
        // phases): not worth a whole empty tick.
        let xTop = (xMax / xStep * 0.999).rounded(.up) * xStep, yTop = (yMax / yStep).rounded(.up) * yStep
        var body = ""
        for (i, s) in series.enumerated() {
            let col = i % columns, row = i / columns
            let x0 = left + Double(col) * (panelW + gapX), y0 = top + Double(row) * (panelH + gapY)
            func px(_ x: Double) -> Double { x0 + x / xTop * panelW }
            func py(_ y: Double) -> Double { y0 + panelH - y / yTop * panelH }
            var t = 0.0
            while t <= yTop + yStep / 2 {
                body += "<line x1=\"\(num(x0))\" y1=\"\(num(py(t)))\" x2=\"\(num(x0 + panelW))\" y2=\"\(num(py(t)))\" stroke=\"#e4e4e4\"/>"
                if col == 0 {
                    body += "<text x=\"\(num(x0 - 6))\" y=\"\(num(py(t) + 4))\" text-anchor=\"end\">\(tick(t, yUnit))</text>"
                }
                t += yStep
            }
            if row == rows - 1 || i + columns >= series.count {
                t = 0
                while t <= xTop + xStep / 2 {
                    body += "<text x=\"\(num(px(t)))\" y=\"\(num(y0 + panelH + 16))\" text-anchor=\"middle\">\(tick(t, xUnit))</text>"
                    t += xStep
                }
            }
            body += "<rect x=\"\(num(x0))\" y=\"\(num(y0))\" width=\"\(num(panelW))\" height=\"\(num(panelH))\" fill=\"none\" stroke=\"#999\"/>\n"
            for (j, other) in series.enumerated() where j != i && !other.points.isEmpty {
                let pts = other.points.map { "\(num(px($0.x))),\(num(py($0.y)))" }.joined(separator: " ")
                body += "<polyline fill=\"none\" stroke=\"#c8c8c8\" stroke-width=\"1\" points=\"\(pts)\"/>"
            }
            if !s.points.isEmpty {
                let pts = s.points.map { "\(num(px($0.x))),\(num(py($0.y)))" }.joined(separator: " ")
                body += "<polyline fill=\"none\" stroke=\"\(palette[i % palette.count])\" stroke-width=\"2.2\" points=\"\(pts)\"/>"
            }
            body += "<text x=\"\(num(x0 + 6))\" y=\"\(num(y0 - 6))\" font-weight=\"bold\" fill=\"\(palette[i % palette.count])\">\(escape(s.name))</text>\n"
        }
        let plotBottom = top + Double(rows) * (panelH + gapY) - gapY
        body += "<text x=\"\(num(left + Double(columns) * (panelW + gapX) / 2))\" y=\"\(num(plotBottom + 36))\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        body += "<text x=\"18\" y=\"\(num((top + plotBottom) / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(num((top + plotBottom) / 2)))\">\(escape(yLabel))</text>\n"
        return frame(width: width, height: height, title: title, body: body)
    }

    /// A panel grid's legend on one line under the title: a swatch and a
    /// name per series from `x`, which ends past the last.
    static func legendRow(_ names: [String], x: inout Double) -> String {
        var out = ""
        for (i, name) in names.enumerated() {
            out += "<rect x=\"\(num(x))\" y=\"36\" width=\"12\" height=\"12\" fill=\"\(palette[i % palette.count])\"/>"
            out += "<text x=\"\(num(x + 18))\" y=\"46\">\(escape(name))</text>"
            x += 18 + Double(name.count) * 7 + 24
        }
        return out
    }

    /// A panel's horizontal grid lines and y labels, every `step` up to `top`.
    static func yGrid(x0: Double, width: Double, top: Double, step: Double, unit: Unit, y py: (Double) -> Double) -> String {
        var out = ""
        var t = 0.0
        while t <= top + step / 2 {
            out += "<line x1=\"\(num(x0))\" y1=\"\(num(py(t)))\" x2=\"\(num(x0 + width))\" y2=\"\(num(py(t)))\" stroke=\"#e4e4e4\"/>"
            out += "<text x=\"\(num(x0 - 6))\" y=\"\(num(py(t) + 4))\" text-anchor=\"end\">\(tick(t, unit))</text>"
            t += step
        }
        return out
    }

    /// One panel of `barPanels`: its groups along the x axis, in each a bar
    /// per series the panel has (`series` indexes the chart's series names,
    /// for colour and legend); nil = no bar. `ranges` has the same shape:
    /// a whisker from low to high where given.
    struct BarPanel {
        var title: String
        var row: Int
        var column: Int
        var groups: [String]
        var series: [Int]
        var values: [[Double?]]
        var ranges: [[(low: Double, high: Double)?]]
    }

    /// Small multiples of grouped bars, on a grid of panels at (row, column):
    /// every panel with its own groups and y axis, the panels of one row on
    /// one scale (one workload on each map model side by side), the legend
    /// on top. Each panel holds a handful of groups, so every label stays
    /// readable however many panels there are.
    static func barPanels(title: String, yLabel: String, unit: Unit, seriesNames: [String],
                          whiskerLabel: String?, panels: [BarPanel]) -> String {
        let columns = (panels.map(\.column).max() ?? 0) + 1, rows = (panels.map(\.row).max() ?? 0) + 1
        let left = 78.0, top = 74.0, panelW = 340.0, panelH = 120.0, gapX = 96.0
        let titleH = 22.0, labelsH = 72.0, rowH = titleH + panelH + labelsH
        let width = Int(left + Double(columns) * panelW + Double(columns - 1) * gapX) + 24
        let height = Int(top + Double(rows) * rowH) + 8
        var rowTop = [Double](repeating: 0, count: rows)
        for p in panels {
            let highs = p.values.flatMap { $0.compactMap { $0 } } + p.ranges.flatMap { $0.compactMap { $0?.high } }
            rowTop[p.row] = max(rowTop[p.row], highs.max() ?? 0)
        }
        var body = ""
        // The legend: a swatch per series, then the whisker.
        var lx = left
        body += legendRow(seriesNames, x: &lx)
        if let whiskerLabel {
            body += "<path d=\"M\(num(lx + 6)) 34V50M\(num(lx + 1)) 34H\(num(lx + 11))M\(num(lx + 1)) 50H\(num(lx + 11))\" stroke=\"black\"/>"
            body += "<text x=\"\(num(lx + 18))\" y=\"46\">\(escape(whiskerLabel))</text>"
        }
        body += "\n"
        for p in panels {
            let x0 = left + Double(p.column) * (panelW + gapX), y0 = top + Double(p.row) * rowH + titleH
            let bottom = y0 + panelH
            let step = niceStep(max(rowTop[p.row], 1e-9), ticks: 3)
            let yTop = (max(rowTop[p.row], 1e-9) / step).rounded(.up) * step
            func py(_ v: Double) -> Double { bottom - v / yTop * panelH }
            body += "<text x=\"\(num(x0))\" y=\"\(num(y0 - 8))\" font-weight=\"bold\">\(escape(p.title))</text>"
            body += yGrid(x0: x0, width: panelW, top: yTop, step: step, unit: unit, y: py)
            let groupW = panelW / Double(max(1, p.groups.count))
            let barW = min(14, (groupW - 10) / Double(max(1, p.series.count)))
            for (g, name) in p.groups.enumerated() {
                let center = x0 + (Double(g) + 0.5) * groupW
                let first = center - barW * Double(p.series.count) / 2
                for (k, s) in p.series.enumerated() {
                    let x = first + Double(k) * barW
                    if let v = p.values[g][k] {
                        let y = py(v)
                        body += "<rect x=\"\(num(x))\" y=\"\(num(y))\" width=\"\(num(barW - 1))\" height=\"\(num(max(0, bottom - y)))\" fill=\"\(palette[s % palette.count])\"><title>\(escape("\(p.title) \(name), \(seriesNames[s]): \(label(v))"))</title></rect>"
                    }
                    if let r = p.ranges[g][k], r.high > r.low {
                        let lo = py(r.low), hi = py(r.high), mid = x + (barW - 1) / 2
                        body += "<path d=\"M\(num(mid)) \(num(lo))V\(num(hi))M\(num(mid - 3)) \(num(lo))H\(num(mid + 3))M\(num(mid - 3)) \(num(hi))H\(num(mid + 3))\" stroke=\"black\" stroke-width=\"1\"><title>\(escape("\(p.title) \(name), \(seriesNames[s]): \(label(r.low))–\(label(r.high))"))</title></path>"
                    }
                }
                body += "<text x=\"\(num(center + 4))\" y=\"\(num(bottom + 14))\" text-anchor=\"end\" font-size=\"11\" transform=\"rotate(-30 \(num(center + 4)) \(num(bottom + 14)))\">\(escape(name))</text>"
            }
            body += "<line x1=\"\(num(x0))\" y1=\"\(num(bottom))\" x2=\"\(num(x0 + panelW))\" y2=\"\(num(bottom))\" stroke=\"black\"/>\n"
        }
        body += yAxisLabel(yLabel, x: 16, from: top, to: top + Double(rows) * rowH) + "\n"
        return frame(width: width, height: height, title: title, body: body)
    }

    /// One panel of `linePanels`: a line per series (indexed as the chart's
    /// series names), points in x order.
    struct LinePanel {
        var title: String
        var row: Int
        var column: Int
        var lines: [[(x: Double, y: Double)]]
    }

    /// Small multiples of lines on a grid of panels at (row, column), laid
    /// out as `barPanels`: the panels of one row on one y scale, x shared by
    /// all and labelled by `xTicks` (a log axis passes log10 positions and
    /// "10^5"-style labels).
    static func linePanels(title: String, xLabel: String, yLabel: String, unit: Unit, seriesNames: [String],
                           xTicks: [(x: Double, label: String)], panels: [LinePanel]) -> String {
        let columns = (panels.map(\.column).max() ?? 0) + 1, rows = (panels.map(\.row).max() ?? 0) + 1
        let left = 78.0, top = 74.0, panelW = 340.0, panelH = 120.0, gapX = 96.0
        let titleH = 22.0, labelsH = 40.0, rowH = titleH + panelH + labelsH
        let width = Int(left + Double(columns) * panelW + Double(columns - 1) * gapX) + 24
        let height = Int(top + Double(rows) * rowH) + 24
        let xs = xTicks.map(\.x) + panels.flatMap { $0.lines.flatMap { $0.map(\.x) } }
        let xMin = xs.min() ?? 0, xMax = max(xs.max() ?? 1, (xs.min() ?? 0) + 1e-9)
        var rowTop = [Double](repeating: 0, count: rows)
        for p in panels { rowTop[p.row] = max(rowTop[p.row], p.lines.flatMap { $0.map(\.y) }.max() ?? 0) }
        var body = ""
        var lx = left
        body += legendRow(seriesNames, x: &lx)
        body += "\n"
        for p in panels {
            let x0 = left + Double(p.column) * (panelW + gapX), y0 = top + Double(p.row) * rowH + titleH
            let bottom = y0 + panelH
            let step = niceStep(max(rowTop[p.row], 1e-9), ticks: 3)
            let yTop = (max(rowTop[p.row], 1e-9) / step).rounded(.up) * step
            func px(_ x: Double) -> Double { x0 + 12 + (x - xMin) / (xMax - xMin) * (panelW - 24) }
            func py(_ v: Double) -> Double { bottom - v / yTop * panelH }
            body += "<text x=\"\(num(x0))\" y=\"\(num(y0 - 8))\" font-weight=\"bold\">\(escape(p.title))</text>"
            body += yGrid(x0: x0, width: panelW, top: yTop, step: step, unit: unit, y: py)
            for tk in xTicks {
                body += "<text x=\"\(num(px(tk.x)))\" y=\"\(num(bottom + 16))\" text-anchor=\"middle\" font-size=\"11\">\(escape(tk.label))</text>"
            }
            for (s, line) in p.lines.enumerated() where !line.isEmpty {
                let colour = palette[s % palette.count]
                let pts = line.map { "\(num(px($0.x))),\(num(py($0.y)))" }.joined(separator: " ")
                body += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(pts)\"/>"
                for pt in line {
                    body += "<circle cx=\"\(num(px(pt.x)))\" cy=\"\(num(py(pt.y)))\" r=\"2.5\" fill=\"\(colour)\"><title>\(escape("\(p.title), \(seriesNames[s]): \(label(pt.y))"))</title></circle>"
                }
            }
            body += "<line x1=\"\(num(x0))\" y1=\"\(num(bottom))\" x2=\"\(num(x0 + panelW))\" y2=\"\(num(bottom))\" stroke=\"black\"/>\n"
        }
        body += yAxisLabel(yLabel, x: 16, from: top, to: top + Double(rows) * rowH)
        body += "<text x=\"\(num(left + Double(columns) * (panelW + gapX) / 2))\" y=\"\(height - 6)\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        return frame(width: width, height: height, title: title, body: body)
    }

    /// Grouped bars: one group per label, one bar per series; nil = no bar.
    /// `ranges`, when given, draws each bar's low–high as a whisker (Go's
    /// runs against the median one).
    static func barChart(title: String, yLabel: String, unit: Unit = .mebibytes, groups: [String],
                         seriesNames: [String], values: [[Double?]],
                         ranges: [[(low: Double, high: Double)?]]? = nil, logScale: Bool = false) -> String {
        let groupWidth = Double(max(1, seriesNames.count)) * 12 + 16
        let left = 70.0, top = 40.0, bottom = 330.0
        let right = left + groupWidth * Double(max(1, groups.count))
        let width = Int(right) + 200, height = 450
        let all = values.flatMap { $0.compactMap { $0 } } + (ranges ?? []).flatMap { $0.compactMap { $0?.high } }
        let yMaxRaw = max(all.max() ?? 1, 1e-9)
        var body = ""
        let scale: (Double) -> Double
        var ticks: [Double] = []
        if logScale {
            var hi = 1.0
            while hi < yMaxRaw { hi *= 10 }
            let decades = max(1, log10(hi))
            scale = { v in bottom - log10(max(v, 1)) / decades * (bottom - top) }
            var t = 1.0
            while t <= hi { ticks.append(t); t *= 10 }
        } else {
            let step = niceStep(yMaxRaw)
            let yTop = (yMaxRaw / step).rounded(.up) * step
            scale = { v in bottom - v / yTop * (bottom - top) }
            var t = 0.0
            while t <= yTop + step / 2 { ticks.append(t); t += step }
        }
        for t in ticks {
            body += "<line x1=\"\(num(left))\" y1=\"\(num(scale(t)))\" x2=\"\(num(right))\" y2=\"\(num(scale(t)))\" stroke=\"#ddd\"/>"
            body += "<text x=\"\(num(left - 6))\" y=\"\(num(scale(t) + 4))\" text-anchor=\"end\">\(tick(t, unit))</text>\n"
        }
        for (g, name) in groups.enumerated() {
            let gx = left + Double(g) * groupWidth + 8
            for (s, v) in values[g].enumerated() {
                guard let v else { continue }
                let x = gx + Double(s) * 12, y = scale(v)
                body += "<rect x=\"\(num(x))\" y=\"\(num(y))\" width=\"10\" height=\"\(num(max(0, bottom - y)))\" fill=\"\(palette[s % palette.count])\"><title>\(escape("\(name) \(seriesNames[s]): \(label(v))"))</title></rect>"
                if let r = ranges?[g][s], r.high > r.low {
                    let lo = scale(r.low), hi = scale(r.high), mid = x + 5
                    body += "<path d=\"M\(num(mid)) \(num(lo))V\(num(hi))M\(num(x + 1)) \(num(lo))H\(num(x + 9))M\(num(x + 1)) \(num(hi))H\(num(x + 9))\" stroke=\"black\" stroke-width=\"1\"><title>\(escape("\(name) \(seriesNames[s]): \(label(r.low))–\(label(r.high))"))</title></path>"
                }
            }
            let cx = gx + Double(seriesNames.count) * 6
            body += "<text x=\"\(num(cx))\" y=\"\(num(bottom + 12))\" text-anchor=\"end\" transform=\"rotate(-35 \(num(cx)) \(num(bottom + 12)))\">\(escape(name))</text>\n"
        }
        body += "<line x1=\"\(num(left))\" y1=\"\(num(bottom))\" x2=\"\(num(right))\" y2=\"\(num(bottom))\" stroke=\"black\"/>"
        body += "<text x=\"16\" y=\"\(num((top + bottom) / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(num((top + bottom) / 2)))\">\(escape(yLabel + (logScale ? " (log)" : "")))</text>\n"
        body += legend(seriesNames, x: Int(right) + 20, y: Int(top) + 10)
        return frame(width: width, height: height, title: title, body: body)
    }
}

extension String {
    func replacingAll(_ target: String, _ replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound] + replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

extension Substring {
    func range(of target: String) -> Range<Substring.Index>? {
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(target) { return i..<index(i, offsetBy: target.count) }
            i = index(after: i)
        }
        return nil
    }
}

#if canImport(Glibc)
import Glibc
#endif
