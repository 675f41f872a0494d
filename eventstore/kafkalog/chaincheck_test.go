package kafkalog

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/segmentio/kafka-go"
)

// chained returns n records of one partition as the shipper writes them:
// records of nodes a and b interleaved, each linked into its node's chain.
func chained(n int) []kafka.Message {
	heads := map[string]Chain{}
	out := make([]kafka.Message, n)
	for i := range out {
		node := "a"
		if i%3 == 2 {
			node = "b"
		}
		value := fmt.Appendf(nil, `{"id":"e%d","node":%q}`, i, node)
		c := Link(heads[node], value)
		heads[node] = c
		out[i] = kafka.Message{Value: value, Headers: []kafka.Header{
			{Key: HeaderID, Value: fmt.Appendf(nil, "e%d", i)},
			{Key: HeaderNode, Value: []byte(node)},
			{Key: HeaderChain, Value: []byte(c.String())},
		}}
	}
	return out
}

func checkChains(msgs []kafka.Message, firstOffset int64) ChainCheck {
	var res ChainCheck
	p := newPartitionChains(3, firstOffset, &res)
	for i, m := range msgs {
		m.Offset = firstOffset + int64(i)
		id, node, ok := identity(m)
		if !ok {
			panic("test record without identity")
		}
		p.add(m, node, id)
	}
	res.sortMid()
	return res
}

func TestChainCheck(t *testing.T) {
	tests := []struct {
		name        string
		edit        func([]kafka.Message) []kafka.Message
		firstOffset int64
		linked      int
		redelivered int
		mid         []string
		// breaks are "offset id: reason fragment".
		breaks []string
	}{
		{name: "Intact", edit: func(m []kafka.Message) []kafka.Message { return m }, linked: 12},
		{
			name: "FlippedByte",
			edit: func(m []kafka.Message) []kafka.Message {
				m[4].Value = slices.Clone(m[4].Value)
				m[4].Value[3] ^= 1
				return m
			},
			linked: 11, breaks: []string{"4 e4: does not link to node a's previous record"},
		},
		{
			name:   "Deleted",
			edit:   func(m []kafka.Message) []kafka.Message { return slices.Delete(m, 3, 4) },
			linked: 10, breaks: []string{"3 e4: does not link to node a's previous record"},
		},
		{
			name: "Reordered",
			edit: func(m []kafka.Message) []kafka.Message {
				m[3], m[4] = m[4], m[3]
				return m
			},
			// e4 is out of place, e3 does not follow it, and e6 does not
			// follow e3.
			linked: 9, breaks: []string{"3 e4: does not link", "4 e3: does not link", "6 e6: does not link"},
		},
		{
			name: "Redelivered",
			edit: func(m []kafka.Message) []kafka.Message {
				// At least once: a batch written again after a failure.
				return append(m, slices.Clone(m[6:10])...)
			},
			linked: 12, redelivered: 4,
		},
		{
			name: "TamperedCopyWithStolenLink",
			edit: func(m []kafka.Message) []kafka.Message {
				forged := m[5]
				forged.Value = []byte(`{"id":"e5","node":"b","payload":"forged"}`)
				return append(m, forged)
			},
			linked: 12, breaks: []string{"12 e5: the value differs"},
		},
		{
			name: "CopyWithoutChain",
			edit: func(m []kafka.Message) []kafka.Message {
				return append(m, kafka.Message{Value: []byte(`{"id":"e0","node":"a"}`)})
			},
			linked: 12, breaks: []string{"12 e0: no chain header"},
		},
		{
			name: "UnlinkedFirst",
			edit: func(m []kafka.Message) []kafka.Message {
				// A writer's first record on the partition needs a link too.
				old := kafka.Message{Value: []byte(`{"id":"old","node":"c"}`)}
				return append([]kafka.Message{old}, m...)
			},
			linked: 12, breaks: []string{"0 old: no chain header"},
		},
		{
			name:        "RetentionDeletedTheStart",
			edit:        func(m []kafka.Message) []kafka.Message { return m[4:] },
			firstOffset: 4,
			linked:      6, mid: []string{"3/a", "3/b"},
		},
		{
			name:   "StartDeletedWithoutRetention",
			edit:   func(m []kafka.Message) []kafka.Message { return m[1:] },
			linked: 10, breaks: []string{"0 e1: node a's first record does not link from zero"},
		},
		{
			name: "RestartFromZero",
			edit: func(m []kafka.Message) []kafka.Message {
				value := []byte(`{"id":"new","node":"a"}`)
				return append(m, kafka.Message{Value: value, Headers: []kafka.Header{
					{Key: HeaderChain, Value: []byte(Link(Chain{}, value).String())},
				}})
			},
			linked: 12, breaks: []string{"12 new: node a's chain restarts from zero"},
		},
		{
			name: "BadLinkHeader",
			edit: func(m []kafka.Message) []kafka.Message {
				m[2].Headers = slices.Clone(m[2].Headers)
				m[2].Headers[2].Value = []byte("xyz")
				return m
			},
			// An unreadable link cannot resync the chain: b's next record
			// is then taken for its first.
			linked: 10, breaks: []string{"2 e2: chain \"xyz\"", "5 e5: node b's first record"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := checkChains(tc.edit(chained(12)), tc.firstOffset)
			if res.Linked != tc.linked || res.Redelivered != tc.redelivered ||
				!slices.Equal(res.MidChain, tc.mid) {
				t.Fatalf("got %+v, want linked %d redelivered %d mid %v", res, tc.linked, tc.redelivered, tc.mid)
			}
			if len(res.Breaks) != len(tc.breaks) || res.OK() != (len(tc.breaks) == 0) {
				t.Fatalf("breaks %q, want %q", res.Breaks, tc.breaks)
			}
			for i, want := range tc.breaks {
				if !strings.HasPrefix(res.Breaks[i], "3@"+want) {
					t.Fatalf("break %d = %q, want %q", i, res.Breaks[i], want)
				}
			}
		})
	}
}
