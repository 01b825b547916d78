// Package hunt runs Sigma rules over log files offline: it reads inputs with
// internal/ingest, matches events on several goroutines with a compiled
// rule set, and hands detections to the caller in input order with running
// counters and a final summary. Printing is the caller's business
// (cmd/vigil hunt); storage and alerting belong to internal/detect.
package hunt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/sigma"
)

// Rules matches an event against compiled rules, calling fn once per
// matching rule. It must be safe for concurrent use.
type Rules interface {
	Match(e *event.Event, fn func(r *sigma.Rule))
}

// Detection is one rule matching one event.
type Detection struct {
	Rule  *sigma.Rule
	Event *event.Event
}

// Config configures a Hunter.
type Config struct {
	// Rules is the compiled rule set; required.
	Rules Rules
	// Ingest configures the readers (field mapping, line limits).
	Ingest ingest.Options
	// Workers is how many goroutines match events; default 1.
	Workers int
	// BatchSize is how many events a worker takes at a time; default 256.
	BatchSize int
	// Output receives each detection, in input order, from one goroutine.
	// An error stops the hunt. Nil discards detections (they are counted).
	Output func(Detection) error
	// OnBadRecord is told about each record that could not be parsed; the
	// hunt goes on. Nil ignores them (they are counted).
	OnBadRecord func(*ingest.LineError)
	// Stdin is read for the input "-"; nil reads nothing.
	Stdin io.Reader
}

// Hunter runs one hunt. Its counters may be read from other goroutines
// while Run works.
type Hunter struct {
	cfg        Config
	events     atomic.Int64
	bad        atomic.Int64
	detections atomic.Int64
	mu         sync.Mutex
	file       string
	filesDone  []string
	started    time.Time
}

// New returns a Hunter for cfg, filling defaults.
func New(cfg Config) *Hunter {
	if cfg.Workers < 1 {
		cfg.Workers = 1
	}
	if cfg.BatchSize < 1 {
		cfg.BatchSize = 256
	}
	return &Hunter{cfg: cfg}
}

// Progress is a snapshot of a running hunt.
type Progress struct {
	Events, BadRecords, Detections int64
	// File is the input being read; FilesDone lists the inputs finished.
	File      string
	FilesDone []string
}

// Progress returns the counters so far.
func (h *Hunter) Progress() Progress {
	h.mu.Lock()
	defer h.mu.Unlock()
	return Progress{
		Events: h.events.Load(), BadRecords: h.bad.Load(), Detections: h.detections.Load(),
		File: h.file, FilesDone: append([]string(nil), h.filesDone...),
	}
}

// Started returns when Run began reading.
func (h *Hunter) Started() time.Time { return h.started }

type batch struct {
	seq    int
	events []*event.Event
}

type result struct {
	seq  int
	hits []Detection
}

// Run reads every input (files or folders), matches each event and delivers
// detections in input order. It returns the summary and the first error that
// stopped it: an unreadable input, a failed Output, or ctx's cancellation.
func (h *Hunter) Run(ctx context.Context, inputs []string) (Summary, error) {
	h.started = time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	inflight := make(chan struct{}, 4*h.cfg.Workers)
	batches := make(chan batch, h.cfg.Workers)
	results := make(chan result, 4*h.cfg.Workers)
	var readErr error
	go func() {
		defer close(batches)
		readErr = h.read(ctx, inputs, batches, inflight)
	}()
	var wg sync.WaitGroup
	for range h.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.match(batches, results)
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	sum := newSummary()
	outErr := h.collect(results, inflight, &sum, cancel)
	h.finishFile()
	sum.Events, sum.BadRecords = h.events.Load(), h.bad.Load()
	sum.Files = len(h.filesDone)
	sum.Duration = time.Since(h.started)
	sum.sortRules()
	switch {
	case outErr != nil:
		return sum, outErr
	case readErr != nil && errors.Is(readErr, context.Canceled):
		return sum, fmt.Errorf("interrupted: %w", readErr)
	default:
		return sum, readErr
	}
}

// read feeds batches of events to the workers; inflight bounds how many
// batches are between the reader and the output.
func (h *Hunter) read(ctx context.Context, inputs []string, out chan<- batch,
	inflight chan struct{}) error {
	seq := 0
	cur := make([]*event.Event, 0, h.cfg.BatchSize)
	send := func() error {
		select {
		case inflight <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		out <- batch{seq: seq, events: cur}
		seq++
		cur = make([]*event.Event, 0, h.cfg.BatchSize)
		return nil
	}
	onErr := func(e *ingest.LineError) {
		h.bad.Add(1)
		if h.cfg.OnBadRecord != nil {
			h.cfg.OnBadRecord(e)
		}
	}
	fn := func(e *event.Event) error {
		h.noteFile(e.Source.File)
		h.events.Add(1)
		cur = append(cur, e)
		if len(cur) == cap(cur) {
			return send()
		}
		return nil
	}
	var unreadable []error
	for _, in := range inputs {
		var err error
		if in == "-" {
			if h.cfg.Stdin != nil {
				err = ingest.Read(ctx, h.cfg.Stdin, "-", h.cfg.Ingest, fn, onErr)
			}
		} else {
			err = ingest.ReadPaths(ctx, []string{in}, h.cfg.Ingest, fn, onErr)
		}
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return err
		default:
			// An unreadable input does not stop the others.
			unreadable = append(unreadable, err)
		}
	}
	if len(cur) > 0 {
		if err := send(); err != nil {
			return err
		}
	}
	return errors.Join(unreadable...)
}

func (h *Hunter) match(in <-chan batch, out chan<- result) {
	for b := range in {
		var hits []Detection
		for _, e := range b.events {
			h.cfg.Rules.Match(e, func(r *sigma.Rule) {
				hits = append(hits, Detection{Rule: r, Event: e})
			})
		}
		out <- result{seq: b.seq, hits: hits}
	}
}

// collect delivers results in sequence order. After an output error it
// cancels the hunt and drains the rest.
func (h *Hunter) collect(in <-chan result, inflight <-chan struct{}, sum *Summary,
	cancel func()) error {
	pending := map[int]result{}
	next := 0
	var outErr error
	for r := range in {
		pending[r.seq] = r
		for {
			r, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			<-inflight
			for _, d := range r.hits {
				h.detections.Add(1)
				sum.add(d.Rule)
				if outErr == nil && h.cfg.Output != nil {
					if outErr = h.cfg.Output(d); outErr != nil {
						cancel()
					}
				}
			}
		}
	}
	return outErr
}

// noteFile tracks which input file is being read, for progress and the
// count of files.
func (h *Hunter) noteFile(src string) {
	top, _, _ := strings.Cut(src, "!")
	h.mu.Lock()
	defer h.mu.Unlock()
	if top == h.file {
		return
	}
	if h.file != "" {
		h.filesDone = append(h.filesDone, h.file)
	}
	h.file = top
}

func (h *Hunter) finishFile() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.file != "" {
		h.filesDone = append(h.filesDone, h.file)
		h.file = ""
	}
}
