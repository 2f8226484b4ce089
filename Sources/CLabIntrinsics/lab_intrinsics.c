// SwiftPM builds a C target from at least one source file; everything this
// target offers is static inline in include/lab_intrinsics.h.
#include "lab_intrinsics.h"
