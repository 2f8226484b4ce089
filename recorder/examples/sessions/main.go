// A session store with expiry and an LRU cache, recording their maps: the
// kind of service whose memory only grows. Writes a map trace (and, with
// -profiles DIR, a heap profile at each marker, every allocation sampled).
//
//	go run ./examples/sessions -o sessions.bltrace -n 100000
//	bucketlab trace show sessions.bltrace
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"

	"bucketlab/recorder"
)

type session struct {
	user    uint64
	expires int
	data    [48]byte
}

// lruNode is a doubly linked list entry of the LRU's recency order.
type lruNode struct {
	key        uint64
	prev, next *lruNode
	value      [64]byte
}

type lru struct {
	m          *recorder.Map[uint64, *lruNode]
	head, tail *lruNode // head: most recent
	capacity   int
}

func (c *lru) unlink(n *lruNode) {
	if n.prev != nil {
		n.prev.next = n.next
	} else {
		c.head = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	} else {
		c.tail = n.prev
	}
	n.prev, n.next = nil, nil
}

func (c *lru) pushFront(n *lruNode) {
	n.next = c.head
	if c.head != nil {
		c.head.prev = n
	}
	c.head = n
	if c.tail == nil {
		c.tail = n
	}
}

func (c *lru) get(k uint64) {
	if n, ok := c.m.Get(k); ok {
		c.unlink(n)
		c.pushFront(n)
		return
	}
	n := &lruNode{key: k}
	c.m.Set(k, n)
	c.pushFront(n)
	if c.m.Len() > c.capacity {
		old := c.tail
		c.unlink(old)
		c.m.Delete(old.key)
	}
}

func main() {
	out := flag.String("o", "sessions.bltrace", "trace file")
	n := flag.Int("n", 100000, "sessions per wave")
	profiles := flag.String("profiles", "", "directory for a heap profile at each marker")
	flag.Parse()
	if *profiles != "" {
		runtime.MemProfileRate = 1
	}
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	rec := recorder.New(f, recorder.Options{HeapFigures: true, ProfileDir: *profiles})

	// Sessions: a wave of logins, lookups, then expiry sweeps (a range that
	// deletes) until few are left: the map keeps its size.
	sessions := recorder.NewMap[string, *session](rec, 0)
	now := 0
	for i := 0; i < *n; i++ {
		// The payload on a line of its own: a heap profile tells its
		// allocation site from the key's (fmt.Sprintf) by line.
		s := &session{user: uint64(i), expires: now + i%100}
		sessions.Set(fmt.Sprintf("sess-%08x", i), s)
	}
	rec.Phase("logged-in")
	for i := 0; i < *n; i++ {
		sessions.Get(fmt.Sprintf("sess-%08x", (i*7)%(*n+*n/10)))
	}
	rec.Phase("looked-up")
	for now = 0; now < 99; now += 10 {
		sessions.Range(func(k string, s *session) bool {
			if s.expires < now {
				sessions.Delete(k)
			}
			return true
		})
	}
	rec.Phase("expired")

	// The LRU: a working set that shifts, capacity n/4.
	cache := &lru{m: recorder.NewMap[uint64, *lruNode](rec, 0), capacity: *n / 4}
	x := uint64(88172645463325252)
	for i := 0; i < 2**n; i++ {
		x ^= x << 13 // xorshift64: a uniform pick in a window of n/2 keys
		x ^= x >> 7
		x ^= x << 17
		cache.get(uint64(i/4) + x%uint64(*n/2))
	}
	rec.Phase("lru-churn")
	sessions.Clear()
	cache.m.Drop()
	rec.Phase("cleared")
	// The cleared map stays in use until here, so the marker's collection
	// keeps it (clear keeps its storage) as the replay does; without this,
	// Go's liveness would free it unrecorded.
	runtime.KeepAlive(sessions)
	if err := rec.Close(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
