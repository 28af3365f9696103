// Command panicker is TestStripLinesGo's program: it prints a few values
// computed through maps, closures, goroutines and deferred calls (work that
// walks the stack, which reads the function table), then, with the
// argument "panic", panics two calls deep.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
)

//go:noinline
func explode(n int) int {
	if n > 2 {
		panic(fmt.Sprintf("boom %d", n))
	}
	return n
}

//go:noinline
func outer(n int) int { return explode(n + 1) }

func main() {
	m := map[string]int{}
	for i := range 1000 {
		m[fmt.Sprint(i%37)] += i
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	done := make(chan int)
	go func() {
		defer func() { done <- len(keys) }()
		runtime.GC()
	}()
	var pcs [8]uintptr
	n := runtime.Callers(1, pcs[:])
	f, _ := runtime.CallersFrames(pcs[:n]).Next()
	fmt.Println("keys", <-done, "sum of 7", m["7"], "func", f.Function, strings.Repeat("x", 3))
	if len(os.Args) > 1 && os.Args[1] == "panic" {
		fmt.Println(outer(len(os.Args)))
	}
}
