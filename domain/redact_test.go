package domain

import (
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRedactSecrets(t *testing.T) {
	at := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	seal := func(ev Event) Envelope {
		env, err := Seal(ev, "n1-1", "n1", 1, at)
		if err != nil {
			t.Fatal(err)
		}
		env.Position = 7
		return env
	}
	const md5, sha = "8d8ea00ba3b0d3b2c1e2f4f6a1b2c3d4", "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"
	tests := []struct {
		name string
		env  Envelope
		// want is the payload after redaction; "" means unchanged.
		want Event
	}{
		{"provisioned", seal(SubscriberProvisioned{User: "6000", Realm: "r", HA1MD5: md5, HA1SHA256: sha}),
			SubscriberProvisioned{User: "6000", Realm: "r", HA1MD5: Redacted, HA1SHA256: Redacted}},
		{"credentials changed", seal(SubscriberCredentialsChanged{User: "6000", Realm: "r", HA1MD5: md5, HA1SHA256: sha}),
			SubscriberCredentialsChanged{User: "6000", Realm: "r", HA1MD5: Redacted, HA1SHA256: Redacted}},
		{"only one algorithm", seal(SubscriberProvisioned{User: "6000", Realm: "r", HA1MD5: md5}),
			SubscriberProvisioned{User: "6000", Realm: "r", HA1MD5: Redacted}},
		{"no secrets in a removal", seal(SubscriberRemoved{User: "6000"}), nil},
		{"no secrets in a call event", seal(CallStarted{CallID: "c", Caller: "6000", Callee: "6001"}), nil},
		{"empty HA1s stay empty", seal(SubscriberProvisioned{User: "6000", Realm: "r"}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if holds := HoldsSecrets(tt.env); holds != (tt.env.Type == TypeSubscriberProvisioned || tt.env.Type == TypeSubscriberCredentialsChanged) {
				t.Errorf("HoldsSecrets = %v", holds)
			}
			before := slices.Clone(tt.env.Payload)
			got := RedactSecrets(tt.env)
			if !slices.Equal(tt.env.Payload, before) {
				t.Fatal("RedactSecrets changed its argument's payload")
			}
			if strings.Contains(string(got.Payload), md5) || strings.Contains(string(got.Payload), sha) {
				t.Fatalf("an HA1 left: %s", got.Payload)
			}
			// Everything but the payload is the envelope's own; a
			// redacted envelope no longer carries the sealed value, which
			// holds the secrets.
			if string(got.Payload) != string(before) {
				if got.event != nil {
					t.Fatalf("redacted envelope still carries its sealed event %+v", got.event)
				}
				if _, err := Decode(got); err != nil && tt.env.event != nil {
					t.Fatalf("redacted envelope does not decode: %v", err)
				}
			}
			g, e := got, tt.env
			g.Payload, e.Payload = nil, nil
			g.event, e.event = nil, nil
			if !reflect.DeepEqual(g, e) {
				t.Errorf("envelope changed: %+v, want %+v", g, e)
			}
			if tt.want == nil {
				if string(got.Payload) != string(before) {
					t.Errorf("payload %s, want it unchanged %s", got.Payload, before)
				}
				return
			}
			ev, err := Decode(got)
			if err != nil {
				t.Fatalf("a redacted envelope must still decode: %v", err)
			}
			if !reflect.DeepEqual(ev, tt.want) {
				t.Errorf("redacted %+v, want %+v", ev, tt.want)
			}
		})
	}
	t.Run("not an object", func(t *testing.T) {
		got := RedactSecrets(Envelope{Type: TypeSubscriberProvisioned, Payload: json.RawMessage(`"` + md5 + `"`)})
		if string(got.Payload) != "{}" {
			t.Errorf("payload %s, want {}", got.Payload)
		}
	})
}

// TestSecretFieldsCovered: every field of every event whose name says it
// holds a secret is one RedactSecrets redacts, so a new event with an HA1,
// password or token cannot reach the admin API in clear by oversight.
func TestSecretFieldsCovered(t *testing.T) {
	secret := regexp.MustCompile(`(?i)ha1|password|passwd|secret|token|credential|authorization|private`)
	for _, typ := range EventTypes() {
		ev, err := decodePayload(typ, 1, []byte(`{}`))
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		for _, f := range jsonFields(reflect.TypeOf(ev), "") {
			if !secret.MatchString(f) {
				continue
			}
			if strings.Contains(f, ".") || !slices.Contains(secretFields(typ), f) {
				t.Errorf("%s.%s looks like a secret and is not redacted (secretFields only redacts top-level fields)", typ, f)
			}
		}
	}
}

// jsonFields lists the JSON names of a struct's fields, nested ones as
// "outer.inner".
func jsonFields(typ reflect.Type, prefix string) []string {
	for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
		typ = typ.Elem()
	}
	if typ.Kind() != reflect.Struct || typ == reflect.TypeOf(time.Time{}) {
		return nil
	}
	var out []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if f.Anonymous {
			out = append(out, jsonFields(f.Type, prefix)...)
			continue
		}
		out = append(out, prefix+name)
		out = append(out, jsonFields(f.Type, prefix+name+".")...)
	}
	return out
}
