// Command testsummary counts the tests of make test and prints its last
// line, "N passed, N failed, N skipped".
//
//	go test -json ./... | testsummary -counts FILE -name "go test"   # Go (and the browser tests it runs)
//	npm test 2>&1 | testsummary -tap -counts FILE -name bench         # node --test (TAP or spec reporter)
//	testsummary -report FILE                                          # the total of every step
//
// A step's input is echoed as go test and node print it without -json (the
// package lines and the output of failed tests; node's output as is); its
// counts are appended to FILE, and the exit status is 1 when a test or a
// package failed, or when no result was seen (make cannot see the exit
// status of the left side of a pipe).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

type counts struct{ pass, fail, skip int }

func (c counts) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", c.pass, c.fail, c.skip)
}

func main() {
	countsFile := flag.String("counts", "", "append this step's counts to `file`")
	name := flag.String("name", "tests", "the step's `name` in the report")
	tap := flag.Bool("tap", false, "read node --test output instead of go test -json")
	report := flag.String("report", "", "print the total of the counts in `file`")
	flag.Parse()
	if *report != "" {
		os.Exit(printReport(*report, os.Stdout))
	}
	var c counts
	var ok bool
	if *tap {
		c, ok = readTAP(os.Stdin, os.Stdout)
	} else {
		c, ok = readGoJSON(os.Stdin, os.Stdout)
	}
	fmt.Printf("%s: %s\n", *name, c)
	if *countsFile != "" {
		f, err := os.OpenFile(*countsFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			_, err = fmt.Fprintf(f, "%s\t%d\t%d\t%d\n", *name, c.pass, c.fail, c.skip)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "testsummary:", err)
			os.Exit(1)
		}
	}
	if !ok || c.fail > 0 {
		os.Exit(1)
	}
}

// event is a go test -json record.
type event struct {
	Action, Package, Test, Output string
}

// readGoJSON echoes go test -json as go test prints it without -json and
// counts the tests (subtests included); ok is false when a package failed
// (a build failure, a panic, a timeout) or no package reported.
func readGoJSON(r io.Reader, w io.Writer) (c counts, ok bool) {
	type key struct{ pkg, test string }
	buf := map[key][]string{}
	packages, failedPkgs := 0, 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Action == "" {
			fmt.Fprintln(w, sc.Text()) // not JSON: build errors and the like
			continue
		}
		k := key{e.Package, e.Test}
		switch e.Action {
		case "output", "build-output":
			if e.Test != "" {
				buf[k] = append(buf[k], e.Output)
			} else if e.Output != "PASS\n" && !strings.HasPrefix(e.Output, "=== ") {
				fmt.Fprint(w, e.Output)
			}
		case "pass", "skip":
			if e.Test == "" {
				packages++
			} else if e.Action == "pass" {
				c.pass++
			} else {
				c.skip++
			}
			delete(buf, k)
		case "fail":
			if e.Test == "" {
				packages++
				failedPkgs++
				for bk, lines := range buf { // a panic or timeout: what the running tests printed
					if bk.pkg == e.Package {
						fmt.Fprint(w, strings.Join(lines, ""))
						delete(buf, bk)
					}
				}
				continue
			}
			c.fail++
			fmt.Fprint(w, strings.Join(buf[k], ""))
			delete(buf, k)
		}
	}
	return c, sc.Err() == nil && packages > 0 && failedPkgs == 0
}

// tapCount matches node --test's closing counts: "# pass 6" (TAP) or
// "ℹ pass 6" (spec).
var tapCount = regexp.MustCompile(`^(?:#|ℹ) (tests|pass|fail|cancelled|skipped|todo) (\d+)\s*$`)

// readTAP echoes node --test's output and takes its closing counts
// (cancelled tests count as failed, todo as skipped); ok is false without
// them.
func readTAP(r io.Reader, w io.Writer) (c counts, ok bool) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		fmt.Fprintln(w, sc.Text())
		m := tapCount.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		switch m[1] {
		case "tests":
			ok = true
		case "pass":
			c.pass += n
		case "fail", "cancelled":
			c.fail += n
		case "skipped", "todo":
			c.skip += n
		}
	}
	return c, ok && sc.Err() == nil
}

// printReport prints each step's counts and, last, their total.
func printReport(path string, w io.Writer) int {
	b, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		return 1
	}
	var total counts
	var steps []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			continue
		}
		var c counts
		c.pass, _ = strconv.Atoi(f[1])
		c.fail, _ = strconv.Atoi(f[2])
		c.skip, _ = strconv.Atoi(f[3])
		total.pass, total.fail, total.skip = total.pass+c.pass, total.fail+c.fail, total.skip+c.skip
		steps = append(steps, fmt.Sprintf("%s %d/%d/%d", f[0], c.pass, c.fail, c.skip))
	}
	fmt.Fprintf(w, "(passed/failed/skipped: %s)\n%s\n", strings.Join(steps, ", "), total)
	if total.fail > 0 {
		return 1
	}
	return 0
}
