package anomaly

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/corpustest"
)

// loghubSystems are the 12 Loghub 2k systems in ../shared/corpus/loghub-2k
// with Drain's published grouping accuracy (PUBLISHED_RESULTS.md there,
// source [A]).
var loghubSystems = []struct {
	name  string
	drain float64
}{
	{"HDFS", 0.998}, {"Hadoop", 0.948}, {"Spark", 0.920}, {"Zookeeper", 0.967},
	{"BGL", 0.963}, {"HPC", 0.887}, {"Windows", 0.997}, {"Linux", 0.690},
	{"Android", 0.911}, {"HealthApp", 0.780}, {"Apache", 1.000}, {"OpenSSH", 0.788},
}

const (
	// targetMean is the goal for the mean over the 12 systems.
	targetMean = 0.92
	// floorMargin is how far below Drain's figure one system may fall.
	floorMargin = 0.05
)

// loadStructured reads a system's Content and EventId columns.
func loadStructured(t testing.TB, dir, name string) (content, events []string) {
	t.Helper()
	path := filepath.Join(dir, name, name+"_2k.log_structured.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open ground truth: %v", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	ci, ei := -1, -1
	for i, h := range rows[0] {
		switch h {
		case "Content":
			ci = i
		case "EventId":
			ei = i
		}
	}
	if ci < 0 || ei < 0 {
		t.Fatalf("%s: no Content or EventId column in %q", path, rows[0])
	}
	for _, r := range rows[1:] {
		if r[ei] == "" {
			continue // the evaluator drops rows without a ground-truth event
		}
		content = append(content, r[ci])
		events = append(events, r[ei])
	}
	return content, events
}

// groupingAccuracy is logparser's parsing accuracy: the lines of a mined
// group count as correct only if the group is exactly the set of lines of
// one ground-truth event.
func groupingAccuracy(truth []string, got []int64) float64 {
	byGot := map[int64][]int{}
	truthSize := map[string]int{}
	for i := range got {
		byGot[got[i]] = append(byGot[got[i]], i)
		truthSize[truth[i]]++
	}
	correct := 0
	for _, lines := range byGot {
		ev := truth[lines[0]]
		ok := truthSize[ev] == len(lines)
		for _, l := range lines[1:] {
			ok = ok && truth[l] == ev
		}
		if ok {
			correct += len(lines)
		}
	}
	return float64(correct) / float64(len(truth))
}

// mineAll mines the messages in order with default settings and returns
// each one's final template ID.
func mineAll(msgs []string) []int64 {
	m := NewMiner(MinerConfig{})
	ids := make([]int64, len(msgs))
	for i, msg := range msgs {
		ids[i] = m.Match(msg).ID
	}
	for i, id := range ids {
		if to, ok := m.Resolve(id); ok {
			ids[i] = to
		}
	}
	return ids
}

// TestLoghubAccuracy scores the miner on the 12 Loghub 2k systems with one
// setting for all, and fails under the target: a mean of 0.92 and
// no system more than 0.05 under Drain's published figure. Run it with -v
// for the table that docs/anomaly.md keeps.
func TestLoghubAccuracy(t *testing.T) {
	dir := corpustest.Path(t, "loghub-2k")
	var b strings.Builder
	b.WriteString("| system | Drain (published, tuned per system) | Vigil (one setting) | floor |\n")
	b.WriteString("|---|---|---|---|\n")
	sum, drainSum := 0.0, 0.0
	for _, s := range loghubSystems {
		content, events := loadStructured(t, dir, s.name)
		if len(content) != 2000 {
			t.Errorf("%s: %d rows, want 2000", s.name, len(content))
		}
		acc := groupingAccuracy(events, mineAll(content))
		floor := s.drain - floorMargin
		fmt.Fprintf(&b, "| %s | %.3f | %.3f | %.3f |\n", s.name, s.drain, acc, floor)
		if acc < floor-1e-9 {
			t.Errorf("%s: accuracy %.4f is under its floor %.3f (Drain %.3f - %.2f)",
				s.name, acc, floor, s.drain, floorMargin)
		}
		sum += acc
		drainSum += s.drain
	}
	n := float64(len(loghubSystems))
	fmt.Fprintf(&b, "| **mean** | **%.3f** | **%.3f** | |\n", drainSum/n, sum/n)
	t.Logf("grouping accuracy on Loghub 2k:\n%s", b.String())
	if sum/n < targetMean {
		t.Errorf("mean accuracy %.4f, want at least %.2f", sum/n, targetMean)
	}
}
