package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/anomaly"
)

const logparseUsage = "vigil logparse [--format csv] [--max-templates N] FILE...|-"

// maxMessageBytes is the longest message logparse mines; the rest of a
// longer line is dropped with a warning.
const maxMessageBytes = 1 << 20

// parsedLine is one mined input line: where it came from and its template.
type parsedLine struct {
	file int32
	line int32
	id   int64
}

// runLogparse mines templates from plain messages, one per line, and prints
// every line with its final template as CSV. Exit 1 when an input could not
// be read (the others are still mined and printed), 2 on bad usage.
func runLogparse(ctx context.Context, args []string, stdin io.Reader,
	stdout, stderr io.Writer) int {
	fs := newFlagSet("logparse", logparseUsage, stderr)
	format := fs.String("format", "csv", "output format; csv is the only one")
	maxTemplates := fs.Int("max-templates", 100000,
		"templates kept in memory; past it the least recently used are evicted")
	files, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	if *format != "csv" {
		fmt.Fprintf(stderr, "vigil logparse: unknown --format %q (want csv)\nUsage: %s\n", *format,
			logparseUsage)
		return exitUsage
	}
	if len(files) == 0 || *maxTemplates <= 0 {
		fmt.Fprintf(stderr, "vigil logparse: name at least one file (or - for standard input)\n"+
			"Usage: %s\n", logparseUsage)
		return exitUsage
	}

	start := time.Now()
	miner := anomaly.NewMiner(anomaly.MinerConfig{MaxTemplates: *maxTemplates})
	p := &logparser{miner: miner, lastTemplate: map[int64]string{}, stderr: stderr}
	status := exitOK
	for i, name := range files {
		if err := p.mineFile(ctx, int32(i), name, stdin); err != nil {
			fmt.Fprintf(stderr, "vigil logparse: %v\n", err)
			status = exitError
		}
	}
	if err := p.write(stdout, files); err != nil {
		fmt.Fprintf(stderr, "vigil logparse: write output: %v\n", err)
		return exitError
	}
	elapsed := time.Since(start)
	fmt.Fprintf(stderr, "lines:     %s mined from %d files, %s blank skipped\n",
		group(int64(len(p.lines))), len(files), group(p.blank))
	fmt.Fprintf(stderr, "templates: %s\n", group(int64(miner.Len())))
	fmt.Fprintf(stderr, "time:      %.2fs (%s lines/s)\n", elapsed.Seconds(),
		group(int64(float64(len(p.lines))/max(elapsed.Seconds(), 1e-9))))
	return status
}

// logparser mines lines and remembers each line's template.
type logparser struct {
	miner *anomaly.Miner
	lines []parsedLine
	blank int64
	// lastTemplate is each ID's template when last matched, for a template
	// evicted before the output is written.
	lastTemplate map[int64]string
	stderr       io.Writer
}

// mineFile mines every line of one input ("-" is standard input).
func (p *logparser) mineFile(ctx context.Context, idx int32, name string, stdin io.Reader) error {
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err // *os.PathError names the operation and file
		}
		defer f.Close()
		r = f
	}
	br := bufio.NewReaderSize(r, 64<<10)
	for n := int32(1); ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return fmt.Errorf("read %s: stopped at line %d: %w", name, n, ctx.Err())
		}
		line, truncated, err := readLine(br)
		if truncated {
			fmt.Fprintf(p.stderr, "vigil logparse: %s:%d: line longer than %d bytes, mined "+
				"its start only\n", name, n, maxMessageBytes)
		}
		if len(line) > 0 || err == nil {
			p.mine(idx, n, line)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s at line %d: %w", name, n, err)
		}
	}
}

func (p *logparser) mine(idx, n int32, line []byte) {
	msg := strings.TrimRight(string(line), "\r\n")
	if strings.TrimSpace(msg) == "" {
		p.blank++
		return
	}
	m := p.miner.Match(msg)
	p.lastTemplate[m.ID] = m.Template
	p.lines = append(p.lines, parsedLine{file: idx, line: n, id: m.ID})
}

// readLine reads one line of at most maxMessageBytes, dropping the rest.
func readLine(br *bufio.Reader) (line []byte, truncated bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if room := maxMessageBytes - len(line); len(chunk) > room {
			chunk, truncated = chunk[:room], true
		}
		line = append(line, chunk...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return line, truncated, err
		}
	}
}

// write prints the CSV: each line with the template it belongs to once all
// input is mined (a template may have merged with others since the line was
// read). With several inputs the line is "file:number".
func (p *logparser) write(stdout io.Writer, files []string) error {
	w := csv.NewWriter(stdout) // buffered; flushed below
	if err := w.Write([]string{"line", "template_id", "template"}); err != nil {
		return err
	}
	final := map[int64][2]string{}
	for _, l := range p.lines {
		out, ok := final[l.id]
		if !ok {
			out = [2]string{strconv.FormatInt(l.id, 10), p.lastTemplate[l.id]}
			if id, ok := p.miner.Resolve(l.id); ok {
				if t, ok := p.miner.Get(id); ok {
					out = [2]string{strconv.FormatInt(id, 10), t.Template}
				}
			}
			final[l.id] = out
		}
		where := strconv.Itoa(int(l.line))
		if len(files) > 1 {
			where = files[l.file] + ":" + where
		}
		if err := w.Write([]string{where, out[0], out[1]}); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}
