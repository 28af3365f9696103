//go:build !js

package cpukernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// separateEpilogue: see parallel_js.go.
const separateEpilogue = false

// Workers is the number of workers ForEach spreads tasks over (and so the
// number of per-worker scratch buffers a caller needs).
func Workers() int { return thePool().workers }

// ForEach runs fn(task, worker) for every task in [0, n) on the shared
// worker pool; worker is in [0, Workers()) and no two calls running at the
// same time get the same worker. Tasks are handed out one at a time, so
// uneven tasks balance. ForEach must not be called from inside fn. Calls
// from different goroutines take turns; a call allocates nothing.
func ForEach(n int, fn func(task, worker int)) {
	p := thePool()
	if n <= 1 || p.workers == 1 {
		for i := 0; i < n; i++ {
			fn(i, 0)
		}
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fn, p.n = fn, int64(n)
	p.next.Store(0)
	helpers := min(p.workers, n) - 1
	p.wg.Add(helpers)
	for w := 1; w <= helpers; w++ {
		p.wake[w-1] <- w
	}
	p.drain(0)
	p.wg.Wait()
	p.fn = nil
}

// pool is a fixed set of goroutines that ForEach wakes for each batch.
type pool struct {
	workers int
	wake    []chan int

	mu   sync.Mutex // one batch at a time
	fn   func(task, worker int)
	n    int64
	next atomic.Int64
	wg   sync.WaitGroup
}

var (
	poolOnce   sync.Once
	sharedPool *pool
)

// thePool starts the shared pool with GOMAXPROCS workers on first use.
func thePool() *pool {
	poolOnce.Do(func() {
		p := &pool{workers: max(1, runtime.GOMAXPROCS(0))}
		for w := 1; w < p.workers; w++ {
			ch := make(chan int)
			p.wake = append(p.wake, ch)
			go func() {
				for id := range ch {
					p.drain(id)
					p.wg.Done()
				}
			}()
		}
		sharedPool = p
	})
	return sharedPool
}

// drain runs tasks of the current batch as worker id until none is left.
func (p *pool) drain(id int) {
	for {
		i := p.next.Add(1) - 1
		if i >= p.n {
			return
		}
		p.fn(int(i), id)
	}
}
