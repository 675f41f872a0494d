// Package compliance is the pure core of the dialer's dial-time compliance
// decisions (issue 15): whether a lead may be called now, and if not, why
// and when it could be.
//
//   - DNC is the versioned do-not-call list (谢绝来电): keys (E.164 digits
//     as uint64, see Key) in a sorted base plus a small sorted delta,
//     behind an atomic pointer. Apply(Batch) publishes version+1;
//     ImportCSV loads a file, rejecting bad rows by line and column and
//     applying nothing on a fatal error. Lookups neither lock nor allocate.
//   - Hours are per-campaign calling windows per weekday and holidays, in
//     the callee's local time (CountryZone, overridden by Lead.Zone);
//     Open and NextOpen.
//   - Caps is the frequency-cap table shared by all campaigns: a ring of
//     recent attempts per callee, sharded mutexes, expired callees swept.
//     Allow, Take (check and record atomically), Record, Cancel.
//   - Pool hands out a carrier's caller IDs (外显号码): round robin or
//     least used, a daily cap per number, and numbers whose answer rate
//     collapses taken out (Pick, Outcome).
//   - Retry says whether and when to retry a lead by call outcome (Next).
//   - Engine.Decide runs DNC → hours → caps → pool and returns a Decision
//     carrying what it used (DNC version, hours rule, zone, cap counters),
//     for the event that records it.
//
// Nothing reads the clock: every method takes now. Configs are plain
// structs with yaml tags; Validate names the offending field
// (*ConfigError, "hours.windows[2].start"). See docs/dialer-compliance.md.
package compliance
