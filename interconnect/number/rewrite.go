package number

import (
	"fmt"
	"strings"
)

// Rewrite describes, for one trunk, how numbers matching it are sent:
// written in Format, then StripPrefix removed from the front (when
// present) and AddPrefix put in front (a carrier's technical or routing
// prefix, say). Match and Kind narrow which numbers the rule is for.
type Rewrite struct {
	// Match is an E.164 digit prefix the number must start with; "" matches
	// every number.
	Match string
	// Kind, when not KindUnknown, is the only kind the rule applies to.
	Kind Kind
	// Format is "e164", "+e164", "national" or "00".
	Format string
	// StripPrefix is removed from the front of the formatted number.
	StripPrefix string
	// AddPrefix is put in front of the result.
	AddPrefix string
}

type rule struct {
	match      string
	kind       Kind
	format     Format
	strip, add string
}

// Rules is a trunk's ordered list of rewrites. The zero Rules sends every
// number as E.164 digits.
type Rules struct {
	rules []rule
}

// NewRules validates rs. The first rule that matches a number is used, so
// list specific rules before general ones. Errors wrap ErrInvalidRewrite
// and name the rule by its index.
func NewRules(rs ...Rewrite) (Rules, error) {
	out := make([]rule, 0, len(rs))
	for i, r := range rs {
		f, ok := ParseFormat(r.Format)
		if !ok {
			return Rules{}, fmt.Errorf("%w: rewrite[%d].format: unknown format %q (want e164, +e164, national or 00)", ErrInvalidRewrite, i, r.Format)
		}
		if !allDigits(r.Match) {
			return Rules{}, fmt.Errorf("%w: rewrite[%d].match: %q is not digits", ErrInvalidRewrite, i, r.Match)
		}
		if r.Kind > International {
			return Rules{}, fmt.Errorf("%w: rewrite[%d].kind: unknown kind %d", ErrInvalidRewrite, i, r.Kind)
		}
		for _, p := range [...]struct{ name, v string }{{"strip_prefix", r.StripPrefix}, {"add_prefix", r.AddPrefix}} {
			if !dialString(p.v) {
				return Rules{}, fmt.Errorf("%w: rewrite[%d].%s: %q has characters other than digits, '+', '*' and '#'", ErrInvalidRewrite, i, p.name, p.v)
			}
		}
		out = append(out, rule{match: r.Match, kind: r.Kind, format: f, strip: r.StripPrefix, add: r.AddPrefix})
	}
	return Rules{rules: out}, nil
}

// Apply returns n as the trunk wants it: the first matching rule's format
// and prefixes, or the E.164 digits when no rule matches.
func (r Rules) Apply(n Number) string {
	for _, x := range r.rules {
		if (x.kind != KindUnknown && x.kind != n.kind) || !strings.HasPrefix(n.e164, x.match) {
			continue
		}
		s := strings.TrimPrefix(n.Render(x.format), x.strip)
		return x.add + s
	}
	return n.e164
}

// Len returns the number of rules.
func (r Rules) Len() int { return len(r.rules) }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// dialString allows the characters a dial string may carry besides digits
// (ITU-T Q.23 DTMF '*' and '#', and '+').
func dialString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && c != '+' && c != '*' && c != '#' {
			return false
		}
	}
	return true
}
