package chsettle

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// settlementDoc explains the SQL; it must quote the code's queries
// verbatim, so what a reader runs by hand is what the adapter runs.
const settlementDoc = "../../../docs/settlement.md"

var sqlBlock = regexp.MustCompile("(?s)```sql\n-- name: ([a-z_]+)\n(.*?)\n```")

func TestDocQuotesQueries(t *testing.T) {
	b, err := os.ReadFile(settlementDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := map[string]string{}
	for _, m := range sqlBlock.FindAllStringSubmatch(string(b), -1) {
		doc[m[1]] = m[2]
	}
	code := map[string]string{
		"statement_final":  strings.Replace(qStatementFinal, "{callee}", "", 1),
		"wholesale_clause": strings.TrimPrefix(calleeClause, "\n"),
		"day_signature":    qDaySignature,
		"rollup_builds":    qBuilds,
		"rollup_build":     qBuildDays,
		"statement_daily":  qStatementDaily,
		"our_calls":        qOurCalls,
	}
	for name, q := range code {
		if os.Getenv("SETTLE_PRINT_SQL") == "1" {
			t.Logf("\n```sql\n-- name: %s\n%s\n```", name, q)
		}
		if doc[name] != q {
			t.Errorf("%s: query %q differs from the code's:\n%s", settlementDoc, name, q)
		}
	}
}
