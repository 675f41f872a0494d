package chstore

import (
	"encoding/json"
	"strconv"

	"softswitch/domain"
)

// appendLegs appends the JSON of legs to buf, byte for byte what
// json.Marshal produces (legs_test.go checks), without its reflection and
// per-call allocations: encoding/json was a third of Put's CPU.
func appendLegs(buf []byte, legs []domain.CDRLeg) ([]byte, error) {
	if legs == nil {
		return append(buf, "null"...), nil
	}
	buf = append(buf, '[')
	for i := range legs {
		l := &legs[i]
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendField(buf, `{"leg":`, l.Leg)
		buf = appendField(buf, `,"side":`, l.Side)
		buf = appendField(buf, `,"sip_call_id":`, l.SIPCallID)
		buf = appendField(buf, `,"peer":`, l.Peer)
		if l.Target != "" {
			buf = appendField(buf, `,"target":`, l.Target)
		}
		if l.Trunk != "" {
			buf = appendField(buf, `,"trunk":`, l.Trunk)
		}
		if l.Carrier != "" {
			buf = appendField(buf, `,"carrier":`, l.Carrier)
		}
		buf = appendTime(append(buf, `,"start":`...), l.Start)
		buf = appendTime(append(buf, `,"answer":`...), l.Answer)
		buf = appendTime(append(buf, `,"end":`...), l.End)
		buf = strconv.AppendInt(append(buf, `,"sip_code":`...), int64(l.SIPCode), 10)
		buf = appendField(buf, `,"reason":`, l.Reason)
		buf = appendField(buf, `,"ended_by":`, l.EndedBy)
		buf = append(buf, '}')
	}
	return append(buf, ']'), nil
}

func appendField(buf []byte, key, v string) []byte {
	return appendString(append(buf, key...), v)
}

// appendString quotes s as encoding/json does. Plain printable ASCII
// without the characters json escapes (" \ < > &) is copied; anything else
// goes through encoding/json, so escaping rules are never re-implemented.
func appendString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string always marshals
			return append(buf, b...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

// appendTime is domain.Timestamp's MarshalJSON, appending. The common
// case, a year from 0 to 9999, is formatted by hand: time.AppendFormat's
// layout interpretation was an eighth of Put's CPU.
func appendTime(buf []byte, t domain.Timestamp) []byte {
	tt := t.Time()
	if tt.IsZero() {
		return append(buf, "null"...)
	}
	tt = tt.UTC()
	year, month, day := tt.Date()
	if year < 0 || year > 9999 {
		buf = append(buf, '"')
		buf = tt.AppendFormat(buf, domain.TimestampLayout)
		return append(buf, '"')
	}
	hour, minute, sec := tt.Clock()
	buf = append(buf, '"')
	buf = appendDigits(buf, year, 4)
	buf = appendDigits(append(buf, '-'), int(month), 2)
	buf = appendDigits(append(buf, '-'), day, 2)
	buf = appendDigits(append(buf, 'T'), hour, 2)
	buf = appendDigits(append(buf, ':'), minute, 2)
	buf = appendDigits(append(buf, ':'), sec, 2)
	buf = appendDigits(append(buf, '.'), tt.Nanosecond()/1e6, 3)
	return append(buf, 'Z', '"')
}

// appendDigits appends v zero-padded to width digits.
func appendDigits(buf []byte, v, width int) []byte {
	var d [4]byte
	for i := width - 1; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return append(buf, d[:width]...)
}
