// Package cputime reads the CPU time the process has used, for benchmarks
// on a shared, loaded machine: wall time there measures the other
// processes as much as the code, while the process's own CPU time (user
// plus system, all threads) stays close to what it would be on an idle
// machine. Under js/wasm it asks Node (process.cpuUsage); in a browser,
// where there is no such call, Process reports false.
package cputime
