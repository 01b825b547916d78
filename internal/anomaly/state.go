package anomaly

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// stateVersion is the version of the saved state's format.
const stateVersion = 1

// savedState is the JSON form of a Detector's state.
type savedState struct {
	Version  int            `json:"version"`
	Open     int64          `json:"open"`
	Newest   time.Time      `json:"newest"`
	Bucket   time.Duration  `json:"bucket"`
	Services []savedService `json:"services"`
	Hosts    []savedHost    `json:"hosts"`
}

type savedService struct {
	Name      string                   `json:"name"`
	FirstSeen time.Time                `json:"first_seen"`
	LastSeen  time.Time                `json:"last_seen"`
	Messages  int64                    `json:"messages"`
	Miner     MinerState               `json:"miner"`
	Templates map[int64]*templateStats `json:"templates"`
	Params    []savedParam             `json:"params"`
}

type savedParam struct {
	Key   paramKey    `json:"key"`
	Stats *paramStats `json:"stats"`
}

type savedHost struct {
	Host  string      `json:"host"`
	Level string      `json:"level"`
	State *hostSeries `json:"state"`
}

// MarshalState returns the Detector's state (templates, rate histories,
// learned values) as gzip-compressed JSON, for RestoreState after a
// restart.
func (d *Detector) MarshalState() ([]byte, error) {
	d.mu.Lock()
	st := savedState{Version: stateVersion, Open: d.open, Newest: d.newest, Bucket: d.cfg.Bucket}
	for _, s := range d.services {
		ss := savedService{Name: s.name, FirstSeen: s.firstSeen, LastSeen: s.lastSeen,
			Messages: s.messages, Miner: s.miner.State(), Templates: s.templates}
		for k, p := range s.params {
			ss.Params = append(ss.Params, savedParam{k, p})
		}
		st.Services = append(st.Services, ss)
	}
	for k, h := range d.hosts {
		st.Hosts = append(st.Hosts, savedHost{k.Host, k.Level, h})
	}
	// Encode under the lock: the maps and series are shared.
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	err := json.NewEncoder(zw).Encode(st)
	d.mu.Unlock()
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("anomaly: marshal state: %w", err)
	}
	return buf.Bytes(), nil
}

// RestoreState replaces the Detector's state with one MarshalState
// returned. A state saved with another bucket width keeps its templates and
// learned values but drops its rate histories.
func (d *Detector) RestoreState(data []byte) error {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("anomaly: restore state: %w", err)
	}
	var st savedState
	if err := json.NewDecoder(io.LimitReader(zr, 1<<32)).Decode(&st); err != nil {
		return fmt.Errorf("anomaly: restore state: %w", err)
	}
	if st.Version != stateVersion {
		return fmt.Errorf("anomaly: restore state: version %d, want %d", st.Version,
			stateVersion)
	}
	sameGrid := st.Bucket == d.cfg.Bucket
	d.mu.Lock()
	defer d.mu.Unlock()
	d.services = map[string]*service{}
	d.hosts = map[hostKey]*hostSeries{}
	d.newest = st.Newest
	d.open = st.Open
	for _, ss := range st.Services {
		s := &service{name: ss.Name, firstSeen: ss.FirstSeen, lastSeen: ss.LastSeen,
			messages: ss.Messages, templates: ss.Templates, params: map[paramKey]*paramStats{},
			miner: NewMinerFrom(MinerConfig{MaxTemplates: d.cfg.MaxTemplates}, ss.Miner)}
		if s.templates == nil {
			s.templates = map[int64]*templateStats{}
		}
		for id, t := range s.templates {
			switch {
			case t == nil:
				delete(s.templates, id)
			case !sameGrid || t.Rate == nil:
				t.Rate = newSeries(st.Open)
			}
		}
		for _, p := range ss.Params {
			if p.Stats == nil {
				continue
			}
			if p.Stats.Values == nil && !p.Stats.Open {
				p.Stats.Values = map[string]int64{}
			}
			s.params[p.Key] = p.Stats
		}
		d.services[s.name] = s
	}
	for _, h := range st.Hosts {
		if h.State == nil {
			continue
		}
		if !sameGrid || h.State.Rate == nil {
			h.State.Rate = newSeries(st.Open)
		}
		d.hosts[hostKey{h.Host, h.Level}] = h.State
	}
	if !sameGrid {
		d.open = d.grid.index(st.Newest)
	}
	return nil
}
