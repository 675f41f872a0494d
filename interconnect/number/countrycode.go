package number

// countryCodeLen returns the length of the country code that starts the
// E.164 digits d. Country codes are a prefix code (ITU-T E.164 and its
// Annex to the Operational Bulletin, "List of ITU-T E.164 assigned country
// codes"): zones 1 and 7 use one digit, the codes below use two, and every
// other code has three digits. Unassigned codes are not rejected here: the
// route table decides whether anything can reach them.
func countryCodeLen(d string) int {
	switch d[0] {
	case '1', '7':
		return 1
	}
	if len(d) < 2 {
		return len(d)
	}
	switch d[:2] {
	case "20", "27",
		"30", "31", "32", "33", "34", "36", "39",
		"40", "41", "43", "44", "45", "46", "47", "48", "49",
		"51", "52", "53", "54", "55", "56", "57", "58",
		"60", "61", "62", "63", "64", "65", "66",
		"81", "82", "84", "86",
		"90", "91", "92", "93", "94", "95", "98":
		return 2
	}
	if len(d) < 3 {
		return len(d)
	}
	return 3
}
