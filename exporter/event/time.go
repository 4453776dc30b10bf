package event

import "unsafe"

// Timestamp forms of the input contract (docs/events.md), shared by every
// timestamp field (ts, opened_at, due, a cost record's ts):
//
//   - An RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS, an optional fraction of
//     one or more digits, then Z or a numeric offset ±hh:mm. As RFC 3339
//     allows, the separator may also be "t" or a space and the zone "z".
//     Fields are range-checked (month 1-12, day within its month, hour 0-23,
//     minute and second 0-59, offset hour 0-23 and minute 0-59); leap
//     seconds (:60) are refused, as time.Parse does.
//   - A non-negative epoch number written as a JSON number (digits, an
//     optional fraction and exponent; no sign, no leading zeros), either as
//     the JSON number itself or as the whole content of a JSON string.
//     Its unit is chosen by magnitude: a value >= 1e11 is milliseconds
//     (1e11 ms is 1973-03-03), a smaller one is seconds (1e11 s is the year
//     5138). Epochs after 9999-12-31T23:59:59.999Z are refused.
//
// The result is unix milliseconds; digits below the millisecond are dropped
// (toward the past, as time.Time.UnixMilli does).

// MaxEpochMS is the largest epoch ParseTime accepts:
// 9999-12-31T23:59:59.999Z in unix milliseconds.
const MaxEpochMS int64 = 253402300799999

// ParseTime parses a timestamp in any form of the input contract (see
// above) and returns it in unix milliseconds. b is the text of the value:
// the literal of a JSON number or the decoded content of a JSON string.
// It does not allocate and does not retain b.
func ParseTime(b []byte) (ms int64, ok bool) {
	return ParseTimeString(unsafe.String(unsafe.SliceData(b), len(b)))
}

// ParseTimeString is ParseTime for a string.
func ParseTimeString(s string) (ms int64, ok bool) {
	// A year of four digits then '-': a number has its '-' after an 'e'
	// ("100e-000000000000000" is 100 seconds).
	if len(s) >= len("2006-01-02T15:04:05Z") && s[4] == '-' && num2(s, 0) >= 0 && num2(s, 2) >= 0 {
		return parseRFC3339(s)
	}
	return parseEpoch(s)
}

// num2 returns the value of the two decimal digits at s[i:i+2], or -1.
func num2(s string, i int) int {
	a, b := int(s[i])-'0', int(s[i+1])-'0'
	if uint(a) > 9 || uint(b) > 9 {
		return -1
	}
	return a*10 + b
}

func parseRFC3339(s string) (int64, bool) {
	// len(s) >= 20 is checked by the caller.
	hi, lo := num2(s, 0), num2(s, 2)
	month, day := num2(s, 5), num2(s, 8)
	hour, minute, sec := num2(s, 11), num2(s, 14), num2(s, 17)
	if hi < 0 || lo < 0 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' {
		return 0, false
	}
	switch s[10] {
	case 'T', 't', ' ':
	default:
		return 0, false
	}
	year := hi*100 + lo
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return 0, false
	}

	rest := s[19:]
	var frac int64 // milliseconds
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && uint(rest[n]-'0') <= 9 {
			if n <= 3 {
				frac = frac*10 + int64(rest[n]-'0')
			}
			n++
		}
		if n == 1 {
			return 0, false
		}
		for i := n; i <= 3; i++ { // fewer than three digits: scale up
			frac *= 10
		}
		rest = rest[n:]
	}

	var offset int // seconds east of UTC
	switch {
	case rest == "Z" || rest == "z":
	case len(rest) == len("+07:00") && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, om := num2(rest, 1), num2(rest, 4)
		if oh < 0 || oh > 23 || om < 0 || om > 59 {
			return 0, false
		}
		offset = oh*3600 + om*60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return 0, false
	}

	days := daysFromCivil(year, month, day)
	secs := days*86400 + int64(hour*3600+minute*60+sec-offset)
	return secs*1000 + frac, true
}

func isLeap(year int) bool {
	return year%4 == 0 && (year%100 != 0 || year%400 == 0)
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if isLeap(year) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the number of days from 1970-01-01 to the given
// proleptic Gregorian date (Howard Hinnant's days_from_civil algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400 // [0, 399]
	mp := m + 9        // March-based month, [0, 11]
	if m > 2 {
		mp = m - 3
	}
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// parseEpoch parses a non-negative JSON number literal as an epoch in
// seconds or milliseconds (by magnitude), exactly: no float rounding.
func parseEpoch(s string) (int64, bool) {
	n := len(s)
	if n == 0 {
		return 0, false
	}
	i := 0
	switch c := s[0]; {
	case c == '0':
		i = 1
	case c >= '1' && c <= '9':
		for i < n && uint(s[i]-'0') <= 9 {
			i++
		}
	default:
		return 0, false
	}
	intLen := i
	fracStart, fracLen := i, 0
	if i < n && s[i] == '.' {
		i++
		fracStart = i
		for i < n && uint(s[i]-'0') <= 9 {
			i++
		}
		fracLen = i - fracStart
		if fracLen == 0 {
			return 0, false
		}
	}
	exp := 0
	if i < n && (s[i] == 'e' || s[i] == 'E') {
		i++
		neg := false
		if i < n && (s[i] == '+' || s[i] == '-') {
			neg = s[i] == '-'
			i++
		}
		start := i
		for i < n && uint(s[i]-'0') <= 9 {
			if exp < 1_000_000 { // saturate: far beyond any accepted value
				exp = exp*10 + int(s[i]-'0')
			}
			i++
		}
		if i == start {
			return 0, false
		}
		if neg {
			exp = -exp
		}
	}
	if i != n {
		return 0, false
	}

	// The digits D are s[:intLen] followed by s[fracStart:fracStart+fracLen];
	// the decimal point sits after intLen+exp of them.
	total := intLen + fracLen
	z := 0 // leading zeros of D
	for z < total && digitAt(s, z, intLen, fracStart, total) == 0 {
		z++
	}
	if z == total {
		return 0, true // zero
	}
	// value = 0.D[z:] × 10^p with D[z] != 0, so 10^(p-1) <= value < 10^p.
	p := intLen + exp - z
	keep := p + 3 // seconds: the integer part of value×1000
	if p >= 12 {  // value >= 1e11: milliseconds
		keep = p
	}
	if keep > 15 { // value > MaxEpochMS for sure
		return 0, false
	}
	var ms int64
	for k := z; k < z+keep; k++ {
		ms = ms*10 + digitAt(s, k, intLen, fracStart, total)
	}
	if ms > MaxEpochMS {
		return 0, false
	}
	return ms, true
}

// digitAt returns digit k of the digits of an epoch literal s (see
// parseEpoch), or 0 past them.
func digitAt(s string, k, intLen, fracStart, total int) int64 {
	switch {
	case k < intLen:
		return int64(s[k] - '0')
	case k < total:
		return int64(s[fracStart+k-intLen] - '0')
	}
	return 0
}
