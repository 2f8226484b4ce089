import Testing
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

@Suite struct SizeClassesTests {
    @Test func tableMatchesGo119() throws {
        let lines = try fixture("go119-sizeclasses.csv").split(whereSeparator: \.isNewline).dropFirst()
        #expect(lines.count == 67)
        #expect(SizeClasses.count == 68)
        #expect(SizeClasses.spanClassCount == 136)
        for line in lines {
            let f = line.split(separator: ",").map { Int($0)! }
            let c = SizeClasses.all[f[0]]
            #expect(c.index == f[0])
            #expect(c.size == f[1], "class \(f[0]) size")
            #expect(c.spanBytes == f[2], "class \(f[0]) span bytes")
            #expect(c.objectsPerSpan == f[3], "class \(f[0]) objects")
        }
    }

    @Test func namedClasses() {
        let c5 = SizeClasses.all[5], c11 = SizeClasses.all[11], c67 = SizeClasses.all[67]
        #expect((c5.size, c5.spanBytes, c5.objectsPerSpan) == (48, 8192, 170))
        #expect((c11.size, c11.spanBytes, c11.objectsPerSpan, c11.tailWaste) == (144, 8192, 56, 128))
        #expect((c67.size, c67.spanBytes, c67.objectsPerSpan) == (32768, 32768, 1))
    }

    @Test func everySizeMapsToTheSmallestClassThatFits() {
        var expected = 1
        for size in 1...maxSmallSize {
            while SizeClasses.all[expected].size < size { expected += 1 }
            let got = SizeClasses.classIndex(forSize: size)
            if got != expected {
                Issue.record("size \(size) → class \(got), expected \(expected)")
                return
            }
        }
        #expect(SizeClasses.classIndex(forSize: maxSmallSize + 1) == 0)
        #expect(SizeClasses.classIndex(forSize: 1 << 30) == 0)
    }

    @Test func everyClassRoundTrips() {
        for c in SizeClasses.all.dropFirst() {
            #expect(SizeClasses.classIndex(forSize: c.size) == c.index)
            if c.index < 67 { #expect(SizeClasses.classIndex(forSize: c.size + 1) == c.index + 1) }
            #expect(c.tailWaste >= 0 && c.tailWaste <= c.spanBytes / 8, "Go's 1/8 tail-waste rule, class \(c.index)")
            #expect(c.size % 8 == 0)
        }
    }

    /// `offset * divMul >> 32` must equal `offset / size` everywhere in a span,
    /// or interior pointers would find the wrong object.
    @Test func divMulIsExactForEveryOffset() {
        for c in SizeClasses.all.dropFirst() {
            let divMul = UInt64(UInt32.max / UInt32(c.size) &+ 1)
            for offset in 0..<c.spanBytes {
                let fast = Int((UInt64(offset) * divMul) >> 32)
                if fast != offset / c.size {
                    Issue.record("class \(c.index): offset \(offset) → \(fast), expected \(offset / c.size)")
                    break
                }
            }
        }
    }

    @Test func spanClassPacksClassAndNoscan() {
        for c in 0..<SizeClasses.count {
            for noscan in [false, true] {
                let sc = SpanClass(sizeClass: c, noscan: noscan)
                #expect(sc.sizeClass == c && sc.noscan == noscan && sc.isLarge == (c == 0))
            }
        }
    }

    @Test func maxWasteMatchesGoComment() {
        // Go's sizeclasses.go: class 1 87.50%, class 5 31.52%, class 67 12.50%.
        #expect(formatFixed(SizeClasses.maxWaste(SizeClasses.all[1]) * 100, digits: 2) == "87.50")
        #expect(formatFixed(SizeClasses.maxWaste(SizeClasses.all[5]) * 100, digits: 2) == "31.52")
        #expect(formatFixed(SizeClasses.maxWaste(SizeClasses.all[67]) * 100, digits: 2) == "12.50")
    }
}
