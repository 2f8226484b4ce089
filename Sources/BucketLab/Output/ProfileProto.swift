// The few messages of pprof's profile.proto that a heap profile uses,
// encoded by hand (the schema: github.com/google/pprof, proto/profile.proto).
// Why not a protobuf package: none is among the packages this project may
// resolve, and a profile needs six messages and two wire types — varints
// and length-delimited fields — which fit in this file. See HeapProfile.swift.

/// Protocol-buffer wire format, writing only.
struct ProtoWriter {
    private(set) var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// A varint field (wire type 0); zero is the default and is left out.
    mutating func field(_ number: Int, _ value: UInt64) {
        guard value != 0 else { return }
        varint(UInt64(number << 3))
        varint(value)
    }

    mutating func field(_ number: Int, int value: Int64) {
        field(number, UInt64(bitPattern: value))
    }

    /// A length-delimited field (wire type 2): bytes, a string, a message.
    mutating func field(_ number: Int, bytes payload: [UInt8]) {
        varint(UInt64(number << 3 | 2))
        varint(UInt64(payload.count))
        bytes += payload
    }

    mutating func field(_ number: Int, string: String) {
        field(number, bytes: Array(string.utf8))
    }

    mutating func message(_ number: Int, _ build: (inout ProtoWriter) -> Void) {
        var inner = ProtoWriter()
        build(&inner)
        field(number, bytes: inner.bytes)
    }

    /// A packed repeated varint field.
    mutating func packed(_ number: Int, _ values: [UInt64]) {
        guard !values.isEmpty else { return }
        var inner = ProtoWriter()
        for v in values { inner.varint(v) }
        field(number, bytes: inner.bytes)
    }
}

/// A profile.proto `Profile`, built up by string and then encoded.
struct PprofProfile {
    struct Label {
        var key: String
        var text: String?
        var number: Int64?
        var unit: String?
    }

    struct Sample {
        /// Function names, leaf first (one location and function each).
        var stack: [String]
        var values: [Int64]
        var labels: [Label]
    }

    var sampleTypes: [(type: String, unit: String)]
    var defaultSampleType: String?
    var periodType: (type: String, unit: String)
    var period: Int64
    var timeNanos: Int64 = 0
    /// The mapping's file name (there is no binary to read).
    var mappingFile = "bucketlab"
    var comments: [String] = []
    var samples: [Sample] = []

    /// The encoded message (uncompressed: pprof reads plain and gzipped).
    func encoded() -> [UInt8] {
        var strings: [String] = [""]
        var index: [String: Int] = ["": 0]
        func id(_ s: String) -> UInt64 {
            if let i = index[s] { return UInt64(i) }
            index[s] = strings.count
            strings.append(s)
            return UInt64(strings.count - 1)
        }
        var functions: [String: UInt64] = [:]
        var functionOrder: [String] = []
        for sample in samples {
            for frame in sample.stack where functions[frame] == nil {
                functionOrder.append(frame)
                functions[frame] = UInt64(functionOrder.count)
            }
        }

        var p = ProtoWriter()
        for t in sampleTypes {
            p.message(1) { v in
                v.field(1, id(t.type))
                v.field(2, id(t.unit))
            }
        }
        for sample in samples {
            p.message(2) { s in
                // Location ids equal function ids: one location per function.
                s.packed(1, sample.stack.map { functions[$0]! })
                s.packed(2, sample.values.map { UInt64(bitPattern: $0) })
                for label in sample.labels {
                    s.message(3) { l in
                        l.field(1, id(label.key))
                        if let text = label.text { l.field(2, id(text)) }
                        if let number = label.number { l.field(3, int: number) }
                        if let unit = label.unit { l.field(4, id(unit)) }
                    }
                }
            }
        }
        // One mapping that says its functions are known, so pprof neither
        // looks for a binary to symbolize nor warns that it has none.
        p.message(3) { mapping in
            mapping.field(1, 1)
            mapping.field(3, UInt64(functionOrder.count + 1))
            mapping.field(5, id(mappingFile))
            mapping.field(7, 1)
        }
        for i in functionOrder.indices {
            p.message(4) { location in
                location.field(1, UInt64(i + 1))
                location.field(2, 1)
                location.field(3, UInt64(i + 1))
                location.message(4) { line in line.field(1, UInt64(i + 1)) }
            }
        }
        for (i, name) in functionOrder.enumerated() {
            p.message(5) { function in
                function.field(1, UInt64(i + 1))
                function.field(2, id(name))
                function.field(3, id(name))
            }
        }
        p.field(9, int: timeNanos)
        p.message(11) { v in
            v.field(1, id(periodType.type))
            v.field(2, id(periodType.unit))
        }
        p.field(12, int: period)
        let commentIDs = comments.map { id($0) }
        p.packed(13, commentIDs)
        let defaultType = defaultSampleType.map { id($0) }
        // The string table last: every string above has its index by now.
        for s in strings { p.field(6, string: s) }
        if let defaultType { p.field(14, defaultType) }
        return p.bytes
    }
}
