// The public product: the lab (this target) and the tiers it is built on.
// A user imports BucketLab and gets the heap, both generations of map model,
// the collector and the harness.
@_exported import LabHeap
@_exported import LabMaps
@_exported import LabCollector
