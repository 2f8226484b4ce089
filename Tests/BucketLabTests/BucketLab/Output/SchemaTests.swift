import Foundation
import Testing
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

@Suite struct SchemaTests {
    @Test func summariesWithBadNumbersAreRefused() throws {
        let dir = temporaryDirectory()
        try smallSuite.write(to: dir)
        var text = try #require(readTextFile(dir + "/summary.csv"))
        text = text.replacingOccurrences(of: "classic,fill-drain,go,6000,", with: "classic,fill-drain,go,many,")
        try text.write(toFile: dir + "/summary.csv", atomically: true, encoding: .utf8)
        #expect(throws: CSVError.self) { try ResultSet(directory: dir) }
    }
}
