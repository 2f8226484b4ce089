package recorder

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// A test-only decoder: records as the tests compare them. The full
// validating reader is the lab's (Sources/BucketLab/Input/OpTrace.swift).

type header struct {
	version, flags uint64
	goVersion      string
}

type record struct {
	op     byte
	fields []uint64 // uvarints and bytes, in order; a hash as one field
	name   string
}

func (r record) String() string { return fmt.Sprintf("%#x%v%s", r.op, r.fields, r.name) }

func decode(b []byte) (header, []record, error) {
	rd := bytes.NewReader(b)
	var h header
	var m [8]byte
	if _, err := io.ReadFull(rd, m[:]); err != nil || m != magic {
		return h, nil, fmt.Errorf("bad magic")
	}
	uv := func() uint64 {
		x, err := binary.ReadUvarint(rd)
		if err != nil {
			panic(err)
		}
		return x
	}
	txt := func() string {
		n := uv()
		s := make([]byte, n)
		io.ReadFull(rd, s)
		return string(s)
	}
	byt := func() uint64 { c, _ := rd.ReadByte(); return uint64(c) }
	hsh := func() uint64 {
		var x [8]byte
		io.ReadFull(rd, x[:])
		return binary.LittleEndian.Uint64(x[:])
	}
	h.version, h.flags, h.goVersion = uv(), uv(), txt()
	type mapInfo struct{ str, ptr bool }
	var maps []mapInfo
	var recs []record
	for {
		op, err := rd.ReadByte()
		if err == io.EOF {
			return h, recs, fmt.Errorf("no end record")
		}
		r := record{op: op}
		switch op {
		case opMake:
			r.fields = []uint64{uv(), byt(), uv(), uv(), byt(), uv(), uv(), uv()}
			maps = append(maps, mapInfo{str: r.fields[1] == keyString, ptr: r.fields[4] == valuePointer})
		case opInsert, opUpdate, opGetHit, opGetMiss, opDelete, opDeleteMiss:
			id := uv()
			r.fields = []uint64{id, hsh()}
			if maps[id].str {
				r.fields = append(r.fields, uv())
			}
			if maps[id].ptr && (op == opInsert || op == opUpdate) {
				r.fields = append(r.fields, uv())
			}
		case opIterStart, opIterStep, opLen:
			r.fields = []uint64{uv(), uv()}
		case opIterStop:
			r.fields = []uint64{uv(), byt()}
		case opClear, opDrop:
			r.fields = []uint64{uv()}
		case opPhase:
			r.name = txt()
			if h.flags&flagHeapFigures != 0 {
				r.fields = []uint64{uv(), uv()}
			}
		case opEnd:
			r.fields = []uint64{uv()}
			recs = append(recs, r)
			if rd.Len() != 0 {
				return h, recs, fmt.Errorf("bytes after end")
			}
			return h, recs, nil
		default:
			return h, recs, fmt.Errorf("bad op %#x", op)
		}
		recs = append(recs, r)
	}
}
