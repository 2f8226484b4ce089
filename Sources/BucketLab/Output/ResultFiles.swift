// Output: what a run leaves behind, and how it is read back.
//
//   run ─▶ rows ─▶ files ─▶ report
//
// A suite (Harness/) produces rows: one PhaseRow per phase end, SampleRows
// within phases, a GCRow per collection, HeapClassRows per size class, and a
// RunSummary per workload × strategy (medians over repeats). ResultRows.swift
// gives each row type one column table (Schema.swift) that writes its CSV
// file and reads it back; trace.json and run.json are Codable documents
// (TraceFile.swift, RunInfo.swift). Every file is written to a temporary name
// and renamed (CSVWriter.swift), so a killed run never leaves half a file.
//
// The report (Report.swift: REPORT.md, SVG charts from Charts.swift) is drawn
// from the files alone, never from the rows in memory: `bucketlab run` writes
// its CSV files and then re-reads them to draw, exactly as `bucketlab plot`
// redraws a folder later and `bucketlab compare` reads two. So what a reader
// sees is always what the files say, and a report can be redrawn from any
// result folder, old or new.

import FoundationEssentials

extension SuiteResult {
    public var phasesCSV: String { PhaseRow.csv(phases) }
    public var samplesCSV: String { SampleRow.csv(samples) }
    public var gcCSV: String { GCRow.csv(gc) }
    public var heapCSV: String { HeapClassRow.csv(heap) }
    public var summaryCSV: String { RunSummary.csv(Suite.medianSummaries(summaries)) }

    /// Writes every result file into `dir` (which must exist).
    public func write(to dir: String) throws {
        try writeFileAtomically(phasesCSV, to: dir + "/phases.csv")
        try writeFileAtomically(samplesCSV, to: dir + "/samples.csv")
        try writeFileAtomically(gcCSV, to: dir + "/gc.csv")
        try writeFileAtomically(heapCSV, to: dir + "/heap.csv")
        try writeFileAtomically(summaryCSV, to: dir + "/summary.csv")
        try writeFileAtomically(traceJSON, to: dir + "/trace.json")
        try ProfileFile.write(profiles, to: dir)
    }
}

/// `value` as pretty-printed JSON with sorted keys, ending in a newline.
func jsonText<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
}
