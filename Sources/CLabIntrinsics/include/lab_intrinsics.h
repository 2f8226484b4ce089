// Compiler intrinsics Swift does not expose. Header-only: static inline, so
// Swift inlines them into its own loops.
#ifndef BUCKETLAB_INTRINSICS_H
#define BUCKETLAB_INTRINSICS_H

// A read prefetch into every cache level (`__builtin_prefetch(p, 0, 3)`): the
// mark loop asks for span headers a few objects ahead (LabCollector's
// Collector+Mark.swift says why).
static inline void bl_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

#endif
