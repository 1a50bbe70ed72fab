package profile

import (
	"errors"
	"strings"
)

var (
	errNoClosingQuote = errors.New("no closing quotation")
	errNoEscapedChar  = errors.New("no escaped character")
)

// shellSplit splits s into words as Python's shlex.split(s) does (POSIX mode,
// no comments), which botocore uses both for section headers and for
// credential_process: whitespace is space, tab, CR and LF; single quotes keep
// everything; in double quotes a backslash escapes only `"` and `\`; outside
// quotes a backslash escapes any character; a pair of empty quotes is an
// empty word.
func shellSplit(s string) ([]string, error) {
	const (
		between = iota
		word
		single
		double
	)
	var (
		words  []string
		cur    strings.Builder
		quoted bool
		state  = between
	)
	emit := func() {
		if cur.Len() > 0 || quoted {
			words = append(words, cur.String())
		}
		cur.Reset()
		quoted = false
	}
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch state {
		case between, word:
			switch {
			case c == ' ' || c == '\t' || c == '\r' || c == '\n':
				if state == word {
					emit()
					state = between
				}
			case c == '\'':
				state, quoted = single, true
			case c == '"':
				state, quoted = double, true
			case c == '\\':
				if i+1 == len(rs) {
					return nil, errNoEscapedChar
				}
				i++
				cur.WriteRune(rs[i])
				state = word
			default:
				cur.WriteRune(c)
				state = word
			}
		case single:
			if c == '\'' {
				state = word
			} else {
				cur.WriteRune(c)
			}
		case double:
			switch c {
			case '"':
				state = word
			case '\\':
				if i+1 == len(rs) {
					return nil, errNoEscapedChar
				}
				i++
				if rs[i] != '"' && rs[i] != '\\' {
					cur.WriteRune('\\')
				}
				cur.WriteRune(rs[i])
			default:
				cur.WriteRune(c)
			}
		}
	}
	if state == single || state == double {
		return nil, errNoClosingQuote
	}
	emit()
	return words, nil
}
