package bundle

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"softswitch/domain"
	"softswitch/eventstore/journal"
)

func encodeProof(p journal.Proof) *Proof {
	return &Proof{Prev: hex.EncodeToString(p.Prev[:]), Chain: hex.EncodeToString(p.Chain[:]), Body: base64.StdEncoding.EncodeToString(p.Body)}
}

// decodeProof turns the JSON form back into a journal.Proof of position.
func decodeProof(position uint64, p *Proof) (journal.Proof, error) {
	out := journal.Proof{Position: position}
	for _, f := range []struct {
		name string
		hex  string
		dst  *journal.Chain
	}{{"prev", p.Prev, &out.Prev}, {"chain", p.Chain, &out.Chain}} {
		b, err := hex.DecodeString(f.hex)
		if err != nil || len(b) != len(f.dst) {
			return out, fmt.Errorf("proof %s is not %d hex bytes", f.name, len(f.dst))
		}
		copy(f.dst[:], b)
	}
	body, err := base64.StdEncoding.DecodeString(p.Body)
	if err != nil {
		return out, fmt.Errorf("proof body is not base64: %v", err)
	}
	out.Body = body
	return out, nil
}

// proveLine checks that line (an events.jsonl line, no newline) is the
// JSON encoding of the envelope the proof's record holds. It returns a
// reason and the cause when not.
func proveLine(line []byte, position uint64, p *Proof) (string, error) {
	jp, err := decodeProof(position, p)
	if err != nil {
		return err.Error(), nil
	}
	env, err := journal.CheckProof(jp)
	if err != nil {
		return "journal proof: " + err.Error(), err
	}
	want, err := json.Marshal(env)
	if err != nil {
		return "journal proof: envelope does not encode: " + err.Error(), nil
	}
	if !bytes.Equal(want, line) {
		return fmt.Sprintf("differs from the journal record at position %d (%s)", position, envelopeDiff(line, env)), nil
	}
	return "", nil
}

// envelopeDiff names the first field in which line differs from env, so
// the report says what was changed rather than only that something was.
func envelopeDiff(line []byte, env domain.Envelope) string {
	var got domain.Envelope
	if err := json.Unmarshal(line, &got); err != nil {
		return "line is not an envelope"
	}
	switch {
	case got.ID != env.ID:
		return fmt.Sprintf("id %q, journal %q", got.ID, env.ID)
	case got.Type != env.Type:
		return fmt.Sprintf("type %q, journal %q", got.Type, env.Type)
	case got.Version != env.Version:
		return fmt.Sprintf("version %d, journal %d", got.Version, env.Version)
	case got.Aggregate != env.Aggregate:
		return fmt.Sprintf("aggregate %q, journal %q", got.Aggregate, env.Aggregate)
	case got.Seq != env.Seq:
		return fmt.Sprintf("seq %d, journal %d", got.Seq, env.Seq)
	case got.Node != env.Node:
		return fmt.Sprintf("node %q, journal %q", got.Node, env.Node)
	case !got.Time.Equal(env.Time):
		return fmt.Sprintf("time %s, journal %s", got.Time, env.Time)
	case got.Position != env.Position:
		return fmt.Sprintf("position %d, journal %d", got.Position, env.Position)
	case !bytes.Equal(got.Payload, env.Payload):
		return "payload"
	}
	return "encoding"
}
