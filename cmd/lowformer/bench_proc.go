package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Process facts for the bench command, read from Linux's /proc. Elsewhere
// they degrade to what Go alone can tell.

// commandStart is when the command's package was initialized: the fallback
// for the process start time.
var commandStart = time.Now()

// processStart returns when the process started and how that was found:
// from /proc (its age in clock ticks, 10 ms resolution), or the command's
// initialization time where /proc is missing.
func processStart() (time.Time, string) {
	stat, err1 := os.ReadFile("/proc/self/stat")
	up, err2 := os.ReadFile("/proc/uptime")
	now := time.Now()
	if err1 != nil || err2 != nil {
		return commandStart, "command start (no /proc)"
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is field 3, starttime field 22.
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	upFields := strings.Fields(string(up))
	if len(fields) < 20 || len(upFields) < 1 {
		return commandStart, "command start (unreadable /proc)"
	}
	ticks, err1 := strconv.ParseFloat(fields[19], 64)
	uptime, err2 := strconv.ParseFloat(upFields[0], 64)
	if err1 != nil || err2 != nil {
		return commandStart, "command start (unreadable /proc)"
	}
	const clockTicks = 100 // USER_HZ, fixed at 100 in /proc on Linux
	age := time.Duration((uptime - ticks/clockTicks) * float64(time.Second))
	start := now.Add(-age)
	if start.After(commandStart) {
		start = commandStart // rounding of the 10 ms ticks
	}
	return start, "process start (/proc)"
}

// peakRSSMB is the process's resident-set high-water mark in MB (VmHWM),
// or 0 where /proc is missing.
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, err := strconv.ParseFloat(f[0], 64)
				if err == nil {
					return kb / 1024
				}
			}
		}
	}
	return 0
}

// loadAverage is the 1, 5 and 15 minute load averages, "" where unknown.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// sharedB0 returns ../shared/testdata/lowformer/b0 seen from the working
// directory or from any folder above it, or "" when there is none.
func sharedB0() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, "..", "shared", "testdata", "lowformer", "b0")
		if _, err := os.Stat(filepath.Join(p, "evalmodel.pt")); err == nil {
			return filepath.Clean(p)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
