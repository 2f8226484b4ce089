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

    /// One line per series over a shared x axis.
    static func lineChart(title: String, xLabel: String, yLabel: String,
                          series: [(name: String, points: [(x: Double, y: Double)])]) -> String {
        let width = 760, height = 420, left = 70.0, right = 600.0, top = 40.0, bottom = 360.0
        let xs = series.flatMap { $0.points.map(\.x) }, ys = series.flatMap { $0.points.map(\.y) }
        let xMax = max(xs.max() ?? 1, 1), yMax = max(ys.max() ?? 1, 1e-9)
        let xStep = niceStep(xMax), yStep = niceStep(yMax)
        let xTop = (xMax / xStep).rounded(.up) * xStep, yTop = (yMax / yStep).rounded(.up) * yStep
        func px(_ x: Double) -> Double { left + x / xTop * (right - left) }
        func py(_ y: Double) -> Double { bottom - y / yTop * (bottom - top) }
        var body = ""
        var t = 0.0
        while t <= yTop + yStep / 2 {
            body += "<line x1=\"\(num(left))\" y1=\"\(num(py(t)))\" x2=\"\(num(right))\" y2=\"\(num(py(t)))\" stroke=\"#ddd\"/>"
            body += "<text x=\"\(num(left - 6))\" y=\"\(num(py(t) + 4))\" text-anchor=\"end\">\(label(t))</text>\n"
            t += yStep
        }
        t = 0
        while t <= xTop + xStep / 2 {
            body += "<text x=\"\(num(px(t)))\" y=\"\(num(bottom + 16))\" text-anchor=\"middle\">\(label(t))</text>\n"
            t += xStep
        }
        body += "<line x1=\"\(num(left))\" y1=\"\(num(bottom))\" x2=\"\(num(right))\" y2=\"\(num(bottom))\" stroke=\"black\"/>"
        body += "<line x1=\"\(num(left))\" y1=\"\(num(top))\" x2=\"\(num(left))\" y2=\"\(num(bottom))\" stroke=\"black\"/>\n"
        body += "<text x=\"\(num((left + right) / 2))\" y=\"\(num(bottom + 36))\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        body += "<text x=\"16\" y=\"\(num((top + bottom) / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(num((top + bottom) / 2)))\">\(escape(yLabel))</text>\n"
        // Earlier series are drawn wider, so identical lines stay visible.
        for (i, s) in series.enumerated() where !s.points.isEmpty {
            let pts = s.points.map { "\(num(px($0.x))),\(num(py($0.y)))" }.joined(separator: " ")
            let width = 1.5 + 1.5 * Double(series.count - 1 - i)
            body += "<polyline fill=\"none\" stroke=\"\(palette[i % palette.count])\" stroke-width=\"\(num(width))\" stroke-opacity=\"0.85\" points=\"\(pts)\"/>\n"
        }
        body += legend(series.map(\.name), x: Int(right) + 20, y: Int(top) + 10)
        return frame(width: width, height: height, title: title, body: body)
    }

    /// Grouped bars: one group per label, one bar per series; nil = no bar.
    static func barChart(title: String, yLabel: String, groups: [String], seriesNames: [String],
                         values: [[Double?]], logScale: Bool = false) -> String {
        let groupWidth = Double(max(1, seriesNames.count)) * 12 + 16
        let left = 70.0, top = 40.0, bottom = 330.0
        let right = left + groupWidth * Double(max(1, groups.count))
        let width = Int(right) + 200, height = 450
        let all = values.flatMap { $0.compactMap { $0 } }
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
            body += "<text x=\"\(num(left - 6))\" y=\"\(num(scale(t) + 4))\" text-anchor=\"end\">\(label(t))</text>\n"
        }
        for (g, name) in groups.enumerated() {
            let gx = left + Double(g) * groupWidth + 8
            for (s, v) in values[g].enumerated() {
                guard let v else { continue }
                let x = gx + Double(s) * 12, y = scale(v)
                body += "<rect x=\"\(num(x))\" y=\"\(num(y))\" width=\"10\" height=\"\(num(max(0, bottom - y)))\" fill=\"\(palette[s % palette.count])\"><title>\(escape("\(name) \(seriesNames[s]): \(label(v))"))</title></rect>"
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
