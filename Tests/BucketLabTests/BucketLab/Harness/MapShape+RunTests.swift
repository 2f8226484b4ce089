import Foundation
import Testing
@testable import BucketLab
@testable import LabHeap
@testable import LabMaps

/// Map shapes of workload files (MapShape+Run.swift): the raw entry points
/// give what the fast paths give, and each shape holds what Go's map of it
/// holds — out-of-line keys and values, strings of many lengths, pointer
/// words in struct values, several maps.
@Suite struct MapShapeRunTests {
    /// Every built-in (the three fast shapes) run through the raw entry
    /// points instead: the same memory columns, row for row.
    /// The maps only: a sync.Map's raw entry point hands out the value's
    /// storage before the value is known, so it boxes every number where
    /// the word path puts those below 256 in Go's static table.
    @Test(arguments: MapModels.defaultNames)
    func theRawEntryPointsGiveWhatTheFastPathsGive(map: String) throws {
        let config = try SuiteConfig(strategies: Strategy.parseList("go"), mapModels: [map], keys: 3_000, seed: 7,
                                     samples: 3, pprof: .none)
        var compared = 0
        for cell in Suite.cells(config, runID: "shaped") {
            let fast = try Suite.run(cell, config: config, progress: nil, shaped: false)
            let raw = try Suite.run(cell, config: config, progress: nil, shaped: true)
            for (file, a, b) in [("phases", PhaseRow.csv(fast.phases), PhaseRow.csv(raw.phases)),
                                 ("samples", SampleRow.csv(fast.samples), SampleRow.csv(raw.samples)),
                                 ("heap", HeapClassRow.csv(fast.heap), HeapClassRow.csv(raw.heap))] {
                let (x, y) = (WorkloadFileTests.memoryColumns(a), WorkloadFileTests.memoryColumns(b))
                #expect(x.count == y.count, "\(file): \(cell.key.cellName)")
                if let d = zip(x, y).first(where: { $0 != $1 }) {
                    Issue.record("\(file): \(cell.key.cellName): fast \(d.0.joined(separator: ",")) raw \(d.1.joined(separator: ","))")
                }
            }
            compared += 1
        }
        #expect(compared == Workload.allCases.count)
    }

    static func run(_ text: String, map: String, keys: Int = 4_000) throws -> CellResult {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shape-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("w.json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let w = try Workload.load(file: path)
        let config = try SuiteConfig(workloads: [w], strategies: Strategy.parseList("go"), mapModels: [map], keys: keys,
                                     seed: 3, samples: 2, pprof: .none)
        try w.validate(config.sizes)
        return try Suite.run(Suite.cells(config, runID: "shape")[0], config: config)
    }

    static func file(_ shape: String, _ phases: String) -> String {
        """
        {"format": "bucketlab-workload/1", "name": "shape", "map": \(shape), "headline": "filled", "settle": false,
         "phases": \(phases)}
        """
    }

    static let fillDrain = """
        [{"name": "filled", "steps": [{"op": "insert", "count": "keys"}]},
         {"name": "drained", "steps": [{"op": "delete", "count": "0.75 keys"}]}]
        """

    /// Objects of the size class of `bytes` at the end of `phase`.
    static func objects(_ r: CellResult, _ phase: String, bytes: Int) -> Int {
        let c = SizeClasses.classIndex(forSize: bytes)
        return r.heap.filter { $0.phase == phase && $0.sizeClass == c }.reduce(0) { $0 + $1.objects }
    }

    static func phase(_ r: CellResult, _ name: String) -> RunMeasurement {
        r.phases.first { $0.phase == name }!.measurement
    }

    /// `[200]byte` keys are out of line (one 208-byte object per key, freed
    /// on delete); `[16]byte` keys are in the slots.
    @Test(arguments: MapModels.names)
    func byteKeysOverGos128ByteLimitAreObjectsOfTheirOwn(map: String) throws {
        let r = try Self.run(Self.file(#"{"key": {"kind": "bytes", "bytes": 200}, "value": "uint64"}"#, Self.fillDrain), map: map)
        #expect(Self.objects(r, "filled", bytes: 200) == 4_000)
        // Go 1.19's sync.Map keeps deleted keys in its read map for a generation.
        if map != SyncMap119.modelName { #expect(Self.objects(r, "drained", bytes: 200) == 1_000) }
        #expect(Self.phase(r, "filled").liveBytes == 4_000 * (8 + 8 + 200))
        let inline = try Self.run(Self.file(#"{"key": {"kind": "bytes", "bytes": 16}, "value": "uint64"}"#, Self.fillDrain), map: map)
        #expect(Self.phase(inline, "filled").liveBytes == 4_000 * (16 + 8))
        #expect(Self.phase(inline, "drained").liveKeys == 1_000)
        // The slots are twice a uint64 key's: the storage holds more.
        let words = try Self.run(Self.file(#"{"key": "uint64", "value": "uint64"}"#, Self.fillDrain), map: map)
        #expect(Self.phase(inline, "filled").bucketBytes > Self.phase(words, "filled").bucketBytes)
    }

    /// A struct value with a pointer word: each points to a payload the map
    /// keeps alive, freed when its key is deleted; without pointer words
    /// there are no payloads; over 128 bytes the value is an object.
    @Test(arguments: MapModels.names)
    func structValuesKeepWhatTheirPointerWordsPointTo(map: String) throws {
        let two = try Self.run(Self.file(#"{"key": "uint64", "value": {"kind": "struct", "bytes": 24, "pointers": [0, 2], "payload": 80}}"#,
                                         Self.fillDrain), map: map)
        #expect(Self.objects(two, "filled", bytes: 80) == 2 * 4_000)
        #expect(Self.objects(two, "drained", bytes: 80) == 2 * 1_000)
        #expect(Self.phase(two, "filled").liveBytes == 4_000 * (8 + 24 + 2 * 80))
        let nilPointers = try Self.run(Self.file(#"{"key": "uint64", "value": {"kind": "struct", "bytes": 24, "pointers": [1], "payload": 0}}"#,
                                                 Self.fillDrain), map: map)
        #expect(Self.objects(nilPointers, "filled", bytes: 80) == 0)
        #expect(Self.phase(nilPointers, "filled").liveBytes == 4_000 * (8 + 24))
        let big = try Self.run(Self.file(#"{"key": "uint64", "value": {"kind": "struct", "bytes": 256}}"#, Self.fillDrain), map: map)
        #expect(Self.objects(big, "filled", bytes: 256) == 4_000)
        #expect(Self.objects(big, "drained", bytes: 256) == 1_000)
    }

    /// String lengths drawn per key: several size classes, the same draw for
    /// a key every time (a re-insert keeps its length), live bytes their sum.
    /// The maps only: ~975 payload sizes are ~975 payload types, and a
    /// sync.Map model's own ~16 types would pass the heap's 1024.
    @Test(arguments: MapModels.defaultNames)
    func stringLengthsAndPayloadSizesFollowTheirDistributions(map: String) throws {
        let shape = #"{"key": {"kind": "string", "bytes": {"min": 16, "max": 200}}, "value": {"kind": "pointer", "bytes": {"min": 8, "max": 1000}}}"#
        let phases = """
            [{"name": "filled", "steps": [{"op": "insert", "count": "keys"}]},
             {"name": "redone", "steps": [{"op": "delete", "count": "keys"}, {"op": "insert", "count": "keys", "first": 0}]}]
            """
        let r = try Self.run(Self.file(shape, phases), map: map)
        let filled = Self.phase(r, "filled"), redone = Self.phase(r, "redone")
        #expect(filled.liveBytes == redone.liveBytes, "the same keys, the same lengths and sizes")
        let classes = Set(r.heap.filter { $0.phase == "filled" && $0.objects > 0 }.map(\.sizeClass))
        #expect(classes.count > 20, "strings of 16…200 and payloads of 8…1000 bytes fill many classes")
        // Mean string ≈ 108 bytes, mean payload ≈ 504: far above the
        // smallest of each.
        #expect(filled.liveBytes > 4_000 * (24 + 100 + 450) && filled.liveBytes < 4_000 * (24 + 130 + 560))
        let again = try Self.run(Self.file(shape, phases), map: map)
        #expect(WorkloadFileTests.memoryColumns(PhaseRow.csv(r.phases)) == WorkloadFileTests.memoryColumns(PhaseRow.csv(again.phases)))
    }

    /// `map[string]uint64`: keys are objects, values the indices; iterating
    /// and deleting what it visits finds each key's index from its string.
    @Test(arguments: MapModels.names)
    func stringKeysWithWordValues(map: String) throws {
        let phases = """
            [{"name": "filled", "steps": [{"op": "insert", "count": "keys"}]},
             {"name": "visited", "steps": [{"op": "iterate", "count": "keys / 2", "delete_visited": true},
                                           {"op": "lookup", "count": "keys", "hit": 1}]}]
            """
        let r = try Self.run(Self.file(#"{"key": {"kind": "string", "bytes": 20}, "value": "uint64"}"#, phases), map: map)
        #expect(Self.phase(r, "filled").liveBytes == 4_000 * (16 + 8 + 24))
        #expect(Self.phase(r, "visited").liveKeys == 2_000)
        if map != SyncMap119.modelName {  // which keeps deleted keys for a generation
            #expect(Self.objects(r, "filled", bytes: 20) - Self.objects(r, "visited", bytes: 20) == 2_000,
                    "the visited keys' strings were deleted and freed")
        }
    }

    /// Sixteen maps: keys spread by k mod 16, every map made with the hint,
    /// `slots` the sum, and clear / rebuild / drop acting on all.
    @Test(arguments: MapModels.names)
    func keysSpreadOverSeveralMaps(map: String) throws {
        let phases = """
            [{"name": "filled", "steps": [{"op": "insert", "count": "keys"}]},
             {"name": "held", "steps": [{"op": "iterate", "count": "keys / 3", "hold": "it"}, {"op": "delete", "count": "keys"}]},
             {"name": "released", "steps": [{"op": "release", "name": "it"}]},
             {"name": "refilled", "steps": [{"op": "insert", "count": "threshold(keys) - keys"}]},
             {"name": "cleared", "steps": [{"op": "clear"}]},
             {"name": "rebuilt", "steps": [{"op": "rebuild"}, {"op": "insert", "count": 160}]}]
            """
        let one = try Self.run(Self.file(#"{"key": "uint64", "value": "pointer"}"#, phases), map: map)
        let sixteen = try Self.run(Self.file(#"{"key": "uint64", "value": "pointer", "maps": 16}"#, phases), map: map)
        let filled = Self.phase(sixteen, "filled")
        #expect(filled.liveKeys == 4_000)
        #expect(filled.liveBytes == Self.phase(one, "filled").liveBytes)
        // Sixteen headers and sixteen storages, each sized for its share
        // (a hash-trie has no slots).
        if map != SyncTrie.modelName { #expect(filled.slotCapacity >= 4_000) }
        #expect(Self.phase(sixteen, "held").liveKeys == 0)
        #expect(Self.phase(sixteen, "held").bucketBytes > 0, "the held iterator and the emptied maps keep storage")
        #expect(Self.phase(sixteen, "cleared").liveKeys == 0)
        #expect(Self.phase(sixteen, "rebuilt").liveKeys == 160)
        #expect(Self.phase(sixteen, "rebuilt").bucketBytes < Self.phase(sixteen, "filled").bucketBytes)
    }

    /// Shapes that cannot be, refused with the JSON path.
    @Test func badShapesNameTheirField() {
        func error(_ shape: String) -> String {
            do {
                _ = try WorkloadSpec.decode(Data(Self.file(shape, Self.fillDrain).utf8), file: "W.json")
                return "ok"
            } catch { return "\(error)" }
        }
        #expect(error(#"{"key": {"kind": "bytes", "bytes": 4}, "value": "uint64"}"#) == "W.json: map.key.bytes: must be 8…1024")
        #expect(error(#"{"key": {"kind": "bytes"}, "value": "uint64"}"#).hasPrefix("W.json: map.key.kind: a [N]byte key needs"))
        #expect(error(#"{"key": {"kind": "bytes", "bytes": {"min": 8, "max": 16}}, "value": "uint64"}"#) == "W.json: map.key.bytes: a [N]byte key has one size")
        #expect(error(#"{"key": {"kind": "string", "bytes": {"min": 40, "max": 20}}, "value": "uint64"}"#) == "W.json: map.key.bytes.max: must not be below min (40)")
        #expect(error(#"{"key": {"kind": "string", "bytes": {"min": 4, "max": 20}}, "value": "uint64"}"#) == "W.json: map.key.bytes.min: must be 16…1024")
        #expect(error(#"{"key": {"kind": "string", "bytes": {"min": 16, "mean": 20}}, "value": "uint64"}"#).hasPrefix("W.json: map.key.bytes.mean: unknown field"))
        #expect(error(#"{"key": {"kind": "string", "bytes": {"min": 16, "max": 20}, "sprintf": true}, "value": "uint64"}"#).hasPrefix("W.json: map.key.sprintf: only 16-byte"))
        #expect(error(#"{"key": "uint64", "value": {"kind": "struct", "bytes": 20}}"#) == "W.json: map.value.bytes: must be 8…1024 and a multiple of 8")
        #expect(error(#"{"key": "uint64", "value": {"kind": "struct", "bytes": 48, "pointers": [6]}}"#) == "W.json: map.value.pointers: word 6 is outside a 48-byte struct (words 0…5)")
        #expect(error(#"{"key": "uint64", "value": {"kind": "struct", "bytes": 48, "pointers": [1, 1]}}"#) == "W.json: map.value.pointers: lists a word twice")
        #expect(error(#"{"key": "uint64", "value": {"kind": "struct", "bytes": 48, "payload": 64}}"#) == "W.json: map.value.payload: the struct has no pointer words")
        #expect(error(#"{"key": "uint64", "value": {"kind": "struct", "bytes": 48, "pointers": [0], "payload": 3}}"#).hasPrefix("W.json: map.value.payload: must be 0 (nil pointers) or 8…"))
        #expect(error(#"{"key": "uint64", "value": {"kind": "pointer", "bytes": {"min": 8, "max": 99999999}}}"#).hasPrefix("W.json: map.value.bytes.max: must be 8…"))
        #expect(error(#"{"key": "uint64", "value": {"kind": "uint64", "bytes": 8}}"#) == "W.json: map.value.bytes: a uint64 value has no bytes")
        #expect(error(#"{"key": "uint64", "value": "uint64", "maps": 0}"#) == "W.json: map.maps: must be 1…65536")
        #expect(error(#"{"key": "uint64", "value": "struct"}"#).hasPrefix("W.json: map.value: must be"))
        #expect(error(#"{"key": {"kind": "bytes", "bytes": 16}, "value": {"kind": "struct", "bytes": 48, "pointers": [0, 5], "payload": 64}, "maps": 4}"#) == "ok")
    }

    /// New shapes survive `workload show`'s encoding.
    @Test func shapesRoundTripThroughJSON() throws {
        for shape in [#"{"key": {"kind": "bytes", "bytes": 16}, "value": {"kind": "struct", "bytes": 48, "pointers": [0, 5], "payload": 64}, "maps": 4}"#,
                      #"{"key": {"kind": "string", "bytes": {"min": 16, "max": 64}}, "value": {"kind": "pointer", "bytes": {"min": 8, "max": 100}}}"#,
                      #"{"key": "string", "value": "uint64"}"#] {
            let spec = try WorkloadSpec.decode(Data(Self.file(shape, Self.fillDrain).utf8), file: "W.json")
            #expect(try WorkloadSpec.decode(Data(spec.json.utf8), file: "W.json") == spec)
        }
    }
}
