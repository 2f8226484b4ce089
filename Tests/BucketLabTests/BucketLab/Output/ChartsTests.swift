import Foundation
import Testing
@testable import BucketLab

@Suite struct ChartsTests {
    /// Ticks as a reader says them: counts in k/M/G, MiB figures in
    /// KiB/MiB/GiB, milliseconds in ms/s.
    @Test(arguments: [
        (2_000_000.0, SVG.Unit.count, "2M"), (500_000, .count, "500k"), (1_500_000, .count, "1.5M"),
        (1_250_000, .count, "1.25M"), (750, .count, "750"), (3e9, .count, "3G"), (0, .count, "0"),
        (1536, .mebibytes, "1.5 GiB"), (40, .mebibytes, "40 MiB"), (0.5, .mebibytes, "512 KiB"),
        (2.5, .mebibytes, "2.5 MiB"), (1500, .milliseconds, "1.5 s"), (250, .milliseconds, "250 ms"),
    ])
    func ticksAreCompact(value: Double, unit: SVG.Unit, expected: String) {
        #expect(SVG.tick(value, unit) == expected)
    }

    /// A run of two million operations: the x axis reads 1M, 2M.
    @Test func overTheRunChartsLabelOperationsCompactly() {
        let points = stride(from: 0.0, through: 2_000_000, by: 100_000).map { (x: $0, y: 1 + $0 / 1e6) }
        let svg = SVG.smallMultiples(title: "t", xLabel: "operations", yLabel: "heap in use",
                                     series: [("go", points), ("shrink", points)])
        #expect(svg.contains(">2M</text>") && svg.contains(">1M</text>"))
        #expect(svg.contains(">2 MiB</text>"))
        #expect(!svg.contains("2000000"))
    }

    /// Panels sit on a grid of fixed-size cells: however many workloads, the
    /// chart is as wide as its columns, and every group keeps its label.
    @Test func barPanelsStayReadableAtAnyCount() {
        func panels(_ workloads: Int) -> [SVG.BarPanel] {
            (0..<workloads).flatMap { w in
                (0..<2).map { m in
                    SVG.BarPanel(title: "w\(w) m\(m)", row: w, column: m, groups: ["peak", "drained", "idle"],
                                 series: [0, 1 + m], values: [[10, 11], [5, 6], [5, nil]],
                                 ranges: [[nil, (low: 10.5, high: 11.5)], [nil, nil], [nil, nil]])
                }
            }
        }
        func width(_ svg: String) -> Int? {
            svg.split(separator: "\"").dropFirst(3).first.flatMap { Int($0) }
        }
        let few = SVG.barPanels(title: "t", yLabel: "y", unit: .mebibytes, seriesNames: ["lab", "go a", "go b"],
                                whiskerLabel: "runs", panels: panels(2))
        let many = SVG.barPanels(title: "t", yLabel: "y", unit: .mebibytes, seriesNames: ["lab", "go a", "go b"],
                                 whiskerLabel: "runs", panels: panels(13))
        #expect(width(few) != nil && width(few) == width(many) && width(many)! < 1000)
        #expect(many.contains(">w12 m1</text>") && many.components(separatedBy: ">drained</text>").count == 26 + 1)
        #expect(many.contains("w3 m0 peak, go a: 10.5–11.5"), "the whisker over Go's runs")
        #expect(!many.contains("w3 m0 idle, go a:"), "no bar where there is no figure")
    }
}
