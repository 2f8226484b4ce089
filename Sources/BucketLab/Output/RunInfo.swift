// run.json: what produced a result folder — the command, the code, the
// machine and every option of the suite. See ResultFiles.swift.

import FoundationEssentials

/// The facts of the machine and build a suite ran on (the command line fills
/// them in; the library does not shell out).
public struct MachineFacts: Sendable {
    public var command: String
    public var commit: String
    public var swift: String
    public var cpu: String
    public var cores: Int
    public var memoryBytes: Int
    public var date: String

    public init(command: String, commit: String, swift: String, cpu: String, cores: Int, memoryBytes: Int, date: String) {
        self.command = command
        self.commit = commit
        self.swift = swift
        self.cpu = cpu
        self.cores = cores
        self.memoryBytes = memoryBytes
        self.date = date
    }
}

/// The document written as run.json, and read back to head a redrawn report.
public struct RunInfo: Codable, Sendable {
    /// GOGC as Go's environment variable spells it: a number or "off".
    enum GOGC: Codable {
        case percent(Int)
        case off

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let p = try? c.decode(Int.self) { self = .percent(p); return }
            guard try c.decode(String.self) == "off" else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "gogc is a number or \"off\"")
            }
            self = .off
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case let .percent(p): try c.encode(p)
            case .off: try c.encode("off")
            }
        }

        var text: String {
            switch self {
            case let .percent(p): String(p)
            case .off: "off"
            }
        }
    }

    /// A limit in bytes, or none ("off" for GOMEMLIMIT, "none" for a
    /// container's), as run.json spells it.
    enum Limit: Codable, Equatable {
        case bytes(Int)
        case none(String)

        init(_ bytes: Int?, none: String) { self = bytes.map { .bytes($0) } ?? .none(none) }

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Int.self) {
                guard b > 0 else {
                    throw DecodingError.dataCorruptedError(in: c, debugDescription: "a limit in bytes is positive")
                }
                self = .bytes(b)
                return
            }
            let text = try c.decode(String.self)
            guard text == "off" || text == "none" else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "a limit is bytes, \"off\" or \"none\"")
            }
            self = .none(text)
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case let .bytes(b): try c.encode(b)
            case let .none(text): try c.encode(text)
            }
        }

        /// "96.00 MiB (100663296 bytes)", or the word for none.
        var text: String {
            switch self {
            case let .bytes(b): "\(formatFixed(Double(b) / 1_048_576, digits: 2)) MiB (\(b) bytes)"
            case let .none(word): word
            }
        }
    }

    var command: String
    var commit: String
    var swift: String
    var jemalloc: String
    var cpu: String
    var cores: Int
    var memoryBytes: Int
    var date: String
    var workloads: [String]
    var strategies: [String]
    var keys: Int
    var payloadBytes: Int
    var window: Int
    var gogc: GOGC
    /// Absent from runs made before the collector had workers (one marked).
    var gcWorkers: Int?
    /// Absent from runs made before the concurrent-mark model (whole cycles).
    var concurrentMark: Bool?
    var seed: UInt64
    var `repeat`: Int
    var samples: Int
    var bursts: Int
    var hint: Int
    var maps: [String]
    var settle: Bool
    /// Cells run at once (absent from runs made before `--jobs`: one).
    var jobs: Int?
    /// The workload files run, by workload name (absent: built-ins only).
    var workloadFiles: [String: String]?
    /// Payload sizes workload files set for themselves, by workload name.
    var workloadPayloadBytes: [String: Int]?
    /// GOMEMLIMIT (`--memlimit`) and the container limit (`--container-limit`)
    /// of the run (absent from runs made before they were recorded).
    var memlimit: Limit?
    var containerLimit: Limit?
    /// GOMEMLIMIT and GOGC that workload files set for themselves, at the
    /// run's sizes, by workload name (absent: none does).
    var workloadMemlimits: [String: Limit]?
    var workloadGogc: [String: GOGC]?
    /// The coefficient file Go's GC CPU was modelled with (`--gc-coefficients`;
    /// absent: the committed coefficients), and the CPUs its Go ran on.
    var gcCoefficients: String?
    var gcCoefficientsMachines: String?

    enum CodingKeys: String, CodingKey {
        case command, commit, swift, jemalloc, cpu, cores, date, workloads, strategies, keys, window, gogc, seed, samples, bursts
        case hint, maps, settle, jobs
        case memoryBytes = "memory_bytes", payloadBytes = "payload_bytes", `repeat`, gcWorkers = "gc_workers"
        case concurrentMark = "concurrent_mark"
        case workloadFiles = "workload_files", workloadPayloadBytes = "workload_payload_bytes"
        case memlimit, containerLimit = "container_limit", workloadMemlimits = "workload_memlimits"
        case workloadGogc = "workload_gogc", gcCoefficients = "gc_coefficients"
        case gcCoefficientsMachines = "gc_coefficients_machines"
    }

    public init(config: SuiteConfig, machine: MachineFacts, jobs: Int = 1) {
        self.jobs = jobs
        command = machine.command
        commit = machine.commit
        swift = machine.swift
        jemalloc = Jemalloc.version
        cpu = machine.cpu
        cores = machine.cores
        memoryBytes = machine.memoryBytes
        date = machine.date
        workloads = config.workloads.map(\.rawValue)
        strategies = config.strategies.map(\.name)
        keys = config.keys
        payloadBytes = config.payloadBytes
        window = config.window
        gogc = config.gogc.map { .percent($0) } ?? .off
        gcWorkers = config.gcWorkers
        concurrentMark = config.concurrentMark
        seed = config.seed
        self.repeat = config.repeats
        samples = config.samples
        bursts = config.bursts
        hint = config.hint
        maps = config.mapModels
        settle = config.settle
        let files = config.workloads.compactMap { w in w.file.map { (w.name, $0) } }
        workloadFiles = files.isEmpty ? nil : Dictionary(files) { a, _ in a }
        let sizes = config.workloads.compactMap { w in w.spec.map.value.bytes.map { (w.name, $0) } }
        workloadPayloadBytes = sizes.isEmpty ? nil : Dictionary(sizes) { a, _ in a }
        memlimit = Limit(config.memlimit, none: "off")
        containerLimit = Limit(config.containerLimit, none: "none")
        let limits = config.workloads.compactMap { w in
            w.spec.memlimit == nil ? nil : (w.name, Limit(config.memlimit(for: w), none: "off"))
        }
        workloadMemlimits = limits.isEmpty ? nil : Dictionary(limits) { a, _ in a }
        let gogcs = config.workloads.compactMap { w in
            w.spec.gogc == nil ? nil : (w.name, config.gogc(for: w).map { GOGC.percent($0) } ?? .off)
        }
        workloadGogc = gogcs.isEmpty ? nil : Dictionary(gogcs) { a, _ in a }
        gcCoefficients = config.gcCost.file
        gcCoefficientsMachines = config.gcCost.file == nil ? nil : config.gcCost.goMachines
    }

    public var json: String { try! jsonText(self) }

    /// The run.json at `path`.
    public static func read(_ path: String) throws -> RunInfo {
        guard let text = readTextFile(path) else { throw CSVError(description: "\(path): cannot be read") }
        do {
            return try JSONDecoder().decode(RunInfo.self, from: Data(text.utf8))
        } catch {
            throw CSVError(description: "\(path): not a run.json bucketlab wrote (\(error))")
        }
    }

    /// The line under REPORT.md's title: what produced the run, where.
    public var reportHeader: String {
        "`\(command)` at commit \(commit), \(keys) keys, \(payloadBytes)-byte payloads\(payloadNote), window \(window), "
            + "GOGC \(gogc.text), GOMEMLIMIT \(memlimit?.text ?? "not recorded")\(limitNote), container limit \(containerLimit?.text ?? "not recorded"), \(gcWorkers ?? 1) mark worker(s), \(concurrentMark == true ? "concurrent" : "stop-the-world") mark, seed \(seed), \(self.repeat) repeat(s), map models \(maps.joined(separator: ", ")); "
            + "\(cpu), \(cores) cores, \(jobs ?? 1) cell(s) at a time"
            + (gcCoefficients.map { "; Go's GC CPU modelled with the coefficients of \($0)" + (gcCoefficientsMachines.map { " (Go runs on \($0))" } ?? "") } ?? "")
            + ((jobs ?? 1) > 1 ? " (timing columns shared the machine; memory columns do not depend on it)." : ".")
    }

    /// The workloads whose files set their own GOMEMLIMIT or GOGC.
    private var limitNote: String {
        let names = Set((workloadMemlimits ?? [:]).keys).union((workloadGogc ?? [:]).keys).sorted()
        guard !names.isEmpty else { return "" }
        return " (" + names.map { name in
            name + ": " + [workloadMemlimits?[name].map { "GOMEMLIMIT \($0.text)" },
                           workloadGogc?[name].map { "GOGC \($0.text)" }].compactMap { $0 }.joined(separator: ", ")
        }.joined(separator: "; ") + ", as their files say)"
    }

    /// The workloads whose files set their own payload size.
    private var payloadNote: String {
        guard let sizes = workloadPayloadBytes, !sizes.isEmpty else { return "" }
        return " (" + sizes.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ", as their files say)"
    }

    /// The header of a report redrawn by `command` from `dir`'s files: the
    /// run's own (from its run.json), or a plain line when there is none.
    public static func redrawnReportHeader(directory dir: String, by command: String) -> String {
        let note = "Redrawn by `bucketlab \(command)` from the CSV files in this directory."
        guard let info = try? read(dir + "/run.json") else { return note }
        return info.reportHeader + " " + note
    }
}
