package sigma

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// vigilAttrs reads the rule's "vigil" custom attribute (group_by, window)
// into r. An absent attribute is fine; a malformed one is an error.
func (p *parser) vigilAttrs(r *Rule, root *yaml.Node) error {
	v := mapValue(root, "vigil")
	if v == nil {
		return nil
	}
	if v.Kind != yaml.MappingNode {
		return fmt.Errorf("vigil: want a mapping")
	}
	r.GroupBy = listValue(v, "group_by")
	if w := scalarValue(v, "window"); w != "" {
		d, err := time.ParseDuration(w)
		if err != nil || d <= 0 {
			return fmt.Errorf("vigil: window %q: want a positive duration such as 15m or 1h", w)
		}
		r.GroupWindow = d
	}
	return nil
}
