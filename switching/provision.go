package switching

import (
	"context"
	"errors"

	"softswitch/domain"
	"softswitch/projections"
	"softswitch/switching/auth"
)

// ErrNoSuchSubscriber is returned when removing an unknown subscriber.
var ErrNoSuchSubscriber = errors.New("no such subscriber")

// Provisioner turns subscriber changes (config seeding, the admin API) into
// events. It is idempotent: provisioning unchanged credentials records
// nothing, so seeding from the config file at every start is safe.
type Provisioner struct {
	realm string
	rec   *Recorder
	subs  *projections.Subscribers
	loc   *projections.Location
	locks *keyLocks
}

// NewProvisioner wires a provisioner for realm.
func NewProvisioner(realm string, rec *Recorder, subs *projections.Subscribers, loc *projections.Location) *Provisioner {
	return &Provisioner{realm: realm, rec: rec, subs: subs, loc: loc, locks: newKeyLocks()}
}

// Provision creates the subscriber or changes its password. It reports
// whether an event was recorded.
func (p *Provisioner) Provision(ctx context.Context, user, password string) (bool, error) {
	if user == "" || password == "" {
		return false, errors.New("user and password are required")
	}
	md5 := auth.HA1(auth.MD5, user, p.realm, password)
	sha := auth.HA1(auth.SHA256, user, p.realm, password)
	unlock := p.locks.lock(user)
	defer unlock()
	cur, exists := p.subs.Lookup(user)
	if exists && cur.Realm == p.realm && cur.HA1MD5 == md5 && cur.HA1SHA256 == sha {
		return false, nil
	}
	var ev domain.Event = domain.SubscriberProvisioned{User: user, Realm: p.realm, HA1MD5: md5, HA1SHA256: sha}
	if exists {
		ev = domain.SubscriberCredentialsChanged{User: user, Realm: p.realm, HA1MD5: md5, HA1SHA256: sha}
	}
	now := p.rec.Now()
	return true, p.rec.Record(ctx, domain.Recorded{Event: ev, Seq: p.subs.Version(user) + 1, At: now})
}

// Remove deletes a subscriber and unbinds its contacts.
func (p *Provisioner) Remove(ctx context.Context, user string) error {
	unlock := p.locks.lock(user)
	defer unlock()
	if _, ok := p.subs.Lookup(user); !ok {
		return ErrNoSuchSubscriber
	}
	now := p.rec.Now()
	if err := p.rec.Record(ctx, domain.Recorded{Event: domain.SubscriberRemoved{User: user}, Seq: p.subs.Version(user) + 1, At: now}); err != nil {
		return err
	}
	seq := p.loc.Version(user)
	var recs []domain.Recorded
	for _, b := range p.loc.Lookup(user, now) {
		seq++
		recs = append(recs, domain.Recorded{Event: domain.ContactUnbound{AOR: user, Contact: b.Contact, Reason: domain.UnbindRemoved}, Seq: seq, At: now})
	}
	return p.rec.Record(ctx, recs...)
}
