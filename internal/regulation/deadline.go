package regulation

import (
	"strconv"
	"strings"
	"time"
)

// schedule sets the clock start, deadline, target and status of ob from
// the stage's deadline rule: the earliest of the main period and every
// cap whose clock has started.
func (c *Catalog) schedule(ob *Obligation, st *Stage, fs Facts, sent map[Key]time.Time,
	done map[string]Obligation) {
	d := st.Deadline
	ob.Rule = c.describeRule(st)
	cal := c.calendars[d.Calendar]
	var cutoff time.Duration
	if d.Cutoff != "" {
		cutoff, _ = parseCutoff(d.Cutoff)
	}
	add := func(s Span, from time.Time) time.Time {
		t, err := s.addTo(from, cal, cutoff)
		if err != nil {
			// The loader admits no span addTo refuses; a failure is a bug.
			panic("regulation: " + err.Error())
		}
		return t
	}

	start, prov, why, started := clockStart(d.From, fs, ob.Key, sent, done)
	var deadline time.Time
	if started {
		ob.ClockStart, ob.Provisional = start, prov
		if !d.Within.IsZero() {
			deadline = add(d.Within, start)
			ob.Statutory = true
		}
		if !d.Target.IsZero() {
			ob.Target = add(d.Target, start)
		}
	}
	for _, cp := range d.Caps {
		cs, cprov, _, ok := clockStart(cp.From, fs, ob.Key, sent, done)
		if !ok {
			continue
		}
		if t := add(cp.Within, cs); deadline.IsZero() || t.Before(deadline) {
			deadline, ob.Statutory = t, true
			ob.ClockStart, ob.Provisional, ob.Clock = cs, cprov, cp.From.String()
			if !started {
				ob.Notes = append(ob.Notes, "the clock of the main period ("+d.From.String()+
					") has not started; the limit of "+cp.Within.Describe()+" from "+
					cp.From.String()+" applies")
			}
		}
	}
	if deadline.IsZero() && !ob.Target.IsZero() {
		deadline = ob.Target
	}
	if deadline.IsZero() {
		ob.Status = StatusClockNotStarted
		ob.Reason = "clock not started: " + why
		return
	}
	ob.finish(deadline, why, cal)
}

// finish sets the deadline, the status and the notes of a scheduled
// obligation; why says where its clock started.
func (ob *Obligation) finish(deadline time.Time, why string, cal *Calendar) {
	ob.Deadline = deadline
	if !ob.Target.IsZero() && !ob.Target.Before(deadline) {
		ob.Target = time.Time{} // no earlier internal target to show
		if !ob.Statutory {
			ob.Target = deadline
		}
	}
	ob.Status = StatusDue
	if len(ob.Unknown) > 0 {
		ob.Status = StatusPossible
	}
	if ob.Provisional {
		ob.Notes = append(ob.Notes, "counted from "+why+"; sending that stage earlier"+
			" moves this deadline earlier")
	}
	if cal != nil {
		ob.Zone = cal.Zone
		if !cal.Covers(ob.ClockStart) || !cal.Covers(deadline) {
			ob.Notes = append(ob.Notes, "holiday calendar "+cal.ID+" lists holidays for "+
				strconv.Itoa(cal.From)+" to "+strconv.Itoa(cal.To)+" only; outside them only"+
				" weekends were skipped")
		}
	}
}

// scheduleRepeat schedules the next occurrence of a recurring stage: the
// first from the stage's rule, each later one Repeat after the previous
// was sent, until the Until fact is yes.
func (c *Catalog) scheduleRepeat(ob *Obligation, st *Stage, fs Facts,
	sent map[Key]time.Time, done map[string]Obligation) {
	n := 0
	for {
		k := ob.Key
		k.Occurrence = n + 1
		if _, ok := sent[k]; !ok {
			break
		}
		n++
	}
	ob.Key.Occurrence = n + 1
	ob.Rule = c.describeRule(st)
	if f := fs[st.Until]; st.Until != "" && f.Truth == Yes {
		ob.Status = StatusNotRequired
		ob.Reason = "not required: no further occurrence after " + f.describe(st.Until)
		return
	}
	if n == 0 {
		c.schedule(ob, st, fs, sent, done)
		return
	}
	prev := ob.Key
	prev.Occurrence = n
	ob.ClockStart = sent[prev]
	ob.Clock = "occurrence " + strconv.Itoa(n) + " sent"
	ob.Deadline, _ = st.Repeat.addTo(ob.ClockStart, nil, 0)
	ob.Statutory = true
	ob.Status = StatusDue
	if len(ob.Unknown) > 0 {
		ob.Status = StatusPossible
	}
}

// describeRule puts a stage's deadline rule in words.
func (c *Catalog) describeRule(st *Stage) string {
	d := st.Deadline
	var b strings.Builder
	switch d.Kind {
	case KindWithin:
		b.WriteString("within " + d.Within.Describe())
	default:
		b.WriteString(strings.ReplaceAll(d.Kind, "-", " "))
	}
	if cal, ok := c.calendars[d.Calendar]; ok {
		b.WriteString(" (holiday calendar " + cal.ID + ", " + cal.Zone)
		if d.Cutoff != "" {
			b.WriteString(", due at " + d.Cutoff + " local time")
		}
		b.WriteString(")")
	}
	b.WriteString(" from " + d.From.String())
	if d.Kind != KindWithin {
		b.WriteString(" (Vigil's internal target: " + d.Target.Describe())
		if !d.Within.IsZero() {
			b.WriteString("; at most " + d.Within.Describe() + " by law")
		}
		b.WriteString(")")
	} else if !d.Target.IsZero() {
		b.WriteString(" (Vigil's internal target: " + d.Target.Describe() + ")")
	}
	for _, cp := range d.Caps {
		b.WriteString(", and at most " + cp.Within.Describe() + " from " + cp.From.String())
	}
	if !st.Repeat.IsZero() {
		b.WriteString("; then every " + st.Repeat.Describe() + " after the previous one")
		if st.Until != "" {
			b.WriteString(" until " + st.Until)
		}
	}
	return b.String()
}
