// Command lowformer runs LowFormer image classifiers on WebGPU (or the CPU).
//
// Usage:
//
//	lowformer <command> [flags] [args]
//
// Commands:
//
//	classify    classify images and print the top-k classes of each
//	preprocess  write an image's normalized [1,3,r,r] float32 input tensor
//	logits      run a raw float32 NCHW batch and write the raw float32 logits
//	embed       print image embeddings, or write them for a raw float32 batch
//	convert     convert a checkpoint to safetensors (f32, f16 or bf16)
//	info        describe a checkpoint
//	bench       time the forward pass (and -profile it per dispatch)
//
// Run "lowformer help" for the list of commands and "lowformer <command> -h"
// (or "lowformer help <command>") for the flags of one. Errors go to stderr;
// the exit status is 1 on errors and 2 on malformed command lines.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// runFunc runs one command with its arguments (the command name removed).
// It writes its results to stdout and its warnings and help to stderr.
type runFunc func(args []string, stdout, stderr io.Writer) error

// command is one subcommand.
type command struct {
	summary string
	run     runFunc
}

var commands = map[string]command{}

// register adds a command; each command's file calls it from init.
func register(name, summary string, run runFunc) {
	if _, dup := commands[name]; dup {
		panic("lowformer: command " + name + " registered twice")
	}
	commands[name] = command{summary, run}
}

func main() {
	os.Exit(runMain(os.Args[1:], os.Stdout, os.Stderr))
}

// errUsage marks a malformed command line whose message the flag package
// has already printed.
var errUsage = errors.New("usage error")

// runMain runs one command and returns the process exit status: 0 on
// success, 1 on errors, 2 on malformed command lines.
func runMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			// "lowformer help classify" is "lowformer classify -h".
			return runMain([]string{args[1], "-h"}, stdout, stderr)
		}
		usage(stdout)
		return 0
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "lowformer: unknown command %q\n\n", name)
		usage(stderr)
		return 2
	}
	err := c.run(args[1:], stdout, stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	// The library's errors start with "lowformer: "; the command's name
	// already says where the message comes from.
	fmt.Fprintf(stderr, "lowformer %s: %s\n", name, strings.TrimPrefix(err.Error(), "lowformer: "))
	return 1
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "lowformer runs LowFormer image classifiers on WebGPU (or the CPU).\n\nUsage: lowformer <command> [flags] [args]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-11s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun \"lowformer <command> -h\" for the flags of a command.")
	fmt.Fprintf(w, "Backends of this build: %s.\n", backends())
}

// newFlags returns a flag set for command name that prints its help (a
// synopsis, the command's summary and the flags) and its parse errors to
// stderr.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: lowformer %s %s\n\n", name, synopsis)
		if c, ok := commands[name]; ok {
			fmt.Fprintf(stderr, "%s.\n\n", upperFirst(c.summary))
		}
		fmt.Fprintln(stderr, "Flags:")
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, returning flag.ErrHelp for -h and errUsage (the
// flag package has printed the problem and the help) for malformed flags.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return errUsage
}

// parseArgs parses the flags of args and checks that between min and max
// positional arguments remain (max < 0: no limit); what names them in
// messages ("IMAGE", or "" when max is 0).
func parseArgs(fs *flag.FlagSet, args []string, min, max int, what string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch n := fs.NArg(); {
	case n < min:
		return fmt.Errorf("missing %s argument (run \"lowformer %s -h\" for help)", what, fs.Name())
	case max == 0 && n > 0:
		return fmt.Errorf("unexpected arguments %q (this command takes flags only)", fs.Args())
	case max >= 0 && n > max:
		return fmt.Errorf("unexpected arguments %q (flags go before the %s arguments)", fs.Args()[max:], what)
	}
	return nil
}

// required returns an error naming the first of the flags whose value is
// empty; names and values are given in pairs.
func required(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			return fmt.Errorf("%s is required", pairs[i])
		}
	}
	return nil
}

func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
