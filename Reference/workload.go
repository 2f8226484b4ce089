package main

// Workload files (docs/workload-files.md) on the real Go runtime: the same
// JSON the lab runs (Sources/BucketLab/Harness/WorkloadSpec.swift,
// WorkloadCount.swift, Workload+Run.swift), read strictly, its counts
// evaluated as the lab evaluates them, its steps run on a real Go map with
// the same keys in the same order, one row per phase end. The built-ins'
// shapes run on typed maps (map[uint64]uint64, map[uint64]*payload,
// map[string]*payload); every other shape, and M maps, on maps of the
// file's own type made through reflect (general.go).
//
// The interpreter's own bookkeeping (the live keys in insertion order, their
// positions, Zipf tables, scratch lists) lives in memory mapped outside Go's
// heap, so HeapInuse holds what the workload's map, keys and payloads hold
// and nothing of the interpreter's.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"os"
	"reflect"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unsafe"
)

const workloadFormat = "bucketlab-workload/1"

// ---- The document ----

type workloadSpec struct {
	Format   string            `json:"format"`
	Name     string            `json:"name"`
	Summary  string            `json:"summary"`
	Map      json.RawMessage   `json:"map"`
	Headline string            `json:"headline"`
	Seed     uint64            `json:"seed"`
	Settle   *bool             `json:"settle"`
	Memlimit *count            `json:"memlimit"` // bytes: GOMEMLIMIT for this workload (docs/memory-limit.md)
	Gogc     json.RawMessage   `json:"gogc"`     // a percent or "off"
	Phases   []json.RawMessage `json:"phases"`

	shape mapShape
	items []phaseItem
}

// mapShape is the file's `map` (docs/workload-files.md, "The map's
// shape"). A fixed size is a range of one (min == max).
type mapShape struct {
	key            keyKind
	keyMin, keyMax int // a string key's length, or a byte-array key's size
	sprintf        bool
	value          valueKind
	payMin, payMax int // a pointer value's payload size; 0: the run's -payload-bytes
	structBytes    int
	structPointers []int // word indices, ascending
	structPayload  *int  // nil: the run's -payload-bytes; 0: nil pointers
	maps           int
	hint           *count
}

type keyKind int

const (
	keyUint64 keyKind = iota
	keyString
	keyArray // [N]byte
)

type valueKind int

const (
	valueUint64 valueKind = iota
	valuePointer
	valueStruct
)

type phaseItem struct {
	name    string
	steps   []*step
	repeat  *count
	phases  []phaseItem
	path    string
	isBlock bool
}

type step struct {
	Op            string          `json:"op"`
	Count         *count          `json:"count"`
	First         *count          `json:"first"`
	Order         string          `json:"order"`
	Which         string          `json:"which"`
	Every         *int            `json:"every"`
	KeepEvery     *int            `json:"keep_every"`
	Hit           *float64        `json:"hit"`
	Window        *count          `json:"window"`
	Evict         string          `json:"evict"`
	Capacity      *count          `json:"capacity"`
	Zipf          *float64        `json:"zipf"`
	Universe      *count          `json:"universe"`
	Fraction      *float64        `json:"fraction"`
	Hold          *string         `json:"hold"`
	Name          *string         `json:"name"`
	DeleteVisited bool            `json:"delete_visited"`
	Hint          *count          `json:"hint"`
	Times         *count          `json:"times"`
	Steps         json.RawMessage `json:"steps"`
	Bytes         *int            `json:"bytes"`
	Via           string          `json:"via"`
	Cycle         bool            `json:"cycle"`

	inner []*step
	path  string
}

// stepFields: the fields each op takes besides `op`, and those it needs.
var stepFields = map[string][]string{
	"insert": {"count", "first", "order", "zipf", "universe", "bytes"}, "delete": {"count", "which", "every", "keep_every"},
	"lookup": {"count", "hit"}, "update": {"count"}, "churn": {"count", "window", "evict"},
	"cache": {"count", "capacity", "zipf", "universe"}, "iterate": {"fraction", "count", "hold", "delete_visited"},
	"release": {"name"}, "clear": {}, "range-delete": {}, "drop": {"via", "cycle"}, "await-finalizers": {}, "idle": {}, "freeos": {},
	"make": {"hint"}, "rebuild": {"hint"}, "pin": {"name"}, "unpin": {"name"}, "repeat": {"times", "steps"},
}
var stepRequired = map[string][]string{
	"insert": {"count"}, "delete": {"count"}, "lookup": {"count"}, "update": {"count"},
	"churn": {"count", "window"}, "cache": {"count", "capacity"}, "release": {"name"}, "repeat": {"times", "steps"},
}
var stepOps = []string{"insert", "delete", "lookup", "update", "churn", "cache", "iterate", "release", "clear",
	"range-delete", "make", "rebuild", "pin", "unpin", "drop", "await-finalizers", "repeat", "idle", "freeos"}

// fileError is a file that cannot run: where in it, and what is wrong.
type fileError struct{ path, msg string }

func (e *fileError) Error() string {
	if e.path == "" {
		return e.msg
	}
	return e.path + ": " + e.msg
}

func bad(path, format string, a ...any) error { return &fileError{path, fmt.Sprintf(format, a...)} }

// strict decodes one JSON object into v, refusing fields v does not name.
func strict(data []byte, v any, path string) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return bad(join(path, te.Field), "must be %s", jsonKind(te.Type))
		}
		msg := strings.TrimPrefix(err.Error(), "json: ")
		if strings.HasPrefix(msg, "unknown field ") {
			return bad(join(path, strings.Trim(strings.TrimPrefix(msg, "unknown field "), `"`)), "unknown field")
		}
		// A count that does not parse: name its field.
		var fields map[string]json.RawMessage
		if json.Unmarshal(data, &fields) == nil {
			for _, f := range []string{"count", "first", "window", "capacity", "universe", "hint", "times", "repeat"} {
				if raw, ok := fields[f]; ok {
					var c count
					if e := c.UnmarshalJSON(raw); e != nil {
						return bad(join(path, f), "%v", e)
					}
				}
			}
		}
		return bad(path, "%s", msg)
	}
	return nil
}

func join(path, field string) string {
	switch {
	case field == "":
		return path
	case path == "":
		return field
	}
	return path + "." + field
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Uint64:
		return "a whole number"
	case reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list"
	}
	return "an object"
}

func isObject(data []byte) bool {
	t := bytes.TrimSpace(data)
	return len(t) > 0 && t[0] == '{'
}

// readWorkloadFile reads and checks a workload file; errors name the file
// and the JSON path.
func readWorkloadFile(file string) (*workloadSpec, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read: %v", file, errors.Unwrap(err))
	}
	if !json.Valid(data) {
		return nil, fmt.Errorf("%s: not valid JSON", file)
	}
	s, err := parseWorkload(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	return s, nil
}

func parseWorkload(data []byte) (*workloadSpec, error) {
	s := &workloadSpec{}
	if !isObject(data) {
		return nil, bad("(top level)", "must be an object")
	}
	if err := strict(data, s, ""); err != nil {
		return nil, err
	}
	var present map[string]json.RawMessage
	json.Unmarshal(data, &present)
	for _, f := range []string{"format", "name", "map", "headline", "phases"} {
		if _, ok := present[f]; !ok {
			return nil, bad(f, "missing")
		}
	}
	if s.Format != workloadFormat {
		return nil, bad("format", "must be %q (this lab's workload format)", workloadFormat)
	}
	if s.Name == "" || strings.IndexFunc(s.Name, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) >= 0 {
		return nil, bad("name", "must be letters, digits, '-', '_' or '.'")
	}
	var err error
	if s.shape, err = parseShape(s.Map); err != nil {
		return nil, err
	}
	if len(s.Phases) == 0 {
		return nil, bad("phases", "must list at least one phase")
	}
	if s.items, err = parsePhases(s.Phases, "phases"); err != nil {
		return nil, err
	}
	return s, nil
}

// Bounds of the map's shape (the lab's Bounds).
const (
	minStringKey, maxStringKey = 16, 1024
	minArrayKey, maxArrayKey   = 8, 1024
	minPayload, maxPayload     = 8, 1 << 20
	minStruct, maxStruct       = 8, 1024
	maxMaps                    = 65536
)

func parseShape(data json.RawMessage) (mapShape, error) {
	var raw struct {
		Key   json.RawMessage `json:"key"`
		Value json.RawMessage `json:"value"`
		Hint  *count          `json:"hint"`
		Maps  *int            `json:"maps"`
	}
	sh := mapShape{maps: 1}
	if !isObject(data) {
		return sh, bad("map", "must be an object")
	}
	if err := strict(data, &raw, "map"); err != nil {
		return sh, err
	}
	if isNull(raw.Key) || isNull(raw.Value) {
		return sh, bad("map", "needs key and value")
	}
	if err := parseKey(raw.Key, &sh); err != nil {
		return sh, err
	}
	if err := parseValue(raw.Value, &sh); err != nil {
		return sh, err
	}
	if raw.Maps != nil {
		if *raw.Maps < 1 || *raw.Maps > maxMaps {
			return sh, bad("map.maps", "must be 1…%d", maxMaps)
		}
		sh.maps = *raw.Maps
	}
	sh.hint = raw.Hint
	return sh, nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

func parseKey(data json.RawMessage, sh *mapShape) error {
	var name string
	if json.Unmarshal(data, &name) == nil {
		switch name {
		case "uint64":
			sh.key, sh.keyMin, sh.keyMax = keyUint64, 8, 8
		case "string":
			sh.key, sh.keyMin, sh.keyMax = keyString, 16, 16
		case "bytes":
			return bad("map.key", `a byte-array key needs its size: {"kind": "bytes", "bytes": N}`)
		default:
			return bad("map.key", `must be "uint64" or "string", or an object {"kind": …}`)
		}
		return nil
	}
	if !isObject(data) {
		return bad("map.key", `must be "uint64" or "string", or an object {"kind": …}`)
	}
	var k struct {
		Kind    *string         `json:"kind"`
		Bytes   json.RawMessage `json:"bytes"`
		Sprintf bool            `json:"sprintf"`
	}
	if err := strict(data, &k, "map.key"); err != nil {
		return err
	}
	if k.Kind == nil {
		return bad("map.key.kind", "missing")
	}
	var err error
	switch *k.Kind {
	case "uint64":
		sh.key, sh.keyMin, sh.keyMax = keyUint64, 8, 8
		if !isNull(k.Bytes) {
			var n int
			if json.Unmarshal(k.Bytes, &n) != nil || n != 8 {
				return bad("map.key.bytes", "a uint64 key has 8 bytes")
			}
		}
	case "string":
		sh.key, sh.keyMin, sh.keyMax = keyString, 16, 16
		if !isNull(k.Bytes) {
			sh.keyMin, sh.keyMax, err = parseSize(k.Bytes, "map.key.bytes", minStringKey, maxStringKey, true,
				"a string key's length must be %d…%d")
			if err != nil {
				return err
			}
		}
	case "bytes":
		sh.key = keyArray
		if isNull(k.Bytes) {
			return bad("map.key.bytes", "a byte-array key needs its size, %d…%d", minArrayKey, maxArrayKey)
		}
		sh.keyMin, sh.keyMax, err = parseSize(k.Bytes, "map.key.bytes", minArrayKey, maxArrayKey, false, "must be %d…%d")
		if err != nil {
			return err
		}
	default:
		return bad("map.key.kind", `must be "uint64", "string" or "bytes"`)
	}
	if k.Sprintf && (sh.key != keyString || sh.keyMin != 16 || sh.keyMax != 16) {
		return bad("map.key.sprintf", `only 16-byte string keys are made by Sprintf("%%016x")`)
	}
	sh.sprintf = k.Sprintf
	return nil
}

func parseValue(data json.RawMessage, sh *mapShape) error {
	var name string
	if json.Unmarshal(data, &name) == nil {
		switch name {
		case "uint64":
			sh.value = valueUint64
		case "pointer":
			sh.value = valuePointer
		case "struct":
			return bad("map.value", `a struct value needs its size: {"kind": "struct", "bytes": N, "pointers": [...]}`)
		default:
			return bad("map.value", `must be "uint64" or "pointer", or an object {"kind": …}`)
		}
		return nil
	}
	if !isObject(data) {
		return bad("map.value", `must be "uint64" or "pointer", or an object {"kind": …}`)
	}
	var v struct {
		Kind     *string         `json:"kind"`
		Bytes    json.RawMessage `json:"bytes"`
		Pointers []int           `json:"pointers"`
		Payload  *int            `json:"payload"`
	}
	if err := strict(data, &v, "map.value"); err != nil {
		return err
	}
	if v.Kind == nil {
		return bad("map.value.kind", "missing")
	}
	switch *v.Kind {
	case "uint64":
		sh.value = valueUint64
	case "pointer":
		sh.value = valuePointer
	case "struct":
		sh.value = valueStruct
	default:
		return bad("map.value.kind", `must be "uint64", "pointer" or "struct"`)
	}
	if sh.value != valueStruct {
		if v.Pointers != nil {
			return bad("map.value.pointers", "only a struct value has pointer words")
		}
		if v.Payload != nil {
			return bad("map.value.payload", "only a struct value's pointer words have a payload (a pointer value's size is `bytes`)")
		}
	}
	var err error
	switch sh.value {
	case valueUint64:
		if !isNull(v.Bytes) {
			return bad("map.value.bytes", "only a pointer or struct value has a size")
		}
	case valuePointer:
		if !isNull(v.Bytes) {
			sh.payMin, sh.payMax, err = parseSize(v.Bytes, "map.value.bytes", minPayload, maxPayload, true, "must be %d…%d")
			if err != nil {
				return err
			}
		}
	case valueStruct:
		if isNull(v.Bytes) {
			return bad("map.value.bytes", "a struct value needs its size, %d…%d and a multiple of 8", minStruct, maxStruct)
		}
		var n int
		if json.Unmarshal(v.Bytes, &n) != nil || n < minStruct || n > maxStruct || n%8 != 0 {
			return bad("map.value.bytes", "must be %d…%d and a multiple of 8", minStruct, maxStruct)
		}
		sh.structBytes = n
		words := n / 8
		seen := make([]bool, words)
		for _, w := range v.Pointers {
			if w < 0 || w >= words {
				return bad("map.value.pointers", "word %d is outside a %d-byte struct", w, n)
			}
			if seen[w] {
				return bad("map.value.pointers", "word %d is listed twice", w)
			}
			seen[w] = true
		}
		for w := range seen {
			if seen[w] {
				sh.structPointers = append(sh.structPointers, w)
			}
		}
		if v.Payload != nil {
			if p := *v.Payload; p != 0 && (p < minPayload || p > maxPayload) {
				return bad("map.value.payload", "must be 0 (nil pointers) or %d…%d", minPayload, maxPayload)
			}
			sh.structPayload = v.Payload
		}
	}
	return nil
}

// parseSize reads a size: a whole number lo…hi, or (when a distribution is
// allowed) {"min": A, "max": B} with lo ≤ A ≤ B ≤ hi. msg is the bound's
// message, given lo and hi.
func parseSize(data json.RawMessage, path string, lo, hi int, distribution bool, msg string) (int, int, error) {
	var n int
	if json.Unmarshal(data, &n) == nil {
		if n < lo || n > hi {
			return 0, 0, bad(path, msg, lo, hi)
		}
		return n, n, nil
	}
	if !distribution {
		return 0, 0, bad(path, "must be a whole number %d…%d", lo, hi)
	}
	if !isObject(data) {
		return 0, 0, bad(path, `must be a whole number or a distribution {"min": A, "max": B}`)
	}
	var r struct {
		Min *int `json:"min"`
		Max *int `json:"max"`
	}
	if err := strict(data, &r, path); err != nil {
		return 0, 0, err
	}
	if r.Min == nil {
		return 0, 0, bad(path+".min", "missing")
	}
	if r.Max == nil {
		return 0, 0, bad(path+".max", "missing")
	}
	if *r.Min < lo || *r.Min > hi {
		return 0, 0, bad(path+".min", msg, lo, hi)
	}
	if *r.Max < lo || *r.Max > hi {
		return 0, 0, bad(path+".max", msg, lo, hi)
	}
	if *r.Max < *r.Min {
		return 0, 0, bad(path+".max", "must not be below min (%d)", *r.Min)
	}
	return *r.Min, *r.Max, nil
}

func parsePhases(raws []json.RawMessage, path string) ([]phaseItem, error) {
	var out []phaseItem
	for n, data := range raws {
		p := fmt.Sprintf("%s[%d]", path, n)
		var raw struct {
			Name   *string           `json:"name"`
			Steps  json.RawMessage   `json:"steps"`
			Repeat *count            `json:"repeat"`
			Phases []json.RawMessage `json:"phases"`
		}
		if !isObject(data) {
			return nil, bad(p, "must be an object")
		}
		if err := strict(data, &raw, p); err != nil {
			return nil, err
		}
		if raw.Repeat != nil {
			if raw.Name != nil || raw.Steps != nil {
				return nil, bad(p+".repeat", "a repeat block has `repeat` and `phases` only")
			}
			if err := raw.Repeat.static(p + ".repeat"); err != nil {
				return nil, err
			}
			if len(raw.Phases) == 0 {
				return nil, bad(p+".phases", "must list at least one phase")
			}
			inner, err := parsePhases(raw.Phases, p+".phases")
			if err != nil {
				return nil, err
			}
			out = append(out, phaseItem{repeat: raw.Repeat, phases: inner, path: p, isBlock: true})
			continue
		}
		if raw.Phases != nil {
			return nil, bad(p+".phases", "only a repeat block has phases")
		}
		if raw.Name == nil || *raw.Name == "" {
			return nil, bad(p+".name", "must not be empty")
		}
		steps, err := parseSteps(raw.Steps, p+".steps")
		if err != nil {
			return nil, err
		}
		out = append(out, phaseItem{name: *raw.Name, steps: steps, path: p})
	}
	return out, nil
}

func parseSteps(data json.RawMessage, path string) ([]*step, error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(data, &raws); err != nil || len(raws) == 0 {
		return nil, bad(path, "must list at least one step")
	}
	var out []*step
	for n, r := range raws {
		p := fmt.Sprintf("%s[%d]", path, n)
		if !isObject(r) {
			return nil, bad(p, "must be an object")
		}
		s := &step{path: p}
		if err := strict(r, s, p); err != nil {
			return nil, err
		}
		var present map[string]json.RawMessage
		json.Unmarshal(r, &present)
		allowed, ok := stepFields[s.Op]
		if !ok {
			return nil, bad(p+".op", "unknown step '%s'; valid: %s", s.Op, strings.Join(stepOps, ", "))
		}
		for f := range present {
			if f != "op" && !contains(allowed, f) {
				return nil, bad(p+"."+f, "'%s' takes no '%s'", s.Op, f)
			}
		}
		for _, f := range stepRequired[s.Op] {
			if _, ok := present[f]; !ok {
				return nil, bad(p+"."+f, "'%s' needs '%s'", s.Op, f)
			}
		}
		check := func(c *count, field string, min int) error {
			if c != nil && c.expr.kind == litExpr && c.expr.n < int64(min) {
				if min == 1 {
					return bad(p+"."+field, "must be positive")
				}
				return bad(p+"."+field, "must not be negative")
			}
			return nil
		}
		countMin := 0
		if s.Op == "iterate" {
			countMin = 1
		}
		for _, c := range []struct {
			c     *count
			field string
			min   int
		}{{s.Count, "count", countMin}, {s.First, "first", 0}, {s.Window, "window", 1}, {s.Capacity, "capacity", 1},
			{s.Universe, "universe", 1}, {s.Hint, "hint", 0}, {s.Times, "times", 1}} {
			if err := check(c.c, c.field, c.min); err != nil {
				return nil, err
			}
		}
		enum := func(v, field string, valid ...string) error {
			if v != "" && !contains(valid, v) {
				return bad(p+"."+field, "must be one of %s", strings.Join(valid, ", "))
			}
			return nil
		}
		for _, e := range []error{enum(s.Order, "order", "sequential", "random", "zipf"), enum(s.Which, "which", "oldest", "newest", "random"),
			enum(s.Evict, "evict", "after", "before")} {
			if e != nil {
				return nil, e
			}
		}
		if s.Every != nil && *s.Every < 1 {
			return nil, bad(p+".every", "must be positive")
		}
		if s.KeepEvery != nil && *s.KeepEvery < 1 {
			return nil, bad(p+".keep_every", "must be positive")
		}
		if s.Every != nil && s.KeepEvery != nil {
			return nil, bad(p+".keep_every", "give `every` or `keep_every`, not both")
		}
		if s.Hit != nil && (*s.Hit < 0 || *s.Hit > 1) {
			return nil, bad(p+".hit", "must be 0…1")
		}
		if s.Zipf != nil && !(*s.Zipf > 0 && *s.Zipf <= 10) {
			return nil, bad(p+".zipf", "the exponent must be in (0, 10]")
		}
		if s.Op == "insert" && s.Order != "zipf" && (s.Zipf != nil || s.Universe != nil) {
			return nil, bad(p+".zipf", "only an insert of \"order\": \"zipf\" draws from a universe")
		}
		if s.Op == "insert" && s.Order == "zipf" && s.First != nil {
			return nil, bad(p+".first", "a Zipf insert draws its keys; it has no first")
		}
		if s.Bytes != nil && (*s.Bytes < 8 || *s.Bytes > 1<<20) {
			return nil, bad(p+".bytes", "must be 8…1048576")
		}
		if s.Fraction != nil && !(*s.Fraction > 0 && *s.Fraction <= 1) {
			return nil, bad(p+".fraction", "must be in (0, 1]")
		}
		if s.Fraction != nil && s.Count != nil {
			return nil, bad(p+".count", "give `fraction` or `count`, not both")
		}
		if s.Op == "drop" && s.Via != "" && s.Via != "finalizer" && s.Via != "cleanup" {
			return nil, bad(p+".via", "must be \"finalizer\" or \"cleanup\"")
		}
		if s.Cycle && s.Via == "" {
			return nil, bad(p+".cycle", "a cycle goes through a wrapper: give `via`")
		}
		if s.Hold != nil && s.DeleteVisited {
			return nil, bad(p+".delete_visited", "a held iterator deletes nothing")
		}
		if s.Times != nil {
			if err := s.Times.static(p + ".times"); err != nil {
				return nil, err
			}
		}
		if s.Op == "repeat" {
			inner, err := parseSteps(s.Steps, p+".steps")
			if err != nil {
				return nil, err
			}
			s.inner = inner
		}
		out = append(out, s)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ---- Counts (WorkloadCount.swift) ----
//
//	count  := term (("+" | "-") term)*
//	term   := factor (("*" | "/")? factor)*
//	factor := integer | decimal | name | name "(" count ("," count)* ")" | "(" count ")"
//
// A term is exact (decimals as fractions) and rounded down at its end; a
// function's arguments are rounded down before the call.

type exprKind int

const (
	litExpr exprKind = iota
	fracExpr
	nameExpr
	callExpr
	sumExpr
	productExpr
)

type expr struct {
	kind  exprKind
	n, d  int64 // literal n; fraction n/d
	name  string
	args  []*expr
	signs []bool // sum: true subtracts; product: true divides
}

type count struct {
	expr *expr
	text string
}

func (c *count) UnmarshalJSON(data []byte) error {
	var n int64
	if json.Unmarshal(data, &n) == nil {
		c.expr, c.text = &expr{kind: litExpr, n: n}, string(data)
		return nil
	}
	var s string
	if json.Unmarshal(data, &s) != nil {
		return errors.New(`must be a whole number or a count such as "keys", "0.5 keys" or "threshold(keys/2) + 1"`)
	}
	p := &exprParser{s: s}
	e, err := p.sum()
	if err == nil {
		p.space()
		if p.i < len(p.s) {
			err = fmt.Errorf("unexpected '%s' in count '%s'", p.rest(), s)
		}
	}
	if err != nil {
		return err
	}
	c.expr, c.text = e, s
	return nil
}

func (c *count) String() string { return c.text }

// static refuses a repeat count that reads the map (known only while the
// workload runs).
func (c *count) static(path string) error {
	for _, n := range []string{"live", "slots", "threshold"} {
		if c.expr.uses(n) {
			return bad(path, "a repeat count cannot use '%s' (known only while the workload runs)", n)
		}
	}
	return nil
}

func (e *expr) uses(name string) bool {
	if e.name == name {
		return true
	}
	for _, a := range e.args {
		if a.uses(name) {
			return true
		}
	}
	return false
}

var staticNames = []string{"keys", "window", "bursts", "i"}
var dynamicNames = []string{"slots", "live"}
var functionArity = map[string][2]int{"threshold": {1, 1}, "max": {2, 8}, "min": {2, 8}}

type exprParser struct {
	s string
	i int
}

func (p *exprParser) space() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}
func (p *exprParser) peek() byte {
	p.space()
	if p.i >= len(p.s) {
		return 0
	}
	return p.s[p.i]
}
func (p *exprParser) rest() string {
	r := p.s[p.i:]
	if len(r) > 20 {
		r = r[:20]
	}
	return r
}
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c == '_' }

func (p *exprParser) sum() (*expr, error) {
	t, err := p.product()
	if err != nil {
		return nil, err
	}
	e := &expr{kind: sumExpr, args: []*expr{t}, signs: []bool{false}}
	for c := p.peek(); c == '+' || c == '-'; c = p.peek() {
		p.i++
		t, err := p.product()
		if err != nil {
			return nil, err
		}
		e.args, e.signs = append(e.args, t), append(e.signs, c == '-')
	}
	if len(e.args) == 1 {
		return t, nil
	}
	return e, nil
}

func (p *exprParser) product() (*expr, error) {
	f, err := p.factor()
	if err != nil {
		return nil, err
	}
	e := &expr{kind: productExpr, args: []*expr{f}, signs: []bool{false}}
	for {
		c := p.peek()
		divide := false
		if c == '*' || c == '/' {
			p.i++
			divide = c == '/'
		} else if !(c == '(' || isDigit(c) || isLetter(c)) || c == 0 {
			break
		}
		f, err := p.factor()
		if err != nil {
			return nil, err
		}
		e.args, e.signs = append(e.args, f), append(e.signs, divide)
	}
	if len(e.args) == 1 {
		return f, nil
	}
	return e, nil
}

func (p *exprParser) factor() (*expr, error) {
	c := p.peek()
	switch {
	case c == 0:
		return nil, errors.New("a count is missing a number or a name at its end")
	case c == '(':
		p.i++
		inner, err := p.sum()
		if err != nil {
			return nil, err
		}
		if p.peek() != ')' {
			return nil, errors.New("missing ')'")
		}
		p.i++
		return inner, nil
	case isDigit(c):
		return p.number()
	case isLetter(c):
		start := p.i
		for p.i < len(p.s) && (isLetter(p.s[p.i]) || isDigit(p.s[p.i])) {
			p.i++
		}
		name := p.s[start:p.i]
		if p.peek() == '(' {
			arity, ok := functionArity[name]
			if !ok {
				return nil, fmt.Errorf("unknown function '%s'", name)
			}
			p.i++
			var args []*expr
			for {
				a, err := p.sum()
				if err != nil {
					return nil, err
				}
				args = append(args, a)
				if p.peek() != ',' {
					break
				}
				p.i++
			}
			if p.peek() != ')' {
				return nil, fmt.Errorf("missing ')' after %s's arguments", name)
			}
			p.i++
			if len(args) < arity[0] || len(args) > arity[1] {
				return nil, fmt.Errorf("%s takes %d…%d argument(s)", name, arity[0], arity[1])
			}
			return &expr{kind: callExpr, name: name, args: args}, nil
		}
		if !contains(staticNames, name) && !contains(dynamicNames, name) {
			return nil, fmt.Errorf("unknown name '%s'; counts may use bursts, i, keys, live, slots, window", name)
		}
		return &expr{kind: nameExpr, name: name}, nil
	}
	return nil, fmt.Errorf("unexpected '%s'", p.rest())
}

func (p *exprParser) number() (*expr, error) {
	var n, d int64 = 0, 1
	seenPoint, digits := false, 0
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case isDigit(c):
			if n > (math.MaxInt64-9)/10 {
				return nil, errors.New("number too large")
			}
			n = n*10 + int64(c-'0')
			digits++
			if seenPoint {
				if d > math.MaxInt64/10 {
					return nil, errors.New("too many decimals")
				}
				d *= 10
			}
		case c == '.' && !seenPoint:
			seenPoint = true
		case c == '_' && !seenPoint:
		case (c == 'e' || c == 'E') && !seenPoint:
			p.i++
			e, start := 0, p.i
			for p.i < len(p.s) && isDigit(p.s[p.i]) {
				e = e*10 + int(p.s[p.i]-'0')
				p.i++
				if e > 18 {
					break
				}
			}
			if p.i == start || e > 18 {
				return nil, errors.New("bad exponent")
			}
			for ; e > 0; e-- {
				if n > math.MaxInt64/10 {
					return nil, errors.New("number too large")
				}
				n *= 10
			}
			return &expr{kind: litExpr, n: n}, nil
		default:
			goto done
		}
		p.i++
	}
done:
	if digits == 0 {
		return nil, errors.New("a number needs digits")
	}
	if d == 1 {
		return &expr{kind: litExpr, n: n}, nil
	}
	return &expr{kind: fracExpr, n: n, d: d}, nil
}

var errOverflow = errors.New("count overflows")

// eval is the count's value: lookup gives a name's, threshold the map's
// growth threshold.
func (e *expr) eval(lookup func(string) (int64, bool), threshold func(int64) int64) (int64, error) {
	n, d, err := e.exact(lookup, threshold)
	if err != nil {
		return 0, err
	}
	q := n / d
	if n%d != 0 && (n < 0) != (d < 0) {
		q--
	}
	return q, nil
}

func (e *expr) exact(lookup func(string) (int64, bool), threshold func(int64) int64) (int64, int64, error) {
	switch e.kind {
	case litExpr:
		return e.n, 1, nil
	case fracExpr:
		return e.n, e.d, nil
	case nameExpr:
		v, ok := lookup(e.name)
		if !ok {
			return 0, 0, fmt.Errorf("'%s' has no value here", e.name)
		}
		return v, 1, nil
	case callExpr:
		var vals []int64
		for _, a := range e.args {
			v, err := a.eval(lookup, threshold)
			if err != nil {
				return 0, 0, err
			}
			vals = append(vals, v)
		}
		switch e.name {
		case "threshold":
			if vals[0] < 0 {
				vals[0] = 0
			}
			return threshold(vals[0]), 1, nil
		case "max":
			sort.Slice(vals, func(i, j int) bool { return vals[i] > vals[j] })
		default:
			sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
		}
		return vals[0], 1, nil
	case sumExpr:
		var total int64
		for k, t := range e.args {
			v, err := t.eval(lookup, threshold)
			if err != nil {
				return 0, 0, err
			}
			if e.signs[k] {
				v = -v
			}
			r := total + v
			if (v > 0 && r < total) || (v < 0 && r > total) {
				return 0, 0, errOverflow
			}
			total = r
		}
		return total, 1, nil
	}
	var n, d int64 = 1, 1
	for k, f := range e.args {
		fn, fd, err := f.exact(lookup, threshold)
		if err != nil {
			return 0, 0, err
		}
		a, b := fn, fd
		if e.signs[k] {
			a, b = fd, fn
		}
		if b == 0 {
			return 0, 0, errors.New("division by zero")
		}
		n2, ok1 := mulExact(n, a)
		d2, ok2 := mulExact(d, b)
		if !ok1 || !ok2 {
			return 0, 0, errOverflow
		}
		n, d = reduced(n2, d2)
	}
	return n, d, nil
}

func mulExact(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	c := a * b
	return c, c/b == a && !(a == -1 && b == math.MinInt64) && !(b == -1 && a == math.MinInt64)
}

func reduced(n, d int64) (int64, int64) {
	a, b := n, d
	if a < 0 {
		a = -a
	}
	if b < 0 {
		b = -b
	}
	for b != 0 {
		a, b = b, a%b
	}
	if a < 1 {
		a = 1
	}
	if d < 0 {
		return -n / a, -d / a
	}
	return n / a, d / a
}

// ---- The program: phases unrolled into a flat list of actions ----

type actionKind int

const (
	doStep   actionKind = iota // one step
	doBegin                    // a phase begins: its counts are evaluated (Workload+Run.swift expectedOps)
	doEnd                      // a phase ends: a row
	doSettle                   // idle, then freeos
)

type action struct {
	kind  actionKind
	step  *step
	steps []*step // doBegin: the phase's operations
	phase string
}

type sizes struct{ keys, window, bursts int64 }

func (z sizes) lookup(i int64, hasI bool) func(string) (int64, bool) {
	return func(name string) (int64, bool) {
		switch name {
		case "keys":
			return z.keys, true
		case "window":
			return z.window, true
		case "bursts":
			return z.bursts, true
		case "i":
			return i, hasI
		}
		return 0, false
	}
}

func expandName(template string, lookup func(string) (int64, bool)) (string, error) {
	var out strings.Builder
	rest := template
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			break
		}
		close := strings.IndexByte(rest[open:], '}')
		if close < 0 {
			return "", fmt.Errorf("'{' without '}' in '%s'", template)
		}
		var c count
		q, _ := json.Marshal(rest[open+1 : open+close])
		if err := c.UnmarshalJSON(q); err != nil {
			return "", err
		}
		v, err := c.expr.eval(lookup, func(n int64) int64 { return n })
		if err != nil {
			return "", err
		}
		out.WriteString(rest[:open])
		fmt.Fprint(&out, v)
		rest = rest[open+close+1:]
	}
	return out.String() + rest, nil
}

// program unrolls the file's phases at these sizes and checks what Go can
// run: names unique, the headline one of them, no pins (Go has no pointer
// into a map's storage: &m[k] is not allowed), held iterators released in
// the order range loops nest.
func (s *workloadSpec) program(z sizes, settle bool) ([]action, error) {
	var out []action
	seen := map[string]bool{}
	var names []string
	var walk func(items []phaseItem, i int64, hasI bool) error
	walk = func(items []phaseItem, i int64, hasI bool) error {
		for _, it := range items {
			if it.isBlock {
				n, err := it.repeat.expr.eval(z.lookup(i, hasI), func(n int64) int64 { return n })
				if err != nil {
					return bad(it.path+".repeat", "%v", err)
				}
				if n < 1 || n > 10000 {
					return bad(it.path+".repeat", "is %d here; must be 1…10000", n)
				}
				for k := int64(1); k <= n; k++ {
					if err := walk(it.phases, k, true); err != nil {
						return err
					}
				}
				continue
			}
			name, err := expandName(it.name, z.lookup(i, hasI))
			if err != nil {
				return bad(it.path+".name", "%v", err)
			}
			if name == "idle" || name == "freeos" {
				return bad(it.path+".name", "'%s' is the name of a settle phase", name)
			}
			if seen[name] {
				return bad(it.path+".name", "phase '%s' appears twice", name)
			}
			seen[name] = true
			names = append(names, name)
			k := 0
			for k < len(it.steps) && it.steps[k].isSetup() {
				out = append(out, action{kind: doStep, step: it.steps[k]})
				k++
			}
			out = append(out, action{kind: doBegin, steps: it.steps[k:]})
			for ; k < len(it.steps); k++ {
				out = append(out, action{kind: doStep, step: it.steps[k]})
			}
			out = append(out, action{kind: doEnd, phase: name})
		}
		return nil
	}
	if err := walk(s.items, 0, false); err != nil {
		return nil, err
	}
	settle = settle && (s.Settle == nil || *s.Settle)
	headline, err := expandName(s.Headline, z.lookup(0, false))
	if err != nil {
		return nil, bad("headline", "%v", err)
	}
	if !seen[headline] && !(settle && (headline == "idle" || headline == "freeos")) {
		return nil, bad("headline", "'%s' is not one of the phases (%s)", headline, strings.Join(names, ", "))
	}
	if settle {
		out = append(out, action{kind: doSettle})
	}
	var held []string
	var check func(steps []*step, inRepeat bool) error
	check = func(steps []*step, inRepeat bool) error {
		for _, st := range steps {
			switch st.Op {
			case "pin", "unpin":
				return bad(st.path, "'%s' cannot run on Go: a Go program has no pointer into a map's storage (&m[k] is not allowed)", st.Op)
			case "drop":
				sh := s.shape
				oneOfTheBuiltIns := sh.maps == 1 && (sh.key == keyUint64 && (sh.value == valueUint64 || sh.value == valuePointer) ||
					sh.key == keyString && sh.value == valuePointer)
				if st.Via != "" && !oneOfTheBuiltIns {
					return bad(st.path+".via", "a drop via a %s runs on Go on the built-ins' shapes only (one map; uint64 keys to uint64 or pointer values, or string keys to pointers)", st.Via)
				}
				if st.Cycle && !(sh.maps == 1 && sh.key == keyUint64 && sh.value == valuePointer) {
					return bad(st.path+".cycle", "a value points back to the wrapper only in one map of uint64 keys to pointers")
				}
			case "iterate":
				if st.Hold != nil {
					if inRepeat || contains(held, *st.Hold) {
						return bad(st.path+".hold", "iterator '%s' cannot be held here", *st.Hold)
					}
					held = append(held, *st.Hold)
				}
			case "release":
				if inRepeat || len(held) == 0 || !contains(held, *st.Name) {
					return bad(st.path+".name", "no iterator '%s' is held here", *st.Name)
				}
				if held[len(held)-1] != *st.Name {
					return bad(st.path+".name", "releases '%s' before '%s': on Go a held iterator is an open range loop, and range loops nest (release the last held first)", *st.Name, held[len(held)-1])
				}
				held = held[:len(held)-1]
			case "repeat":
				if err := check(st.inner, true); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, a := range out {
		if a.kind == doStep {
			if err := check([]*step{a.step}, false); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// isSetup: a step that is no operation runs before its phase begins.
func (s *step) isSetup() bool {
	return s.Op == "make" || s.Op == "pin" || (s.Op == "iterate" && s.Hold != nil)
}

// ---- Memory outside Go's heap, for the interpreter's bookkeeping ----

// offHeap maps n zeroed elements of T outside the Go heap; free unmaps them.
func offHeap[T any](n int) []T {
	if n == 0 {
		return nil
	}
	var zero T
	size := uintptr(n) * unsafe.Sizeof(zero)
	p, _, errno := syscall.Syscall6(syscall.SYS_MMAP, 0, size, syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_ANON|syscall.MAP_PRIVATE, ^uintptr(0), 0)
	if errno != 0 {
		fail("mmap: " + errno.Error())
	}
	return unsafe.Slice((*T)(*(*unsafe.Pointer)(unsafe.Pointer(&p))), n)
}

func free[T any](s []T) {
	if cap(s) == 0 {
		return
	}
	var zero T
	s = s[:cap(s)]
	syscall.Syscall(syscall.SYS_MUNMAP, uintptr(unsafe.Pointer(&s[0])), uintptr(cap(s))*unsafe.Sizeof(zero), 0)
}

// grow returns s with room for at least n elements (its length unchanged).
func grow[T any](s []T, n int) []T {
	if n <= cap(s) {
		return s
	}
	c := 2 * cap(s)
	if c < n {
		c = n
	}
	if c < 1024 {
		c = 1024
	}
	t := offHeap[T](c)[:len(s)]
	copy(t, s)
	free(s)
	return t
}

// ---- Running a file ----

type mapForm int

const (
	formWords    mapForm = iota // map[uint64]uint64: the value is the key's index
	formPayloads                // map[uint64]*payload
	formStrings                 // map[string]*payload
	formGeneral                 // any other shape, or M maps (general.go)
)

type stepRunner struct {
	rec    *recorder
	spec   *workloadSpec
	sizes  sizes
	seed   uint64
	form   mapForm
	hasMap bool
	words  map[uint64]uint64
	ptrs   map[uint64]unsafe.Pointer
	strs   map[string]unsafe.Pointer
	sm     *sync.Map // -map syncmap: the map instead (syncmap.go)

	g    *general // formGeneral's maps
	maps int      // M

	payload reflect.Type // the map's payload, when of one size (nil: none)
	// payloadSize: a live key's payload size when an insert's `bytes` set
	// it (0: the map's), by key index, off Go's heap like the live set.
	payloadSize    []int32
	payloadTypes   map[int]reflect.Type
	payloadBytes   int // the map's payload size, when of one size
	payMin, payMax int // the map's payload sizes (a distribution when min < max)
	keyKind        keyKind
	keyMin, keyMax int // a string key's lengths
	sprintf        bool
	keyBuf         []byte

	// The live key indices in insertion order, as Workload+Run.swift keeps
	// them (the same layout, so the same random draws pick the same keys).
	next      int
	order     []int
	position  []int32
	head      int
	liveCount int
	rng       splitMix
	missIndex int
	samplers  map[string]*zipf
	held      []string
	sum       uint64
}

func runWorkloadFile(r *recorder, spec *workloadSpec) {
	o := r.opts
	z := sizes{int64(o.keys), int64(o.window), int64(o.bursts)}
	applyLimits(spec, z)
	prog, err := spec.program(z, o.settle)
	if err != nil {
		failFile(o.workloadFile + ": " + err.Error())
	}
	if skipWithoutCleanup(o.workloadFile, prog) {
		return
	}
	s := &stepRunner{rec: r, spec: spec, sizes: z, seed: o.seed ^ spec.Seed, missIndex: 1 << 52,
		samplers: map[string]*zipf{}}
	s.rng = splitMix{s.seed ^ 0x57E9}
	sh := spec.shape
	switch {
	case o.form == "general" || sh.maps > 1:
		s.form = formGeneral
	case sh.key == keyUint64 && sh.value == valueUint64:
		s.form = formWords
	case sh.key == keyUint64 && sh.value == valuePointer:
		s.form = formPayloads
	case sh.key == keyString && sh.value == valuePointer:
		s.form = formStrings
	default:
		s.form = formGeneral
	}
	if syncMapRun && s.form == formGeneral {
		failFile(o.workloadFile + ": -map syncmap runs the built-ins' single-map shapes (uint64 or string keys, uint64 or pointer values) only")
	}
	switch {
	case sh.value == valuePointer && sh.payMin != 0:
		s.payMin, s.payMax = sh.payMin, sh.payMax
	case sh.value == valueStruct && sh.structPayload != nil:
		s.payMin, s.payMax = *sh.structPayload, *sh.structPayload
	default:
		if o.payloadBytes < minPayload || o.payloadBytes > maxPayload {
			failFile("payload bytes must be 8…1048576")
		}
		s.payMin, s.payMax = o.payloadBytes, o.payloadBytes
	}
	if s.payMin == s.payMax {
		s.payloadBytes = s.payMin
		if s.payloadBytes > 0 {
			s.payload = reflect.ArrayOf(s.payloadBytes, reflect.TypeOf(byte(0)))
		}
	}
	s.maps = sh.maps
	s.keyKind, s.keyMin, s.keyMax, s.sprintf = sh.key, sh.keyMin, sh.keyMax, sh.sprintf
	s.keyBuf = offHeap[byte](sh.keyMax)
	if s.form == formGeneral {
		holds := 0
		for _, a := range prog {
			if a.kind == doStep && a.step.Op == "iterate" && a.step.Hold != nil {
				holds++
			}
		}
		s.g = newGeneral(sh, s.payloadBytes, holds)
	}
	r.rows = make([]phaseRow, 0, len(prog)+2)
	r.markBaseline()
	// The map is made as the workload starts, unless its first step makes one.
	if len(prog) == 0 || prog[0].kind != doStep || prog[0].step.Op != "make" {
		s.currentMap()
	}
	s.exec(prog, 0, "\x00")
	runtime.KeepAlive(s)
}

// exec runs the program from pc; inside a held iterator's range loop it
// returns after the release of `holding`, with the pc after it.
func (s *stepRunner) exec(prog []action, pc int, holding string) int {
	for ; pc < len(prog); pc++ {
		a := prog[pc]
		switch a.kind {
		case doBegin:
			for _, st := range a.steps {
				s.expectedOps(st)
			}
		case doEnd:
			s.rec.liveKeys = s.liveCount
			s.rec.endPhase(a.phase)
		case doSettle:
			s.rec.liveKeys = s.liveCount
			s.rec.settle()
		case doStep:
			st := a.step
			if st.Op == "release" && *st.Name == holding {
				return pc + 1
			}
			if st.Op == "iterate" && st.Hold != nil {
				pc = s.hold(prog, pc, st) - 1
				continue
			}
			s.run(st)
		}
	}
	return pc
}

func (s *stepRunner) fail(st *step, err error) {
	fail(s.rec.opts.workloadFile + ": " + st.path + ": " + err.Error())
}

func (s *stepRunner) value(name string) (int64, bool) {
	switch name {
	case "keys":
		return s.sizes.keys, true
	case "window":
		return s.sizes.window, true
	case "bursts":
		return s.sizes.bursts, true
	case "slots":
		s.currentMap()
		return int64(s.slots()), true
	case "live":
		return int64(s.liveCount), true
	}
	return 0, false
}

func (s *stepRunner) eval(c *count, st *step) int {
	v, err := c.expr.eval(s.value, func(n int64) int64 {
		// M maps: M × one map's threshold at ⌈n/M⌉.
		s.currentMap()
		m := int64(s.maps)
		return m * int64(growthThreshold(int((n+m-1)/m)))
	})
	if err == nil && v < 0 {
		err = fmt.Errorf("a count is %d (%s); counts must not be negative", v, c)
	}
	if err != nil {
		s.fail(st, err)
	}
	return int(v)
}

// expectedOps evaluates the counts the lab evaluates as a phase begins (a
// count that reads the map makes one, as there).
func (s *stepRunner) expectedOps(st *step) {
	switch st.Op {
	case "insert", "delete", "lookup", "update", "cache", "churn":
		s.eval(st.Count, st)
	case "iterate":
		if st.Hold == nil && st.Count != nil {
			s.eval(st.Count, st)
		}
	case "repeat":
		s.eval(st.Times, st)
		for _, in := range st.inner {
			s.expectedOps(in)
		}
	}
}

func (s *stepRunner) hintOf(st *step) int {
	if st != nil && st.Hint != nil {
		return s.eval(st.Hint, st)
	}
	if s.spec.shape.hint != nil {
		return s.eval(s.spec.shape.hint, &step{path: "map.hint"})
	}
	return s.rec.opts.hint
}

// currentMap makes the map, as Go's make, when there is none.
func (s *stepRunner) currentMap() {
	if !s.hasMap {
		s.makeMap(s.hintOf(nil))
	}
}

func (s *stepRunner) makeMap(hint int) {
	s.words, s.ptrs, s.strs, s.sm = nil, nil, nil, nil
	switch {
	case syncMapRun:
		s.sMake() // sync.Map takes no hint
	case s.form == formGeneral:
		s.gMake(hint)
	case s.form == formWords:
		s.words = make(map[uint64]uint64, hint)
	case s.form == formPayloads:
		s.ptrs = make(map[uint64]unsafe.Pointer, hint)
	case s.form == formStrings:
		s.strs = make(map[string]unsafe.Pointer, hint)
	}
	s.hasMap = true
}

func (s *stepRunner) dropMap() {
	s.words, s.ptrs, s.strs, s.sm = nil, nil, nil, nil
	if s.g != nil {
		s.gDrop()
	}
	s.hasMap = false
}

func (s *stepRunner) header() unsafe.Pointer {
	switch s.form {
	case formWords:
		return *(*unsafe.Pointer)(unsafe.Pointer(&s.words))
	case formPayloads:
		return *(*unsafe.Pointer)(unsafe.Pointer(&s.ptrs))
	}
	return *(*unsafe.Pointer)(unsafe.Pointer(&s.strs))
}

// classicHeader is the start of runtime.hmap (map.go, Go 1.19–1.23).
type classicHeader struct {
	count     int
	flags     uint8
	B         uint8
	noverflow uint16
	hash0     uint32
	buckets   unsafe.Pointer
}

// slots is the map's slot capacity as Go allocated it, read from its header
// (the lab's MapModel.slotCapacity): classic, 8 per bucket of the array
// (none before the first bucket array); Swiss, every table's capacity, or 8
// for a small map's one group.
func (s *stepRunner) slots() int {
	if syncMapRun {
		return s.sSlots()
	}
	if s.form == formGeneral {
		return s.gSlots()
	}
	return slotsOf(s.header())
}

// slotsOf is the slot capacity of the map whose header is at h.
func slotsOf(h unsafe.Pointer) int {
	if h == nil {
		return 0
	}
	if !swissMaps() {
		c := (*classicHeader)(h)
		if c.buckets == nil {
			return 0
		}
		return 8 << c.B
	}
	m := (*swissMapHeader)(h)
	if m.dirLen == 0 {
		if m.dirPtr == nil {
			return 0
		}
		return 8
	}
	if m.dirLen&(m.dirLen-1) != 0 || m.dirLen != 1<<m.globalDepth {
		fail("the map header does not read as Go 1.24-1.27's: directory length " + fmt.Sprint(m.dirLen))
	}
	dir := unsafe.Slice((**swissTable)(m.dirPtr), m.dirLen)
	total := 0
	for i, t := range dir {
		if i == 0 || t != dir[i-1] { // a table's directory entries are adjacent
			total += int(t.capacity)
		}
	}
	return total
}

func (s *stepRunner) key(i int) uint64 { return mix(uint64(i) ^ s.seed) }

// Salts of the size distributions (docs/workload-files.md): "keylen",
// "payload".
const keyLengthSalt, payloadSizeSalt = 0x6b65796c656e, 0x7061796c6f6164

// writeKey puts key k's string in keyBuf — 16 hex digits, then '.' up to
// its length — and returns the length.
func (s *stepRunner) writeKey(k uint64) int {
	n := s.keyMin
	if s.keyMax > s.keyMin {
		n += int(mix(k^keyLengthSalt) % uint64(s.keyMax-s.keyMin+1))
	}
	for d := 0; d < 16; d++ {
		s.keyBuf[d] = "0123456789abcdef"[(k>>(60-4*uint(d)))&0xF]
	}
	for d := 16; d < n; d++ {
		s.keyBuf[d] = '.'
	}
	return n
}

// mapPayloadSize is the map's payload size for key k (an insert's `bytes`
// aside): the file's size, or its distribution's draw for k.
func (s *stepRunner) mapPayloadSize(k uint64) int {
	if s.payMax > s.payMin {
		return s.payMin + int(mix(k^payloadSizeSalt)%uint64(s.payMax-s.payMin+1))
	}
	return s.payloadBytes
}

// newPayload makes a payload (noscan, first word k) of `size` bytes, 0:
// the map's size for k (nil when that is 0: a struct's nil pointers).
func (s *stepRunner) newPayload(k uint64, size int) unsafe.Pointer {
	t := s.payload
	if size == 0 && s.payMax > s.payMin {
		// A distribution's size, one of up to a million: an array type
		// each would fill the heap with types; make([]byte) allocates as
		// new([size]byte) does (the same noscan object).
		b := make([]byte, s.mapPayloadSize(k))
		p := unsafe.Pointer(&b[0])
		*(*uint64)(p) = k
		return p
	}
	if size == 0 && t == nil {
		return nil
	}
	if size != 0 {
		if s.payloadTypes == nil {
			s.payloadTypes = map[int]reflect.Type{}
		}
		if t = s.payloadTypes[size]; t == nil {
			t = reflect.ArrayOf(size, reflect.TypeOf(byte(0)))
			s.payloadTypes[size] = t
		}
	}
	p := reflect.New(t).UnsafePointer()
	*(*uint64)(p) = k
	return p
}

// insertSized inserts key i; a new key's payload has `bytes` bytes (nil or
// the map's size: the map's), an updated key keeps its size.
func (s *stepRunner) insertSized(i int, bytes *int) {
	size := 0
	if !s.isLive(i) {
		if bytes != nil && *bytes != s.mapPayloadSize(s.key(i)) {
			size = *bytes
		}
	} else if i < len(s.payloadSize) {
		size = int(s.payloadSize[i])
	}
	s.insertWith(i, size)
	if size != 0 {
		if len(s.payloadSize) < len(s.position) {
			old := len(s.payloadSize)
			s.payloadSize = grow(s.payloadSize, len(s.position))[:len(s.position)]
			for k := old; k < len(s.payloadSize); k++ {
				s.payloadSize[k] = 0
			}
		}
		s.payloadSize[i] = int32(size)
	}
}

func (s *stepRunner) insert(i int) {
	size := 0
	if s.isLive(i) && i < len(s.payloadSize) {
		size = int(s.payloadSize[i])
	}
	s.insertWith(i, size)
}

func (s *stepRunner) insertWith(i int, size int) {
	s.currentMap()
	k := s.key(i)
	switch {
	case syncMapRun:
		s.sInsert(i, size)
	case s.form == formGeneral:
		s.gInsert(i, size)
	case s.form == formWords:
		s.words[k] = uint64(i)
	case s.form == formPayloads:
		s.ptrs[k] = s.newPayload(k, size)
	case s.form == formStrings:
		if s.sprintf {
			s.strs[fmt.Sprintf("%016x", k)] = s.newPayload(k, size)
		} else {
			n := s.writeKey(k)
			s.strs[string(s.keyBuf[:n])] = s.newPayload(k, size)
		}
	}
	if !s.isLive(i) {
		s.markLive(i)
	}
	sampleReady()
}

func (s *stepRunner) delete(i int) {
	if !s.hasMap || !s.isLive(i) {
		return
	}
	k := s.key(i)
	switch {
	case syncMapRun:
		s.sDelete(k)
	case s.form == formGeneral:
		s.gDelete(k)
	case s.form == formWords:
		delete(s.words, k)
	case s.form == formPayloads:
		delete(s.ptrs, k)
	case s.form == formStrings:
		// The program's own bytes, as the lab's probe.
		n := s.writeKey(k)
		delete(s.strs, string(s.keyBuf[:n]))
	}
	s.markDead(i)
}

func (s *stepRunner) lookup(i int) bool {
	s.currentMap()
	k := s.key(i)
	var hit bool
	switch {
	case syncMapRun:
		hit = s.sLookup(k)
	case s.form == formGeneral:
		hit = s.gLookup(k)
	case s.form == formWords:
		_, hit = s.words[k]
	case s.form == formPayloads:
		_, hit = s.ptrs[k]
	case s.form == formStrings:
		n := s.writeKey(k)
		_, hit = s.strs[string(s.keyBuf[:n])]
	}
	return hit
}

// keyIndex: the index of the key a payload holds (its first word is the
// key, mix(i ^ seed)).
func (s *stepRunner) keyIndex(p unsafe.Pointer) int {
	return int(unmix(*(*uint64)(p)) ^ s.seed)
}

func unmix(y uint64) uint64 {
	inverse := func(m uint64) uint64 {
		x := m
		for i := 0; i < 6; i++ {
			x *= 2 - m*x
		}
		return x
	}
	z := y ^ (y >> 31) ^ (y >> 62)
	z *= inverse(0x94D049BB133111EB)
	z = z ^ (z >> 27) ^ (z >> 54)
	z *= inverse(0xBF58476D1CE4E5B9)
	return z ^ (z >> 30) ^ (z >> 60)
}

// nextBelow is Swift's `generator.next(upperBound:)` (Lemire's method), so
// that shuffles draw what the lab's `shuffle(using:)` draws.
func (s *stepRunner) nextBelow(bound uint64) uint64 {
	hi, lo := bits.Mul64(s.rng.next(), bound)
	if lo < bound {
		t := -bound % bound
		for lo < t {
			hi, lo = bits.Mul64(s.rng.next(), bound)
		}
	}
	return hi
}

// shuffle is Swift's MutableCollection.shuffle(using:).
func (s *stepRunner) shuffle(a []int) {
	for i, amount := 0, len(a); amount > 1; i, amount = i+1, amount-1 {
		j := int(s.nextBelow(uint64(amount)))
		a[i], a[i+j] = a[i+j], a[i]
	}
}

func (s *stepRunner) run(st *step) {
	switch st.Op {
	case "insert":
		n := s.eval(st.Count, st)
		if st.Order == "zipf" {
			// Popular keys drawn again are updates, as a cache refill's.
			universe := int(s.sizes.keys)
			if st.Universe != nil {
				universe = s.eval(st.Universe, st)
			}
			z := s.sampler(universe, st.Zipf)
			for k := 0; k < n; k++ {
				s.insertSized(z.next(), st.Bytes)
			}
			if universe > s.next {
				s.next = universe
			}
			break
		}
		start := s.next
		if st.First != nil {
			start = s.eval(st.First, st)
		}
		if st.Order == "random" {
			idx := offHeap[int](n)
			for k := range idx {
				idx[k] = start + k
			}
			s.shuffle(idx)
			for _, i := range idx {
				s.insertSized(i, st.Bytes)
			}
			free(idx)
		} else {
			for i := start; i < start+n; i++ {
				s.insertSized(i, st.Bytes)
			}
		}
		if start+n > s.next {
			s.next = start + n
		}
	case "delete":
		which := st.Which
		if which == "" {
			which = "oldest"
		}
		chosen := s.pick(s.eval(st.Count, st), which)
		for p, i := range chosen {
			if st.KeepEvery != nil && p%*st.KeepEvery == 0 {
				continue
			}
			if st.Every != nil && p%*st.Every != 0 {
				continue
			}
			s.delete(i)
		}
		free(chosen)
	case "lookup":
		n := s.eval(st.Count, st)
		hit := 1.0
		if st.Hit != nil {
			hit = *st.Hit
		}
		for k := 0; k < n; k++ {
			if s.liveCount > 0 && (hit >= 1 || float64(s.rng.next()>>11)/float64(uint64(1)<<53) < hit) {
				s.lookup(s.randomLive())
			} else {
				s.lookup(s.missIndex)
				s.missIndex++
			}
		}
	case "update":
		n := s.eval(st.Count, st)
		for k := 0; k < n; k++ {
			if s.liveCount > 0 {
				s.insert(s.randomLive())
			}
		}
	case "churn":
		n := s.eval(st.Count, st)
		window := s.eval(st.Window, st)
		for k := 0; k < n; k++ {
			if st.Evict == "before" {
				for s.liveCount >= window {
					o, ok := s.oldest()
					if !ok {
						break
					}
					s.delete(o)
				}
				s.insert(s.next)
				s.next++
			} else {
				s.insert(s.next)
				s.next++
				for s.liveCount > window {
					o, ok := s.oldest()
					if !ok {
						break
					}
					s.delete(o)
				}
			}
		}
	case "cache":
		n := s.eval(st.Count, st)
		capacity := s.eval(st.Capacity, st)
		universe := int(s.sizes.keys)
		if st.Universe != nil {
			universe = s.eval(st.Universe, st)
		}
		z := s.sampler(universe, st.Zipf)
		for k := 0; k < n; k++ {
			rank := z.next()
			if s.lookup(rank) {
				continue
			}
			for s.liveCount >= capacity {
				o, ok := s.oldest()
				if !ok {
					break
				}
				s.delete(o)
			}
			s.insert(rank)
		}
		if universe > s.next {
			s.next = universe
		}
	case "iterate":
		s.currentMap()
		whole := st.Count == nil && (st.Fraction == nil || *st.Fraction >= 1) && !st.DeleteVisited
		steps := 0
		if st.Count != nil {
			steps = s.eval(st.Count, st)
		} else {
			f := 1.0
			if st.Fraction != nil {
				f = *st.Fraction
			}
			steps = int(math.Ceil(float64(s.liveCount) * f))
		}
		s.iterate(whole, steps, st.DeleteVisited)
	case "clear":
		s.currentMap()
		switch {
		case syncMapRun:
			sClear(s.sm)
		case s.form == formGeneral:
			s.gClear()
		case s.form == formWords:
			clearMap(s.words)
		case s.form == formPayloads:
			clearMap(s.ptrs)
		case s.form == formStrings:
			clearMap(s.strs)
		}
		s.forgetLive()
	case "range-delete":
		s.currentMap()
		switch {
		case syncMapRun:
			sRangeDelete(s.sm)
		case s.form == formGeneral:
			s.gClear()
		case s.form == formWords:
			rangeDeleteWords(s.words)
		case s.form == formPayloads:
			rangeDeletePtrs(s.ptrs)
		case s.form == formStrings:
			rangeDeleteStrs(s.strs)
		}
		s.forgetLive()
	case "make":
		// The hint is evaluated with the old map gone, as the lab does.
		s.dropMap()
		s.forgetLive()
		s.makeMap(s.hintOf(st))
	case "rebuild":
		hint := s.hintOf(st)
		s.dropMap()
		s.forgetLive()
		s.makeMap(hint)
	case "drop":
		if st.Via != "" {
			s.dropVia(st)
		} else {
			s.dropMap()
		}
		s.forgetLive()
	case "await-finalizers":
		awaitFinalizers()
	case "repeat":
		times := s.eval(st.Times, st)
		for t := 0; t < times; t++ {
			for _, in := range st.inner {
				s.run(in)
			}
		}
	case "idle":
		waitForScavenger()
	case "freeos":
		debug.FreeOSMemory()
	default:
		s.fail(st, fmt.Errorf("'%s' cannot run on Go", st.Op))
	}
}

// iterate is a range loop over the map: all of it, or `steps` entries,
// deleting each visited when told (Go allows deletes during a range loop).
func (s *stepRunner) iterate(whole bool, steps int, deleteVisited bool) {
	var sum uint64
	if syncMapRun {
		s.sIterate(whole, steps, deleteVisited)
		return
	}
	switch s.form {
	case formGeneral:
		s.gIterate(whole, steps, deleteVisited)
	case formWords:
		m := s.words
		if whole {
			for k := range m {
				sum += k
			}
			break
		}
		n := 0
		for k, v := range m {
			if n == steps {
				break
			}
			n++
			sum += k
			if deleteVisited {
				s.delete(int(v))
			}
		}
	case formPayloads:
		m := s.ptrs
		if whole {
			for k := range m {
				sum += k
			}
			break
		}
		n := 0
		for k, v := range m {
			if n == steps {
				break
			}
			n++
			sum += k
			if deleteVisited {
				s.delete(s.keyIndex(v))
			}
		}
	case formStrings:
		m := s.strs
		if whole {
			for k := range m {
				sum += uint64(len(k))
			}
			break
		}
		n := 0
		for k, v := range m {
			if n == steps {
				break
			}
			n++
			sum += uint64(len(k))
			if deleteVisited {
				s.delete(s.keyIndex(v))
			}
		}
	}
	s.sum += sum
}

// hold opens a range loop, takes `count` steps, and runs the rest of the
// program inside its body until the iterator's release: the open loop's
// iterator is the held one. The loop then runs to its end — an iterator
// never advanced again would be dead to Go's compiler, and so to its
// collector, while still held. Returns the pc after the release.
func (s *stepRunner) hold(prog []action, pc int, st *step) int {
	s.currentMap()
	steps := 0
	if st.Count != nil {
		steps = s.eval(st.Count, st)
	} else {
		f := 1.0
		if st.Fraction != nil {
			f = *st.Fraction
		}
		steps = int(math.Ceil(float64(s.liveCount) * f))
	}
	name := *st.Hold
	if syncMapRun {
		return s.sHold(prog, pc, name, steps)
	}
	if s.form == formGeneral {
		return s.gHold(prog, pc, name, steps)
	}
	resume, n := -1, 0
	body := func() {
		n++
		if n == steps {
			resume = s.exec(prog, pc+1, name)
		}
	}
	switch s.form {
	case formWords:
		for k := range s.words {
			s.sum += k
			body()
		}
	case formPayloads:
		for k := range s.ptrs {
			s.sum += k
			body()
		}
	case formStrings:
		for k := range s.strs {
			s.sum += uint64(len(k))
			body()
		}
	}
	if resume < 0 {
		// The map had fewer entries: the iterator is finished and holds nothing.
		resume = s.exec(prog, pc+1, name)
	}
	return resume
}

//go:noinline
func rangeDeleteWords(m map[uint64]uint64) {
	for k := range m {
		delete(m, k)
	}
}

//go:noinline
func rangeDeletePtrs(m map[uint64]unsafe.Pointer) {
	for k := range m {
		delete(m, k)
	}
}

//go:noinline
func rangeDeleteStrs(m map[string]unsafe.Pointer) {
	for k := range m {
		delete(m, k)
	}
}

// ---- The live set (StepRunner's, port for port) ----

func (s *stepRunner) isLive(i int) bool { return i >= 0 && i < len(s.position) && s.position[i] >= 0 }

func (s *stepRunner) markLive(i int) {
	if i >= len(s.position) {
		add := i + 1 - len(s.position)
		if len(s.position) > add {
			add = len(s.position)
		}
		old := len(s.position)
		s.position = grow(s.position, old+add)[:old+add]
		for k := old; k < old+add; k++ {
			s.position[k] = -1
		}
	}
	if len(s.order) >= math.MaxInt32 {
		s.compact()
	}
	s.position[i] = int32(len(s.order))
	s.order = append(grow(s.order, len(s.order)+1), i)
	s.liveCount++
}

func (s *stepRunner) markDead(i int) {
	s.position[i] = -1
	if i < len(s.payloadSize) {
		s.payloadSize[i] = 0
	}
	s.liveCount--
	if s.liveCount == 0 {
		s.order = s.order[:0]
		s.head = 0
	} else if len(s.order)-s.head > 64 && s.liveCount*2 < len(s.order)-s.head {
		s.compact()
	}
}

func (s *stepRunner) forgetLive() {
	for _, i := range s.order[s.head:] {
		if s.isLive(i) {
			s.position[i] = -1
			if i < len(s.payloadSize) {
				s.payloadSize[i] = 0
			}
		}
	}
	s.order = s.order[:0]
	s.head = 0
	s.liveCount = 0
}

func (s *stepRunner) current(p int) bool { return s.position[s.order[p]] == int32(p) }

func (s *stepRunner) compact() {
	kept := 0
	for p := s.head; p < len(s.order); p++ {
		if s.current(p) {
			i := s.order[p]
			s.position[i] = int32(kept)
			s.order[kept] = i
			kept++
		}
	}
	s.order = s.order[:kept]
	s.head = 0
}

func (s *stepRunner) oldest() (int, bool) {
	for s.head < len(s.order) && !s.current(s.head) {
		s.head++
	}
	if s.head < len(s.order) {
		return s.order[s.head], true
	}
	return 0, false
}

func (s *stepRunner) randomLive() int {
	for {
		p := s.head + int(s.rng.next()%uint64(len(s.order)-s.head))
		if s.current(p) {
			return s.order[p]
		}
	}
}

// pick: up to n live keys, the oldest or newest in insertion order, or
// distinct random ones (an off-heap list; the caller frees it).
func (s *stepRunner) pick(n int, which string) []int {
	size := n
	if s.liveCount < size {
		size = s.liveCount
	}
	out := offHeap[int](size)[:0]
	switch which {
	case "oldest":
		for p := s.head; len(out) < n && p < len(s.order); p++ {
			if s.current(p) {
				out = append(out, s.order[p])
			}
		}
	case "newest":
		for p := len(s.order) - 1; len(out) < n && p >= s.head; p-- {
			if s.current(p) {
				out = append(out, s.order[p])
			}
		}
	case "random":
		if n >= s.liveCount {
			free(out)
			out = s.pick(n, "oldest")
			s.shuffle(out)
			return out
		}
		chosen := offHeap[uint64](len(s.position)/64 + 1)
		for len(out) < n {
			i := s.randomLive()
			if chosen[i/64]&(1<<(i%64)) == 0 {
				chosen[i/64] |= 1 << (i % 64)
				out = append(out, i)
			}
		}
		free(chosen)
	}
	return out
}

// newZipfOffHeap is the lab's ZipfSampler with its table outside the heap.
// sampler is the run's Zipf stream over `universe` key indices: one per
// universe and exponent, continued by every step that draws from it (as the
// lab's StepRunner.withSampler).
func (s *stepRunner) sampler(universe int, zipfExponent *float64) *zipf {
	exponent := 1.0
	if zipfExponent != nil {
		exponent = *zipfExponent
	}
	id := fmt.Sprintf("%d/%v", universe, exponent)
	z := s.samplers[id]
	if z == nil {
		if universe < 1 {
			universe = 1
		}
		z = newZipfOffHeap(universe, exponent, s.seed)
		s.samplers[id] = z
	}
	return z
}

func newZipfOffHeap(count int, exponent float64, seed uint64) *zipf {
	z := &zipf{cdf: offHeap[float64](count), rng: splitMix{seed ^ 0x5A1F}}
	acc := 0.0
	for k := 1; k <= count; k++ {
		acc += 1 / math.Pow(float64(k), exponent)
		z.cdf[k-1] = acc
	}
	for i := range z.cdf {
		z.cdf[i] /= acc
	}
	return z
}

// applyLimits sets the file's own GOMEMLIMIT and GOGC, which take the place
// of -memlimit and -gogc (as in the lab: Workload.swift, SuiteConfig.memlimit(for:)).
func applyLimits(spec *workloadSpec, z sizes) {
	if spec.Memlimit != nil {
		v, err := spec.Memlimit.expr.eval(z.lookup(0, false), func(n int64) int64 { return n })
		if err != nil || v < 1<<20 {
			failFile("memlimit: must be at least 1 MiB")
		}
		debug.SetMemoryLimit(v)
		memlimit = v
	}
	if len(spec.Gogc) > 0 {
		var pct int
		var off string
		switch {
		case json.Unmarshal(spec.Gogc, &pct) == nil && pct > 0:
			debug.SetGCPercent(pct)
			gogcText = strconv.Itoa(pct)
		case json.Unmarshal(spec.Gogc, &off) == nil && off == "off":
			debug.SetGCPercent(-1)
			gogcText = "off"
		default:
			failFile(`gogc: must be "off" or a percent`)
		}
	}
}
