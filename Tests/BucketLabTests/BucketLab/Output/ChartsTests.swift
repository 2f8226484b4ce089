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
}
