package projections

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"softswitch/billing/rating"
	"softswitch/domain"
)

// RateDecks folds rates.deck_published into every published deck version
// and serves a compiled rating.Rater over them. Versions of a name must
// count 1, 2, … with a fixed side and owner: a publication that does not
// (a racing import that reused a number, a deck that fails validation)
// is skipped and counted in Skipped, never fatal to a replay, because
// the log cannot be corrected and the switch must start.
type RateDecks struct {
	mu sync.Mutex
	// decks holds every accepted version, in publication order: the
	// Rater's rule for two decks of one owner in force at once.
	decks  []rating.Deck
	latest map[string]int // name -> highest version
	seq    map[string]uint64
	// rater is the compiled snapshot, nil after a change until Rater
	// rebuilds it: a replay of many publications compiles once.
	rater   *rating.Rater
	skipped []string
}

// NewRateDecks returns an empty projection.
func NewRateDecks() *RateDecks {
	return &RateDecks{latest: map[string]int{}, seq: map[string]uint64{}}
}

// Apply implements Projection.
func (p *RateDecks) Apply(env domain.Envelope, ev domain.Event) error {
	if env.Type != domain.TypeRateDeckPublished {
		return nil
	}
	ev, err := decodeIf(env, ev)
	if err != nil {
		return err
	}
	e, ok := ev.(domain.RateDeckPublished)
	if !ok {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq[env.Aggregate] = max(p.seq[env.Aggregate], env.Seq)
	d, err := rating.DeckFromEvent(e)
	if err == nil {
		err = p.check(d)
	}
	if err != nil {
		p.skipped = append(p.skipped, fmt.Sprintf("position %d: %s@v%d: %v", env.Position, e.Name, e.Version, err))
		return nil
	}
	p.decks = append(p.decks, d)
	p.latest[d.Name] = d.Version
	p.rater = nil
	return nil
}

// check enforces the version sequence and the fixed side and owner of a
// name. mu is held.
func (p *RateDecks) check(d rating.Deck) error {
	if want := p.latest[d.Name] + 1; d.Version != want {
		return fmt.Errorf("version %d, want %d", d.Version, want)
	}
	if prev, ok := p.find(d.Name, d.Version-1); ok && (prev.Side != d.Side || prev.Owner != d.Owner) {
		return fmt.Errorf("side/owner %s %s, but v%d is %s %s", d.Side, d.Owner, prev.Version, prev.Side, prev.Owner)
	}
	return nil
}

func (p *RateDecks) find(name string, version int) (rating.Deck, bool) {
	for i := len(p.decks) - 1; i >= 0; i-- {
		if d := p.decks[i]; d.Name == name && d.Version == version {
			return d, true
		}
	}
	return rating.Deck{}, false
}

// Rater returns the compiled snapshot of every published deck, building
// it after a change. The snapshot is immutable: callers keep it for as
// long as they like, and a later publication builds a new one. With no
// deck it is an empty Rater, which rates every answered call unrated.
func (p *RateDecks) Rater() *rating.Rater {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rater == nil {
		r, err := rating.NewRater(p.decks)
		if err != nil {
			// Apply validated every deck; only a bug gets here.
			panic(fmt.Sprintf("projections: compile rate decks: %v", err))
		}
		p.rater = r
	}
	return p.rater
}

// Latest returns the highest version of a deck name.
func (p *RateDecks) Latest(name string) (rating.Deck, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.find(name, p.latest[name])
}

// Version returns a deck's version, to read the deck a CDR names
// ("name@vN").
func (p *RateDecks) Version(name string, version int) (rating.Deck, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.find(name, version)
}

// Versions lists every accepted version of (side, owner), oldest first.
func (p *RateDecks) Versions(side rating.Side, owner string) []rating.Deck {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []rating.Deck
	for _, d := range p.decks {
		if d.Side == side && d.Owner == owner {
			out = append(out, d)
		}
	}
	return out
}

// Names lists the deck names, sorted.
func (p *RateDecks) Names() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	names := make([]string, 0, len(p.latest))
	for n := range p.latest {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Seq is the last seq applied for an aggregate ("deck:<name>"), for the
// next publication's envelope.
func (p *RateDecks) Seq(aggregate string) uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seq[aggregate]
}

// Skipped describes the publications Apply refused, one line each.
func (p *RateDecks) Skipped() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.skipped)
}

// NextVersion is the version a new publication of name must carry, and
// an error when name is already a deck of another side or owner.
func (p *RateDecks) NextVersion(name string, side rating.Side, owner string) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v := p.latest[name]
	if prev, ok := p.find(name, v); ok && (prev.Side != side || prev.Owner != owner) {
		return 0, fmt.Errorf("deck %s is a %s deck of %s, not %s of %s", name, prev.Side, prev.Owner, side, strings.TrimSpace(owner))
	}
	return v + 1, nil
}
