// The MALLOCX_* flags are function-like macros, which Swift does not import;
// these static inline wrappers expose them. Everything else comes straight from
// jemalloc's own header.
#ifndef BUCKETLAB_CJEMALLOC_SHIM_H
#define BUCKETLAB_CJEMALLOC_SHIM_H

#include <jemalloc/jemalloc.h>
#include <string.h>

static inline int bl_mallocx_arena(unsigned arena) { return MALLOCX_ARENA(arena); }
static inline int bl_mallocx_lg_align(unsigned lg) { return MALLOCX_LG_ALIGN(lg); }
static inline int bl_mallocx_zero(void) { return MALLOCX_ZERO; }
static inline int bl_mallocx_tcache_none(void) { return MALLOCX_TCACHE_NONE; }

// The flags every request of the lab heap (a page-allocator chunk) uses: the
// heap's own arena, no thread cache (with the tcache on, MALLOCX_ARENA may
// return memory cached from another arena: jemalloc issues 825 and 1535), and
// 2 MiB alignment so that transparent huge pages can back the chunks.
static inline int bl_chunk_flags(unsigned arena) {
    return MALLOCX_ARENA(arena) | MALLOCX_TCACHE_NONE | MALLOCX_LG_ALIGN(21);
}

#endif
