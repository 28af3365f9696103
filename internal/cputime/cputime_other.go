//go:build !unix && !js

package cputime

import "time"

// Process reports false: this system's CPU time is not read.
func Process() (time.Duration, bool) { return 0, false }
