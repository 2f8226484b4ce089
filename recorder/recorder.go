// Package recorder records what a Go program does to its maps, as a trace
// BucketLab reads (`bucketlab trace show`) and replays on its map models.
// The format is docs/trace-format.md; keys are recorded as 64-bit hashes,
// never their contents.
//
//	rec := recorder.New(f, recorder.Options{})
//	m := recorder.NewMap[string, *Session](rec, 0)
//	m.Set("a", s)
//	rec.Phase("filled")
//	rec.Close()
//
// A Recorder may be shared by goroutines (a mutex orders the records); a Map
// may not, as a Go map may not.
package recorder

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
)

// Version is the trace format version this package writes.
const Version = 1

var magic = [8]byte{'B', 'L', 'T', 'R', 'A', 'C', 'E', 0}

// Opcodes (docs/trace-format.md).
const (
	opMake       = 0x01
	opInsert     = 0x02
	opUpdate     = 0x03
	opGetHit     = 0x04
	opGetMiss    = 0x05
	opDelete     = 0x06
	opDeleteMiss = 0x07
	opIterStart  = 0x08
	opIterStep   = 0x09
	opIterStop   = 0x0A
	opClear      = 0x0B
	opLen        = 0x0C
	opPhase      = 0x0D
	opDrop       = 0x0E
	opEnd        = 0x0F
)

// Header flag bits.
const (
	flagClearBuiltin = 1 << 0
	flagHeapFigures  = 1 << 1
)

// Options says what a Recorder does besides recording.
type Options struct {
	// HeapFigures: at each Phase marker, runtime.GC() then
	// runtime.ReadMemStats, and HeapInuse and HeapAlloc go into the marker.
	HeapFigures bool
	// ProfileDir: at each Phase marker, runtime.GC() then a heap profile
	// written to ProfileDir/NNN-<name>.pb.gz (set runtime.MemProfileRate = 1
	// before allocating for every allocation to be in it). "" = none.
	ProfileDir string
	// BufferSize of the buffered writer; 0 = 64 KiB.
	BufferSize int
}

// Recorder writes one trace.
type Recorder struct {
	mu      sync.Mutex
	w       *bufio.Writer
	opts    Options
	err     error
	closed  bool
	records uint64
	maps    uint64
	phases  int
	// Iterator ids: the smallest free one is reused, so ids stay one byte.
	freeIters []uint64
	nextIter  uint64
	// Steps not yet written: consecutive steps of one iterator become one
	// record; any other record flushes them first.
	pendingIter  uint64
	pendingSteps uint64
	tmp          [binary.MaxVarintLen64]byte
}

// New starts a trace on w with its header. Errors writing are kept and
// returned by Close.
func New(w io.Writer, opts Options) *Recorder {
	size := opts.BufferSize
	if size <= 0 {
		size = 64 << 10
	}
	r := &Recorder{w: bufio.NewWriterSize(w, size), opts: opts}
	r.w.Write(magic[:])
	r.uvarint(Version)
	var flags uint64
	if clearIsBuiltin {
		flags |= flagClearBuiltin
	}
	if opts.HeapFigures {
		flags |= flagHeapFigures
	}
	r.uvarint(flags)
	r.text(runtime.Version())
	return r
}

func (r *Recorder) uvarint(x uint64) {
	n := binary.PutUvarint(r.tmp[:], x)
	r.w.Write(r.tmp[:n])
}

func (r *Recorder) hash(h uint64) {
	binary.LittleEndian.PutUint64(r.tmp[:8], h)
	r.w.Write(r.tmp[:8])
}

func (r *Recorder) text(s string) {
	if len(s) > 255 {
		s = s[:255]
	}
	r.uvarint(uint64(len(s)))
	r.w.WriteString(s)
}

// begin starts a record: pending steps first, then the opcode. The caller
// holds mu.
func (r *Recorder) begin(op byte) {
	if r.closed {
		panic("recorder: used after Close")
	}
	if r.pendingSteps > 0 && op != opIterStep {
		r.flushSteps()
	}
	r.w.WriteByte(op)
	r.records++
}

func (r *Recorder) flushSteps() {
	n := r.pendingSteps
	r.pendingSteps = 0
	r.begin(opIterStep)
	r.uvarint(r.pendingIter)
	r.uvarint(n)
}

// keyOp writes insert/update/get/delete: map, hash, [length], [payload].
func (r *Recorder) keyOp(op byte, m uint64, h uint64, strLen int, payload int) {
	r.mu.Lock()
	r.begin(op)
	r.uvarint(m)
	r.hash(h)
	if strLen >= 0 {
		r.uvarint(uint64(strLen))
	}
	if payload >= 0 {
		r.uvarint(uint64(payload))
	}
	r.mu.Unlock()
}

func (r *Recorder) mapOp(op byte, m uint64) {
	r.mu.Lock()
	r.begin(op)
	r.uvarint(m)
	r.mu.Unlock()
}

func (r *Recorder) makeMap(k, v layout, hint int) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := r.maps
	r.maps++
	r.begin(opMake)
	r.uvarint(id)
	r.w.WriteByte(k.kind)
	r.uvarint(uint64(k.size))
	r.uvarint(uint64(k.pointerWords))
	r.w.WriteByte(v.kind)
	r.uvarint(uint64(v.size))
	r.uvarint(uint64(v.pointerWords))
	if hint < 0 {
		hint = 0
	}
	r.uvarint(uint64(hint))
	return id
}

func (r *Recorder) lenOp(m uint64, n int) {
	r.mu.Lock()
	r.begin(opLen)
	r.uvarint(m)
	r.uvarint(uint64(n))
	r.mu.Unlock()
}

func (r *Recorder) iterStart(m uint64) uint64 {
	r.mu.Lock()
	var id uint64
	if n := len(r.freeIters); n > 0 {
		id = r.freeIters[n-1]
		r.freeIters = r.freeIters[:n-1]
	} else {
		id = r.nextIter
		r.nextIter++
	}
	r.begin(opIterStart)
	r.uvarint(m)
	r.uvarint(id)
	r.mu.Unlock()
	return id
}

func (r *Recorder) iterStep(id uint64) {
	r.mu.Lock()
	if r.pendingSteps > 0 && r.pendingIter != id {
		r.flushSteps()
	}
	r.pendingIter = id
	r.pendingSteps++
	r.mu.Unlock()
}

func (r *Recorder) iterStop(id uint64, completed bool) {
	r.mu.Lock()
	r.begin(opIterStop)
	r.uvarint(id)
	if completed {
		r.w.WriteByte(1)
	} else {
		r.w.WriteByte(0)
	}
	r.freeIters = append(r.freeIters, id)
	r.mu.Unlock()
}

// Phase writes a marker named name (at most 255 bytes) between phases of
// the program; with Options.HeapFigures or ProfileDir it collects first and
// measures or profiles the heap.
func (r *Recorder) Phase(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var inuse, alloc uint64
	if r.opts.HeapFigures || r.opts.ProfileDir != "" {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		inuse, alloc = ms.HeapInuse, ms.HeapAlloc
		if r.opts.ProfileDir != "" && r.err == nil {
			r.err = r.writeProfile(name)
		}
	}
	r.begin(opPhase)
	r.text(name)
	if r.opts.HeapFigures {
		r.uvarint(inuse)
		r.uvarint(alloc)
	}
	r.phases++
}

func (r *Recorder) writeProfile(name string) error {
	clean := make([]rune, 0, len(name))
	for _, c := range name {
		if c == '/' || c == '\\' || c < ' ' {
			c = '_'
		}
		clean = append(clean, c)
	}
	if err := os.MkdirAll(r.opts.ProfileDir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(r.opts.ProfileDir, fmt.Sprintf("%03d-%s.pb.gz", r.phases, string(clean)))
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	// The runtime.GC() just before makes the profile's in-use figures
	// those of the last completed cycle.
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Close writes the end record and flushes; it returns the first error
// writing met. Maps must not be used after it.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return errors.New("recorder: closed twice")
	}
	if r.pendingSteps > 0 {
		r.flushSteps()
	}
	n := r.records
	r.begin(opEnd)
	r.uvarint(n)
	r.closed = true
	if err := r.w.Flush(); r.err == nil {
		r.err = err
	}
	return r.err
}
