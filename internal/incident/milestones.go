package incident

import "time"

// Milestones are the moments of an incident's response that the response
// metrics and the post-mortem measure; a zero time is a milestone not (yet)
// reached. They are read from the record alone (docs/metrics.md):
//
//   - Detected: Record.Detected;
//   - Acknowledged: the first phase change out of detected (a responder
//     took the incident in hand);
//   - Confirmed: Record.Confirmed, the first classification as confirmed;
//   - Contained: the first move into eradication (containment is done);
//   - Eradicated: the first move into recovery;
//   - Recovered: the first move into post-incident;
//   - Closed: the last move into closed, when the incident is closed now.
type Milestones struct {
	Detected     time.Time `json:"detected,omitzero"`
	Acknowledged time.Time `json:"acknowledged,omitzero"`
	Confirmed    time.Time `json:"confirmed,omitzero"`
	Contained    time.Time `json:"contained,omitzero"`
	Eradicated   time.Time `json:"eradicated,omitzero"`
	Recovered    time.Time `json:"recovered,omitzero"`
	Closed       time.Time `json:"closed,omitzero"`
}

// Milestones returns the record's milestones, in UTC.
func (r *Record) Milestones() Milestones {
	m := Milestones{Detected: r.Detected.UTC(), Confirmed: r.Confirmed.UTC()}
	first := func(t *time.Time, at time.Time) {
		if t.IsZero() {
			*t = at.UTC()
		}
	}
	for _, pc := range r.PhaseChanges {
		if pc.From == PhaseDetected {
			first(&m.Acknowledged, pc.At)
		}
		switch pc.To {
		case PhaseEradication:
			first(&m.Contained, pc.At)
		case PhaseRecovery:
			first(&m.Eradicated, pc.At)
		case PhasePostIncident:
			first(&m.Recovered, pc.At)
		case PhaseClosed:
			m.Closed = pc.At.UTC()
		}
	}
	if r.Phase != PhaseClosed {
		m.Closed = time.Time{}
	}
	return m
}
