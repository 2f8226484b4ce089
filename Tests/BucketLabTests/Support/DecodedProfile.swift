@testable import BucketLab

/// A profile.proto message read back with just enough of the wire format.
struct DecodedProfile {
    struct Sample {
        var stack: [String]
        var values: [Int64]
        var labels: [String: String]
    }

    var sampleTypes: [String] = []
    var defaultSampleType = ""
    var samples: [Sample] = []

    enum Field {
        case varint(UInt64)
        case bytes([UInt8])
    }

    static func fields(_ b: [UInt8]) throws -> [(Int, Field)] {
        var i = 0
        func varint() throws -> UInt64 {
            var v: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard i < b.count, shift < 64 else { throw CSVError(description: "truncated varint") }
                let byte = b[i]
                i += 1
                v |= UInt64(byte & 0x7f) << shift
                if byte < 0x80 { return v }
                shift += 7
            }
        }
        var out: [(Int, Field)] = []
        while i < b.count {
            let tag = try varint()
            switch tag & 7 {
            case 0: out.append((Int(tag >> 3), .varint(try varint())))
            case 2:
                let n = Int(try varint())
                guard i + n <= b.count else { throw CSVError(description: "truncated field") }
                out.append((Int(tag >> 3), .bytes(Array(b[i..<i + n]))))
                i += n
            default: throw CSVError(description: "wire type \(tag & 7)")
            }
        }
        return out
    }

    static func unpack(_ b: [UInt8]) -> [UInt64] {
        var out: [UInt64] = [], v: UInt64 = 0, shift: UInt64 = 0
        for byte in b {
            v |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { out.append(v); v = 0; shift = 0 } else { shift += 7 }
        }
        return out
    }

    init(_ bytes: [UInt8]) throws {
        var strings: [String] = []
        var rawTypes: [[UInt8]] = [], rawSamples: [[UInt8]] = []
        var functionName: [UInt64: UInt64] = [:], locationFunction: [UInt64: UInt64] = [:]
        var defaultType: UInt64 = 0
        for (n, f) in try Self.fields(bytes) {
            switch (n, f) {
            case let (1, .bytes(b)): rawTypes.append(b)
            case let (2, .bytes(b)): rawSamples.append(b)
            case let (4, .bytes(b)):
                var id: UInt64 = 0, function: UInt64 = 0
                for (m, g) in try Self.fields(b) {
                    if m == 1, case let .varint(v) = g { id = v }
                    if m == 4, case let .bytes(line) = g {
                        for (k, h) in try Self.fields(line) where k == 1 { if case let .varint(v) = h { function = v } }
                    }
                }
                locationFunction[id] = function
            case let (5, .bytes(b)):
                var id: UInt64 = 0, name: UInt64 = 0
                for (m, g) in try Self.fields(b) {
                    if m == 1, case let .varint(v) = g { id = v }
                    if m == 2, case let .varint(v) = g { name = v }
                }
                functionName[id] = name
            case let (6, .bytes(b)): strings.append(String(decoding: b, as: UTF8.self))
            case let (14, .varint(v)): defaultType = v
            default: break
            }
        }
        guard strings.first == "" else { throw CSVError(description: "string table must start with \"\"") }
        func s(_ i: UInt64) -> String { Int(i) < strings.count ? strings[Int(i)] : "?" }
        for t in rawTypes {
            var type: UInt64 = 0, unit: UInt64 = 0
            for (m, g) in try Self.fields(t) {
                if case let .varint(v) = g { if m == 1 { type = v } else if m == 2 { unit = v } }
            }
            sampleTypes.append(s(type) + "/" + s(unit))
        }
        defaultSampleType = s(defaultType)
        for raw in rawSamples {
            var sample = Sample(stack: [], values: [], labels: [:])
            for (m, g) in try Self.fields(raw) {
                switch (m, g) {
                case let (1, .bytes(b)): sample.stack = Self.unpack(b).map { s(functionName[locationFunction[$0] ?? 0] ?? 0) }
                case let (2, .bytes(b)): sample.values = Self.unpack(b).map { Int64(bitPattern: $0) }
                case let (3, .bytes(b)):
                    var key: UInt64 = 0, text: UInt64 = 0
                    for (k, h) in try Self.fields(b) {
                        if case let .varint(v) = h { if k == 1 { key = v } else if k == 2 { text = v } }
                    }
                    if text != 0 { sample.labels[s(key)] = s(text) }
                default: break
                }
            }
            samples.append(sample)
        }
    }
}
