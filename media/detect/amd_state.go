package detect

import "strconv"

// block is one pass of app_amd's frame loop, rule for rule.
func (a *AMD) block(x []int16) {
	if a.res.Status != Pending {
		return // a decision was reached earlier in this Feed's samples
	}
	c := &a.cfg
	a.samples += int64(len(x))
	frameLen := len(x) * 1000 / SampleRate
	a.totalMS += frameLen
	if a.totalMS >= c.TotalAnalysisTimeMS {
		a.decide(NotSure, "TOOLONG-", a.totalMS, -1)
		return
	}
	// ast_dsp_silence: mean absolute value against the threshold; the
	// running silence is reset by any voiced frame.
	var sum int
	for _, v := range x {
		sum += abs(int(v))
	}
	if sum/len(x) < c.SilenceThreshold {
		a.dspSilenceMS += frameLen
	} else {
		a.dspSilenceMS = 0
	}
	if a.dspSilenceMS > 0 {
		a.silenceMS = a.dspSilenceMS
		if a.silenceMS >= c.BetweenWordsSilenceMS {
			a.inSilenceState = true
			a.consecVoiceMS = 0
		}
		if a.initialSilence && a.silenceMS >= c.InitialSilenceMS {
			a.decide(Machine, "INITIALSILENCE-", a.silenceMS, c.InitialSilenceMS)
			return
		}
		if a.inGreeting && a.silenceMS >= c.AfterGreetingSilenceMS {
			a.decide(Human, "HUMAN-", a.silenceMS, c.AfterGreetingSilenceMS)
		}
		return
	}
	a.consecVoiceMS += frameLen
	a.voiceMS += frameLen
	// A word is counted only on the way in from silence; app_amd starts
	// in STATE_IN_WORD, so speech from the very first frame is not a word
	// until a pause has been seen.
	if a.consecVoiceMS >= c.MinWordLengthMS && a.inSilenceState {
		a.words++
		a.inSilenceState = false
	}
	switch {
	case a.consecVoiceMS >= c.MaxWordLengthMS:
		a.decide(Machine, "MAXWORDLENGTH-", a.consecVoiceMS, -1)
		return
	case a.words >= c.MaxWords:
		a.decide(Machine, "MAXWORDS-", a.words, c.MaxWords)
		return
	case a.inGreeting && a.voiceMS >= c.GreetingMS:
		a.decide(Machine, "LONGGREETING-", a.voiceMS, c.GreetingMS)
		return
	}
	if a.voiceMS >= c.MinWordLengthMS {
		a.silenceMS = 0
	}
	if a.consecVoiceMS >= c.MinWordLengthMS && !a.inGreeting {
		a.initialSilence, a.inGreeting = false, true
	}
}

// decide records the status and app_amd's cause: prefix, x and, when
// y ≥ 0, "-y".
func (a *AMD) decide(s AMDStatus, prefix string, x, y int) {
	var buf [48]byte
	b := append(buf[:0], prefix...)
	b = strconv.AppendInt(b, int64(x), 10)
	if y >= 0 {
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(y), 10)
	}
	a.res = AMDResult{Status: s, Cause: string(b), At: a.samples}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
