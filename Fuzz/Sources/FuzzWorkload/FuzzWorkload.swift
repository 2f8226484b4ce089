// Feeds arbitrary bytes to the workload-file parser behind --workload-file:
// it must refuse the input with a WorkloadFileError naming a JSON path, or
// decode a spec that writes back and decodes again to the same spec and
// validates (or is refused) at a small size. Any trap is a finding.
import BucketLab
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWorkload(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    let spec: WorkloadSpec
    do {
        spec = try WorkloadSpec.decode(bytes, file: "fuzz.json")
    } catch let e as WorkloadFileError {
        precondition(e.description.hasPrefix("fuzz.json: "), "an error that does not name the file")
        return 0
    } catch {
        preconditionFailure("not a WorkloadFileError: \(error)")
    }
    let again = try! WorkloadSpec.decode(Data(spec.json.utf8), file: "rewritten.json")
    precondition(again == spec, "a workload file does not round-trip")
    // Phase names, headline and static counts at a small size.
    let w = try! Workload.fromSpec(spec)
    for keys in [1, 1000] {
        _ = try? w.validate(WorkloadSizes(keys: keys, window: max(1, keys / 10), bursts: 4))
    }
    return 0
}
