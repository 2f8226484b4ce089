import Foundation
import Testing
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps
@testable import LabCollector

@Suite struct CSVReaderTests {
    @Test func csvRoundTripsAwkwardFields() throws {
        var t = CSVTable(header: ["a", "b", "c"])
        t.append(["plain", "with,comma", "with \"quotes\""])
        t.append(["multi\nline", "", "x"])
        // Found by the CSV fuzzer: "\r\n" is one Character and was not quoted.
        t.append(["crlf\r\ninside", "\r\n", "\"\r\n\""])
        t.append(["\"\u{301}combining", "e\u{301}", ","])
        let doc = try CSVDocument(text: t.text, name: "t")
        #expect(doc.header == ["a", "b", "c"])
        #expect(doc.rows == [["plain", "with,comma", "with \"quotes\""], ["multi\nline", "", "x"],
                             ["crlf\r\ninside", "\r\n", "\"\r\n\""], ["\"\u{301}combining", "e\u{301}", ","]])
    }

    @Test(arguments: [
        ("", "empty"),
        ("a,b\r\n1,2\r\n3\r\n", "fields"),
        ("a,b\r\n\"1,2\r\n", "unterminated"),
        ("a,b\r\n1\"x\",2\r\n", "quote"),
        ("a,b\r\n1,2,3\r\n", "fields"),
        // Found by the CSV fuzzer: a bare CR and a control character inside
        // quotes were accepted, then the rewritten file was refused.
        ("\r\"\u{1}\"", "carriage return"),
        ("a\r\n\"\u{1}\"\r\n", "control character"),
        ("a,b\r\n\"1\"x,2\r\n", "after a closing quote"),
    ])
    func malformedCSVIsRefused(text: String, fault: String) {
        #expect(throws: CSVError.self) { try CSVDocument(text: text, name: "bad.csv") }
        do { _ = try CSVDocument(text: text, name: "bad.csv") } catch {
            #expect("\(error)".contains(fault) && "\(error)".hasPrefix("bad.csv"))
        }
    }
}
