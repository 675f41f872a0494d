package detect

// Answering-machine detection by energy and silence timing, mirroring
// Asterisk's app_amd (apps/app_amd.c, isAnsweringMachine) and the
// silence test it calls (main/dsp.c, ast_dsp_silence): a frame is silent
// when its mean absolute sample is below the threshold; silence and voice
// are timed in ms; a "word" is ≥ MinWordLength ms of voice after ≥
// BetweenWordsSilence ms of silence. The decision rules, in app_amd's
// order, are in AMD.block. The defaults are app_amd's (amd.conf).

// AMDStatus is app_amd's AMDSTATUS, plus Pending before a decision.
type AMDStatus uint8

const (
	Pending AMDStatus = iota
	Human
	Machine
	NotSure
)

func (s AMDStatus) String() string {
	return [...]string{"PENDING", "HUMAN", "MACHINE", "NOTSURE"}[s]
}

// AMDConfig holds app_amd's parameters, in ms except MaxWords and
// SilenceThreshold. Zero fields take app_amd's defaults (in brackets).
type AMDConfig struct {
	InitialSilenceMS       int // [2500] silence before any word: MACHINE
	GreetingMS             int // [1500] voice in the greeting: MACHINE
	AfterGreetingSilenceMS int // [800] silence after the first word: HUMAN
	TotalAnalysisTimeMS    int // [5000] then NOTSURE
	MinWordLengthMS        int // [100] voice that makes a word
	BetweenWordsSilenceMS  int // [50] silence that ends a word
	MaxWords               int // [3] words: MACHINE
	SilenceThreshold       int // [256] mean |sample| (16-bit) below which a frame is silent
	MaxWordLengthMS        int // [5000] one word this long: MACHINE
}

func (c *AMDConfig) defaults() {
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&c.InitialSilenceMS, 2500)
	def(&c.GreetingMS, 1500)
	def(&c.AfterGreetingSilenceMS, 800)
	def(&c.TotalAnalysisTimeMS, 5000)
	def(&c.MinWordLengthMS, 100)
	def(&c.BetweenWordsSilenceMS, 50)
	def(&c.MaxWords, 3)
	def(&c.SilenceThreshold, 256)
	def(&c.MaxWordLengthMS, 5000)
}

// AMDResult is the decision and app_amd's AMDCAUSE for it, e.g.
// "INITIALSILENCE-2500-2500", "HUMAN-800-800", "MAXWORDS-3-3",
// "LONGGREETING-1500-1500", "MAXWORDLENGTH-5000", "TOOLONG-5000".
type AMDResult struct {
	Status AMDStatus
	Cause  string
	At     int64 // sample count at the decision
}

// AMD runs app_amd's state machine on one stream. Feed does not allocate
// except once, for the cause string, on the frame that decides.
type AMD struct {
	cfg AMDConfig
	fr  framer
	res AMDResult

	samples        int64
	totalMS        int  // iTotalTime
	dspSilenceMS   int  // ast_dsp's running silence (totalsilence)
	silenceMS      int  // silenceDuration
	voiceMS        int  // voiceDuration
	consecVoiceMS  int  // consecutiveVoiceDuration
	words          int  // iWordsCount
	inSilenceState bool // currentState == STATE_IN_SILENCE (starts IN_WORD)
	initialSilence bool // inInitialSilence
	inGreeting     bool
}

// NewAMD returns a detector with cfg (zero fields: app_amd's defaults).
func NewAMD(cfg AMDConfig) *AMD {
	cfg.defaults()
	a := &AMD{cfg: cfg}
	a.Reset()
	return a
}

// Reset starts a new analysis with the same parameters.
func (a *AMD) Reset() { *a = AMD{cfg: a.cfg, initialSilence: true} }

// Feed analyses the next samples (normally one 20 ms frame). After a
// decision it does nothing.
func (a *AMD) Feed(frame []int16) {
	if a.res.Status == Pending {
		a.fr.feed(frame, a.block)
	}
}

// Result is the decision so far (Pending until one is reached).
func (a *AMD) Result() AMDResult { return a.res }
