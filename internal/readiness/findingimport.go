package readiness

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxImportFindings caps the findings of one import.
const MaxImportFindings = 10000

// ImportError is one problem of an import file: the line (1-based) of the
// record, the field at fault when known, and what is wrong.
type ImportError struct {
	Line  int    `json:"line"`
	Field string `json:"field,omitempty"`
	Msg   string `json:"message"`
}

// Error returns "line N: field: msg".
func (e ImportError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Msg)
}

// FindingInput is one finding as an import file or the API gives it. The
// CSV columns and the JSON keys are the json names below.
type FindingInput struct {
	Source      string   `json:"source"`
	Ref         string   `json:"ref"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Severity    string   `json:"severity"`
	CVSSVector  string   `json:"cvss_vector"`
	CVSSScore   *float64 `json:"cvss_score"`
	Services    []string `json:"services"`
	Owner       string   `json:"owner"`
	// Found is a date (2026-03-14) or an RFC 3339 time; empty: now.
	Found      string `json:"found"`
	ExerciseID int64  `json:"exercise_id"`
}

// Finding checks in and returns the finding it describes (normalized, see
// Finding.Normalize), with State open and no due date yet. The error is a
// *FieldError.
func (in FindingInput) Finding() (Finding, error) {
	f := Finding{Source: Source(strings.TrimSpace(in.Source)), Ref: in.Ref, Title: in.Title,
		Description: strings.TrimSpace(in.Description),
		Severity:    Severity(strings.ToLower(strings.TrimSpace(in.Severity))),
		CVSSVector:  in.CVSSVector, CVSSScore: in.CVSSScore, Services: in.Services,
		ExerciseID: in.ExerciseID}
	f.Owner, f.State = strings.TrimSpace(in.Owner), StateOpen
	if found := strings.TrimSpace(in.Found); found != "" {
		t, err := parseDate(found)
		if err != nil {
			return f, fieldErr("found", "%q is not a date (2006-01-02) or an RFC 3339 time",
				found)
		}
		f.Found = t
	}
	if in.ExerciseID < 0 {
		return f, fieldErr("exercise_id", "%d is not a positive integer", in.ExerciseID)
	}
	return f, f.Normalize()
}

// parseDate reads a date (midnight UTC) or an RFC 3339 time.
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// csvColumns are the columns a findings CSV may have; title is required.
var csvColumns = []string{"source", "ref", "title", "description", "severity", "cvss_vector",
	"cvss_score", "services", "owner", "found", "exercise_id"}

// ParseFindingsCSV reads findings from CSV with a header row naming the
// columns (any order, case-insensitive; title required; services separated
// by ";"). It returns the findings of the good rows and one ImportError per
// problem, with its line and column; a caller that wants all or nothing
// imports only when the errors are empty.
func ParseFindingsCSV(r io.Reader) ([]Finding, []ImportError) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil, []ImportError{{Line: 1, Msg: "empty file: want a header row"}}
	} else if err != nil {
		return nil, []ImportError{csvError(err, 1)}
	}
	cols, errs := csvHeader(header)
	if len(errs) > 0 {
		return nil, errs
	}
	var out []Finding
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, errs
		}
		if err != nil {
			errs = append(errs, csvError(err, 0))
			if !errors.As(err, new(*csv.ParseError)) || isFatalCSV(err) {
				return out, errs
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if len(out)+len(errs) >= MaxImportFindings {
			return out, append(errs, ImportError{Line: line,
				Msg: fmt.Sprintf("more than %d findings in one import", MaxImportFindings)})
		}
		f, err := csvRow(rec, cols).Finding()
		if err != nil {
			errs = append(errs, importError(line, err))
			continue
		}
		out = append(out, f)
	}
}

// csvHeader maps the header's columns to their indexes (plus one: 0 means
// absent).
func csvHeader(header []string) (map[string]int, []ImportError) {
	cols := map[string]int{}
	var errs []ImportError
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		switch {
		case !slices.Contains(csvColumns, name):
			errs = append(errs, ImportError{Line: 1, Field: h,
				Msg: fmt.Sprintf("unknown column %d; want some of %s", i+1,
					strings.Join(csvColumns, ", "))})
		case cols[name] != 0:
			errs = append(errs, ImportError{Line: 1, Field: name, Msg: "column given twice"})
		default:
			cols[name] = i + 1
		}
	}
	if len(errs) == 0 && cols["title"] == 0 {
		errs = append(errs, ImportError{Line: 1, Field: "title", Msg: "column is required"})
	}
	return cols, errs
}

// csvRow builds the input of one record.
func csvRow(rec []string, cols map[string]int) rowInput {
	get := func(name string) string {
		if i := cols[name]; i > 0 && i <= len(rec) {
			return rec[i-1]
		}
		return ""
	}
	return rowInput{get: get}
}

// rowInput is a CSV record read by column name.
type rowInput struct{ get func(string) string }

// Finding converts the record, reporting the column at fault.
func (r rowInput) Finding() (Finding, error) {
	in := FindingInput{Source: r.get("source"), Ref: r.get("ref"), Title: r.get("title"),
		Description: r.get("description"), Severity: r.get("severity"),
		CVSSVector: r.get("cvss_vector"), Owner: r.get("owner"), Found: r.get("found")}
	for s := range strings.SplitSeq(r.get("services"), ";") {
		if s = strings.TrimSpace(s); s != "" {
			in.Services = append(in.Services, s)
		}
	}
	if s := strings.TrimSpace(r.get("cvss_score")); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return Finding{}, fieldErr("cvss_score", "%q is not a number", s)
		}
		in.CVSSScore = &v
	}
	if s := strings.TrimSpace(r.get("exercise_id")); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v <= 0 {
			return Finding{}, fieldErr("exercise_id", "%q is not a positive integer", s)
		}
		in.ExerciseID = v
	}
	return in.Finding()
}

// csvError converts an error of encoding/csv.
func csvError(err error, line int) ImportError {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return ImportError{Line: pe.Line, Msg: fmt.Sprintf("column %d: %v", pe.Column, pe.Err)}
	}
	return ImportError{Line: max(line, 1), Msg: err.Error()}
}

// isFatalCSV reports a CSV error after which the reader cannot go on.
func isFatalCSV(err error) bool {
	return !errors.Is(err, csv.ErrFieldCount)
}

// importError converts an error of FindingInput.Finding.
func importError(line int, err error) ImportError {
	var fe *FieldError
	if errors.As(err, &fe) {
		return ImportError{Line: line, Field: fe.Field, Msg: fe.Msg}
	}
	return ImportError{Line: line, Msg: err.Error()}
}

// ParseFindingsJSON reads findings from a JSON array of objects with the
// keys of FindingInput (unknown keys are errors). Like ParseFindingsCSV it
// returns the good findings and one ImportError per problem, each with the
// line where its object starts.
func ParseFindingsJSON(r io.Reader) ([]Finding, []ImportError) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, []ImportError{{Line: 1, Msg: "read: " + err.Error()}}
	}
	lineAt := func(off int64) int { return 1 + bytes.Count(data[:min(off, int64(len(data)))], nl) }
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('[') {
		return nil, []ImportError{{Line: lineAt(dec.InputOffset()),
			Msg: "want a JSON array of finding objects"}}
	}
	var (
		out  []Finding
		errs []ImportError
	)
	for dec.More() {
		// The object starts after the separators that precede it.
		start := dec.InputOffset()
		rest := data[start:]
		start += int64(len(rest) - len(bytes.TrimLeft(rest, " \t\r\n,")))
		line := lineAt(start)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return out, append(errs, jsonSyntax(err, lineAt, start))
		}
		if len(out)+len(errs) >= MaxImportFindings {
			return out, append(errs, ImportError{Line: line,
				Msg: fmt.Sprintf("more than %d findings in one import", MaxImportFindings)})
		}
		f, err := decodeFinding(raw)
		if err != nil {
			errs = append(errs, importError(line, err))
			continue
		}
		out = append(out, f)
	}
	if _, err := dec.Token(); err != nil {
		return out, append(errs, jsonSyntax(err, lineAt, dec.InputOffset()))
	}
	if _, err := dec.Token(); err != io.EOF {
		errs = append(errs, ImportError{Line: lineAt(dec.InputOffset()),
			Msg: "trailing data after the array"})
	}
	return out, errs
}

var nl = []byte("\n")

// decodeFinding decodes one object strictly.
func decodeFinding(raw json.RawMessage) (Finding, error) {
	if !bytes.HasPrefix(bytes.TrimLeft(raw, " \t\r\n"), []byte("{")) {
		return Finding{}, errors.New("want a JSON object")
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	var in FindingInput
	if err := d.Decode(&in); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			return Finding{}, fieldErr(te.Field, "want a JSON %s", te.Type)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return Finding{}, fieldErr(name, "unknown field; want some of %s",
				strings.Join(csvColumns, ", "))
		}
		return Finding{}, err
	}
	return in.Finding()
}

// jsonSyntax converts a decoding error of the array.
func jsonSyntax(err error, lineAt func(int64) int, at int64) ImportError {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		at = se.Offset
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return ImportError{Line: lineAt(at), Msg: "unexpected end of the file"}
	}
	return ImportError{Line: lineAt(at), Msg: err.Error()}
}
