package readiness

import (
	"fmt"
	"math"
	"strings"
)

// CVSS is a parsed CVSS v3.1 vector: the eight base metrics, each as its
// one-letter value ("N", "L", ...). Temporal and environmental metrics are
// checked when present but do not enter the base score.
type CVSS struct {
	// Version is "3.1" or "3.0" (a 3.0 vector is scored with the 3.1
	// formulas; the two differ only in rounding artefacts).
	Version                    string
	AV, AC, PR, UI, S, C, I, A string
}

// CVSSError reports what is wrong with a vector and where: Pos is the
// 0-based byte offset of the offending part in the vector string.
type CVSSError struct {
	Vector string
	Pos    int
	Msg    string
}

// Error returns "cvss vector "…" at offset N: msg".
func (e *CVSSError) Error() string {
	return fmt.Sprintf("cvss vector %q at offset %d: %s", e.Vector, e.Pos, e.Msg)
}

// cvssValues lists the values each metric takes. Base metrics first; the
// temporal and environmental ones are accepted only to be skipped.
var cvssValues = map[string]string{
	"AV": "NALP", "AC": "LH", "PR": "NLH", "UI": "NR", "S": "UC", "C": "HLN", "I": "HLN",
	"A": "HLN",
	"E": "XUPFH", "RL": "XOTWU", "RC": "XURC",
	"CR": "XLMH", "IR": "XLMH", "AR": "XLMH",
	"MAV": "XNALP", "MAC": "XLH", "MPR": "XNLH", "MUI": "XNR", "MS": "XUC",
	"MC": "XNLH", "MI": "XNLH", "MA": "XNLH",
}

// baseMetrics are the metrics a vector must hold, in the specification's
// order.
var baseMetrics = []string{"AV", "AC", "PR", "UI", "S", "C", "I", "A"}

// ParseCVSS parses a vector such as "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".
// The prefix CVSS:3.1 (or CVSS:3.0) is required, every base metric must be
// present once, metrics and values are case-sensitive as in the
// specification, and an unknown metric or value is an error (*CVSSError).
func ParseCVSS(vector string) (CVSS, error) {
	var c CVSS
	fail := func(pos int, format string, args ...any) (CVSS, error) {
		return CVSS{}, &CVSSError{Vector: vector, Pos: pos, Msg: fmt.Sprintf(format, args...)}
	}
	prefix, rest, ok := strings.Cut(vector, "/")
	switch {
	case !ok || !strings.HasPrefix(prefix, "CVSS:"):
		return fail(0, "want the prefix CVSS:3.1/")
	case prefix != "CVSS:3.1" && prefix != "CVSS:3.0":
		return fail(5, "version %q, want 3.1 (or 3.0)", strings.TrimPrefix(prefix, "CVSS:"))
	}
	c.Version = strings.TrimPrefix(prefix, "CVSS:")
	base := map[string]*string{"AV": &c.AV, "AC": &c.AC, "PR": &c.PR, "UI": &c.UI, "S": &c.S,
		"C": &c.C, "I": &c.I, "A": &c.A}
	seen := map[string]bool{}
	pos := len(prefix) + 1
	for part := range strings.SplitSeq(rest, "/") {
		name, value, ok := strings.Cut(part, ":")
		allowed, known := cvssValues[name]
		switch {
		case !ok || name == "" || value == "":
			return fail(pos, "%q is not METRIC:VALUE", part)
		case !known:
			return fail(pos, "unknown metric %q", name)
		case seen[name]:
			return fail(pos, "metric %s given twice", name)
		case len(value) != 1 || !strings.Contains(allowed, value):
			return fail(pos+len(name)+1, "metric %s: value %q, want one of %s", name, value,
				strings.Join(strings.Split(allowed, ""), ", "))
		}
		seen[name] = true
		if p, ok := base[name]; ok {
			*p = value
		}
		pos += len(part) + 1
	}
	for _, m := range baseMetrics {
		if !seen[m] {
			return fail(len(vector), "base metric %s is missing", m)
		}
	}
	return c, nil
}

// String returns the vector of the base metrics in the specification's
// order, with the CVSS:3.1 prefix.
func (c CVSS) String() string {
	v := c.Version
	if v == "" {
		v = "3.1"
	}
	return fmt.Sprintf("CVSS:%s/AV:%s/AC:%s/PR:%s/UI:%s/S:%s/C:%s/I:%s/A:%s", v, c.AV, c.AC,
		c.PR, c.UI, c.S, c.C, c.I, c.A)
}

// BaseScore computes the base score from 0.0 to 10.0 with the formulas of
// the CVSS v3.1 specification (section 7.1 and Appendix A's Roundup).
func (c CVSS) BaseScore() float64 {
	av := map[string]float64{"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}[c.AV]
	ac := map[string]float64{"L": 0.77, "H": 0.44}[c.AC]
	ui := map[string]float64{"N": 0.85, "R": 0.62}[c.UI]
	changed := c.S == "C"
	pr := map[string]float64{"N": 0.85, "L": 0.62, "H": 0.27}[c.PR]
	if changed {
		pr = map[string]float64{"N": 0.85, "L": 0.68, "H": 0.5}[c.PR]
	}
	cia := map[string]float64{"H": 0.56, "L": 0.22, "N": 0}
	iss := 1 - (1-cia[c.C])*(1-cia[c.I])*(1-cia[c.A])
	impact := 6.42 * iss
	if changed {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	}
	exploitability := 8.22 * av * ac * pr * ui
	switch {
	case impact <= 0:
		return 0
	case changed:
		return roundUp(min(1.08*(impact+exploitability), 10))
	default:
		return roundUp(min(impact+exploitability, 10))
	}
}

// roundUp is the specification's Roundup: the smallest number with one
// decimal that is equal to or higher than x, computed on integers so that
// floating-point noise (4.000000001) does not push it up a tenth.
func roundUp(x float64) float64 {
	n := int64(math.Round(x * 100000))
	if n%10000 == 0 {
		return float64(n) / 100000
	}
	return float64(n/10000+1) / 10
}

// SeverityOfScore maps a CVSS score to its qualitative rating (the
// specification's table 14): 0.0 none, 0.1–3.9 low, 4.0–6.9 medium,
// 7.0–8.9 high, 9.0–10.0 critical.
func SeverityOfScore(score float64) Severity {
	switch {
	case score >= 9.0:
		return SeverityCritical
	case score >= 7.0:
		return SeverityHigh
	case score >= 4.0:
		return SeverityMedium
	case score > 0:
		return SeverityLow
	default:
		return SeverityNone
	}
}
