package kernels

import "sort"

// Kernels lists the kernels whose pipelines the cache holds, by label.
func (c *Cache) Kernels() []Kernel {
	c.mu.Lock()
	defer c.mu.Unlock()
	ks := make([]Kernel, 0, len(c.m))
	for k := range c.m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].Label() < ks[j].Label() })
	return ks
}
