package domain

import "encoding/json"

// Redacted replaces a secret in an envelope that leaves the switch.
const Redacted = "[redacted]"

// secretFields are the payload fields of an event type that must not
// leave the switch: a subscriber's HA1 is all a client needs to answer a
// digest challenge as that subscriber (RFC 7616 §5.13), so it is as good
// as the password. A switch, not a map, so the list is a constant of the
// code; TestSecretFieldsCovered keeps it complete.
func secretFields(typ string) []string {
	switch typ {
	case TypeSubscriberProvisioned, TypeSubscriberCredentialsChanged:
		return []string{"ha1_md5", "ha1_sha256"}
	}
	return nil
}

// HoldsSecrets reports whether env's type carries secrets that
// RedactSecrets redacts: a reader comparing envelopes byte for byte (a
// digest against Kafka's copy) must take such an envelope from the journal
// itself, not from an edge.
func HoldsSecrets(env Envelope) bool { return len(secretFields(env.Type)) > 0 }

// RedactSecrets returns env with its secrets replaced by Redacted, for
// every edge that shows events to people or other programs (the admin
// API, replay, exports). The journal and Kafka keep the real values: the
// log is the source of truth and the switch authenticates from it. The
// envelope's other fields and the payload's other keys are unchanged; an
// envelope without secrets, or whose payload is not a JSON object, is
// returned as it is.
func RedactSecrets(env Envelope) Envelope {
	fields := secretFields(env.Type)
	if len(fields) == 0 {
		return env
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(env.Payload, &m); err != nil {
		// Not an object: it cannot be this type's payload, and holds no
		// field to redact. Nothing of it is shown as a secret either.
		env.Payload, env.event = json.RawMessage(`{}`), nil
		return env
	}
	changed := false
	for _, f := range fields {
		if v, ok := m[f]; ok && string(v) != `""` && string(v) != "null" {
			m[f] = json.RawMessage(`"` + Redacted + `"`)
			changed = true
		}
	}
	if !changed {
		return env
	}
	b, err := json.Marshal(m)
	if err != nil {
		env.Payload, env.event = json.RawMessage(`{}`), nil
		return env
	}
	// The sealed value holds the secrets the payload no longer does.
	env.Payload, env.event = b, nil
	return env
}
