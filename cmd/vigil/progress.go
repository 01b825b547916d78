package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/vigilsec/vigil/internal/hunt"
)

// showProgress decides whether to draw the progress bar: "on", or "auto"
// when stderr is a terminal.
func showProgress(mode string, stderr io.Writer) bool {
	switch mode {
	case "on":
		return true
	case "off":
		return false
	}
	f, ok := stderr.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressBar redraws one line on stderr with the share of input bytes done
// (counted per finished file), events read and detections so far.
type progressBar struct {
	w     io.Writer
	h     *hunt.Hunter
	total int64
	sizes map[string]int64
	done  chan struct{}
	wg    sync.WaitGroup
}

func startProgress(w io.Writer, h *hunt.Hunter, inputs []string) *progressBar {
	p := &progressBar{w: w, h: h, sizes: map[string]int64{}, done: make(chan struct{})}
	for _, in := range inputs {
		_ = filepath.WalkDir(in, func(path string, d os.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				if info, err := d.Info(); err == nil {
					p.sizes[path] = info.Size()
					p.total += info.Size()
				}
			}
			return nil
		})
	}
	p.wg.Add(1)
	go p.loop()
	return p
}

func (p *progressBar) loop() {
	defer p.wg.Done()
	tick := time.NewTicker(150 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-p.done:
			fmt.Fprint(p.w, "\r\033[K")
			return
		case <-tick.C:
			p.draw()
		}
	}
}

func (p *progressBar) draw() {
	pr := p.h.Progress()
	var doneBytes int64
	for _, f := range pr.FilesDone {
		doneBytes += p.sizes[f]
	}
	frac := 0.0
	if p.total > 0 {
		frac = float64(doneBytes) / float64(p.total)
	}
	const width = 24
	n := int(frac * width)
	bar := strings.Repeat("=", n) + strings.Repeat(" ", width-n)
	elapsed := time.Since(p.h.Started()).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(pr.Events) / elapsed
	}
	fmt.Fprintf(p.w, "\r\033[K[%s] %3.0f%%  %s events  %s/s  %s detections  %s",
		bar, frac*100, group(pr.Events), group(int64(rate)), group(pr.Detections),
		clip(filepath.Base(pr.File), 40))
}

// stop erases the bar; safe on a nil bar.
func (p *progressBar) stop() {
	if p == nil {
		return
	}
	close(p.done)
	p.wg.Wait()
}

// group formats n with thousands separators: 1234567 → "1,234,567".
func group(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// writeSummary prints the end-of-hunt summary.
func writeSummary(w io.Writer, s hunt.Summary) {
	secs := s.Duration.Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(s.Events) / secs
	}
	fmt.Fprintf(w, "\nrules:      %s loaded, %d not loaded, %d skipped (correlation or filter), %.2fs\n",
		group(int64(s.RulesLoaded)), s.RulesFailed, s.RulesSkipped, s.LoadTime.Seconds())
	fmt.Fprintf(w, "events:     %s read from %s, %s skipped\n",
		group(s.Events), plural(int64(s.Files), "file"), plural(s.BadRecords, "malformed record"))
	fmt.Fprintf(w, "time:       %.2fs (%s events/s)\n", secs, group(int64(rate)))
	var lv []string
	for _, l := range hunt.Levels {
		lv = append(lv, fmt.Sprintf("%s %s", l, group(s.ByLevel[l])))
	}
	fmt.Fprintf(w, "detections: %s (%s)\n", group(s.Detections), strings.Join(lv, ", "))
	if len(s.ByRule) == 0 {
		return
	}
	fmt.Fprintf(w, "by rule:\n")
	for _, rc := range s.ByRule {
		fmt.Fprintf(w, "  %7s  %-13s  %s\n", group(rc.Count), rc.Rule.Level, rc.Rule.Title)
	}
}

// plural renders a count and a noun: "1 file", "2 files".
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return group(n) + " " + noun + "s"
}
