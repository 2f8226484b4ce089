// C that Swift cannot call directly: compiler intrinsics, and variadic
// system calls. Header-only: static inline, so Swift inlines them into its
// own loops.
#ifndef BUCKETLAB_INTRINSICS_H
#define BUCKETLAB_INTRINSICS_H

// A read prefetch into every cache level (`__builtin_prefetch(p, 0, 3)`): the
// mark loop asks for span headers a few objects ahead (LabCollector's
// Collector+Mark.swift says why).
static inline void bl_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

// No transparent huge pages for this process and its children
// (prctl(PR_SET_THP_DISABLE), Linux 3.15+; prctl is variadic, so not
// callable from Swift): `bucketlab ops --thp off` and `gcbench --thp off`.
// 0 on success, -1 with errno set; -1 where there is no such call.
#ifdef __linux__
#include <sys/prctl.h>
static inline int bl_disable_thp(void) { return prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0); }
#else
static inline int bl_disable_thp(void) { return -1; }
#endif

#endif
