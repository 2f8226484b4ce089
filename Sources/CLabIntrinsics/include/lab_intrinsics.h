// Compiler intrinsics Swift does not expose. Header-only: static inline, so
// Swift inlines them into its own loops.
#ifndef BUCKETLAB_INTRINSICS_H
#define BUCKETLAB_INTRINSICS_H

// A read prefetch into every cache level (`__builtin_prefetch(p, 0, 3)`): the
// mark loop asks for span headers a few objects ahead (LabCollector's
// Collector+Mark.swift says why).
static inline void bl_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

// The same for a line about to be written (`prefetchw`): it arrives owned, so
// the mark bit's store, or atomic or, does not wait for it a second time.
static inline void bl_prefetch_write(const void *p) { __builtin_prefetch(p, 1, 3); }

#endif
