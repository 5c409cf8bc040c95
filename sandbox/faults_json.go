package sandbox

import (
	"encoding/json"
	"fmt"
	"time"
)

// ruleJSON is a Rule on the control API, durations as Go strings ("200ms")
// or whole seconds.
type ruleJSON struct {
	Service     string       `json:"service,omitempty"`
	Method      string       `json:"method,omitempty"`
	Path        string       `json:"path,omitempty"`
	Times       int          `json:"times,omitempty"`
	Probability float64      `json:"probability,omitempty"`
	Action      ActionKind   `json:"action"`
	Delay       jsonDuration `json:"delay,omitzero"`
	Status      int          `json:"status,omitempty"`
	RetryAfter  jsonDuration `json:"retryAfter,omitzero"`
	Body        string       `json:"body,omitempty"`
}

// MarshalJSON writes the rule as the control API shows it.
func (r Rule) MarshalJSON() ([]byte, error) { return json.Marshal(r.toJSON()) }

// UnmarshalJSON reads the rule as the control API takes it.
func (r *Rule) UnmarshalJSON(b []byte) error {
	var j ruleJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Rule{
		Service: j.Service, Method: j.Method, Path: j.Path, Times: j.Times, Probability: j.Probability,
		Action: Action{Kind: j.Action, Delay: time.Duration(j.Delay), Status: j.Status,
			RetryAfter: time.Duration(j.RetryAfter), Body: j.Body},
	}
	return nil
}

func (r Rule) toJSON() ruleJSON {
	return ruleJSON{
		Service: r.Service, Method: r.Method, Path: r.Path, Times: r.Times, Probability: r.Probability,
		Action: r.Action.Kind, Delay: jsonDuration(r.Action.Delay), Status: r.Action.Status,
		RetryAfter: jsonDuration(r.Action.RetryAfter), Body: r.Action.Body,
	}
}

// MarshalJSON writes the state flat: id, hits, done and the rule's fields.
func (s RuleState) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ID   int  `json:"id"`
		Hits int  `json:"hits"`
		Done bool `json:"done"`
		ruleJSON
	}{s.ID, s.Hits, s.Done, s.Rule.toJSON()})
}

// jsonDuration is a duration written as a Go string and read from one or
// from a number of seconds.
type jsonDuration time.Duration

func (d jsonDuration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d *jsonDuration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: %w", s, err)
		}
		*d = jsonDuration(v)
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("a duration is a string such as \"200ms\" or a number of seconds")
	}
	*d = jsonDuration(secs * float64(time.Second))
	return nil
}
