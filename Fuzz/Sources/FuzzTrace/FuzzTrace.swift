// Feeds arbitrary bytes to the map-trace reader behind `trace show` and
// replay: it must either refuse the input with an OpTraceError at an offset
// inside it, or read it to its end record. Any trap is a finding.
import BucketLab

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTrace(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        var reader = try OpTraceReader(bytes: bytes)
        let summary = try OpTraceSummary(reading: &reader)
        precondition(summary.bytes == size, "a complete trace is the whole input")
        _ = summary.text(name: "fuzz")
    } catch let e as OpTraceError {
        precondition(e.offset >= 0 && e.offset <= size, "fault offset \(e.offset) outside \(size) bytes")
    } catch {
        preconditionFailure("unexpected error \(error)")
    }
    return 0
}
