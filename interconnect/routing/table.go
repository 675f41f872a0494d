package routing

// Table is a compiled Plan: immutable, safe for concurrent Decide calls.
type Table struct {
	routes   *PrefixTable[int32] // E.164 prefix -> index into rts
	rts      []route
	segments *PrefixTable[int32] // national mobile prefix -> index into segs
	segs     []segment
	trunks   []trunk
	carriers []carrier
	// trunksOf lists each carrier's trunks in plan order.
	trunksOf [][]int32
	ported   map[string]int32 // E.164 -> carrier index
	cost     CostFunc
}

type route struct {
	prefix    string
	trunks    []int32
	weights   []int
	byCarrier bool
	byCost    bool
}

type trunk struct {
	name    string
	carrier int32
	maxCh   int
	maxCPS  int
}

type carrier struct {
	name string
	mvno bool
	host int32 // -1 for an MNO
}

type segment struct {
	carrier string
	mvno    bool
	host    string
	// carrierIdx and hostIdx are -1 when the plan does not define them:
	// the segment table is national fact, the plan only the carriers we
	// connect to.
	carrierIdx, hostIdx int32
}

// Routes returns the number of routes.
func (t *Table) Routes() int { return len(t.rts) }
