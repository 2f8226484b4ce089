// Feeds arbitrary bytes to the CSV reader behind `plot` and `compare`: it must
// either refuse the input with a CSVError or parse it into rows that write
// back and parse again to the same rows. Any trap is a finding.
import BucketLab

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? ResultSet.parseSummaries(text, name: "fuzz.csv")
    guard let doc = try? CSVDocument(text: text, name: "fuzz.csv") else { return 0 }
    var table = CSVTable(header: doc.header)
    for row in doc.rows { table.append(row) }
    let again = try! CSVDocument(text: table.text, name: "rewritten.csv")
    precondition(again.header == doc.header && again.rows == doc.rows, "CSV does not round-trip")
    return 0
}
