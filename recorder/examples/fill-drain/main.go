// The built-in fill-drain workload (Sources/BucketLab/Workloads/01-fill-drain.json)
// as a recorded Go program: fill a map[uint64]uint64 with n keys, delete
// them oldest first, refill a tenth. Replaying its trace and running the
// workload do the same map operations, which docs/trace-format.md times.
//
//	go run ./examples/fill-drain -o fill-drain.bltrace -n 1000000
package main

import (
	"flag"
	"log"
	"os"

	"bucketlab/recorder"
)

func main() {
	out := flag.String("o", "fill-drain.bltrace", "trace file")
	n := flag.Int("n", 1000000, "keys")
	flag.Parse()
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	rec := recorder.New(f, recorder.Options{})
	m := recorder.NewMap[uint64, uint64](rec, 0)
	for i := 0; i < *n; i++ {
		m.Set(uint64(i), uint64(i))
	}
	rec.Phase("peak")
	for i := 0; i < *n; i++ {
		m.Delete(uint64(i))
	}
	rec.Phase("drained")
	for i := *n; i < *n+*n/10; i++ {
		m.Set(uint64(i), uint64(i))
	}
	rec.Phase("refill10")
	if err := rec.Close(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
