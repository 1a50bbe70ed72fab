package browser

import (
	"errors"
	"strings"
)

// Entry is one entry of a BROWSER value (or of --browser,
// sso_credproc_browser), made into a command for one URL.
type Entry struct {
	// Text is the entry as written, for messages.
	Text string
	// Argv is the program and its arguments. The URL is exactly one of
	// the arguments, whole, and never the program. Nil when Err is set.
	Argv []string
	// Err says why the entry cannot be run: an unterminated quote, a
	// trailing backslash, a misplaced "%s", no program.
	Err error
}

// ParseBrowser splits value, a BROWSER value, into its entries by the rules
// of goos (a runtime.GOOS value) and makes each a command that opens url.
// No shell is involved: nothing is expanded ($VAR, ~, %VAR%) or globbed.
// Entries that are empty or blank are left out; the others come in order,
// each with its argv or its error.
//
// The rules follow the two readers of BROWSER users rely on, Python's
// webbrowser (CPython Lib/webbrowser.py, register_standard_browsers and
// get) and xdg-open (xdg-utils scripts/xdg-open.in, open_envvar), where
// they agree, and are stricter where those pass the URL through a shell or
// split it:
//
//   - Entries are separated by the platform's list separator, ':' (';' on
//     Windows): Python splits BROWSER on os.pathsep, xdg-open on ':'.
//     Unlike both, a separator inside quotes (or after a backslash, on
//     Unix) belongs to the entry, so that '--proxy-server=http://p:8080'
//     can be an argument.
//   - Unix: an entry is split into words as Python's shlex.split does (which
//     webbrowser applies to entries with "%s"; an entry without "%s" it runs
//     as one program name, spaces included, where xdg-open splits it):
//     blanks separate words; '…' keeps everything literally; "…" keeps
//     everything but a backslash before " or \, which stands for that
//     character; outside quotes a backslash keeps the next character
//     literally. A pair of quotes with nothing between them is an empty
//     word.
//   - Windows: blanks separate words and "…" keeps blanks and ';'
//     together, as CommandLineToArgvW does, but a backslash is an ordinary
//     character (C:\Users\…, where Python's shlex.split reads an escape
//     outside quotes) and ' is not a quote. A program path with spaces
//     may be written unquoted when it starts with a drive (C:\…) or a share (\\server\…) and ends in a
//     program file's extension (.exe, .com, .bat, .cmd), as in
//     C:\Program Files\Mozilla Firefox\firefox.exe -new-tab %s; the program
//     is the shortest run of words up to one ending so. Otherwise quote it.
//   - In each word, after quotes are removed, "%%" stands for "%" and "%s"
//     for the URL, as xdg-open's printf reads them; any other '%' is kept.
//     A word that is exactly "%s" (%s, "%s" or '%s') becomes the URL,
//     whole, whatever the URL holds (xdg-open word-splits it). Where no
//     word is "%s", the URL is appended as the last argument, as both
//     readers do. "%s" inside a longer word (both readers substitute it
//     there), a second "%s", or "%s" as the program is an error for that
//     entry: the URL is always exactly one argument of its own.
//   - A last word "&" (unquoted) is dropped, as Python's webbrowser does: a
//     command that keeps running counts as opened anyway (see Opener.Open).
func ParseBrowser(goos, value, url string) []Entry {
	var entries []Entry
	for _, raw := range splitEntries(goos, value) {
		if raw.err == nil && len(raw.words) == 0 {
			continue // an empty entry, or blanks only
		}
		e := Entry{Text: strings.TrimSpace(raw.text), Err: raw.err}
		if e.Err == nil {
			e.Argv, e.Err = command(goos, raw, url)
		}
		entries = append(entries, e)
	}
	return entries
}

// A rawWord is a word of an entry with its quotes removed.
type rawWord struct {
	text       string
	quoted     bool // any part of it was quoted
	start, end int  // its span in the entry's text
}

type rawEntry struct {
	text  string
	words []rawWord
	err   error
}

var (
	errUnterminated     = errors.New("a quote is not closed")
	errTrailingEscape   = errors.New("it ends with a backslash")
	errNoProgram        = errors.New(`it names no program ("%s" stands for the URL, which is an argument)`)
	errPlaceholderAlone = errors.New(`"%s" must be an argument of its own, as in "firefox --new-tab %s" (write "%%" for a literal "%")`)
	errPlaceholderTwice = errors.New(`"%s" appears more than once; the URL is opened once`)
)

// splitEntries splits value into entries and each entry into words, in
// one pass, so that a separator inside quotes stays in its entry.
func splitEntries(goos, value string) []rawEntry {
	windows := goos == "windows"
	sep := byte(':')
	if windows {
		sep = ';'
	}
	var (
		entries []rawEntry
		words   []rawWord
		word    strings.Builder
		inWord  bool
		quoted  bool
		wstart  int
		estart  int
		quote   byte // the open quote, or 0
	)
	endWord := func(i int) {
		if inWord {
			words = append(words, rawWord{text: word.String(), quoted: quoted, start: wstart - estart, end: i - estart})
		}
		word.Reset()
		inWord, quoted = false, false
	}
	endEntry := func(i int, err error) {
		endWord(i)
		entries = append(entries, rawEntry{text: value[estart:i], words: words, err: err})
		words = nil
	}
	begin := func(i int) {
		if !inWord {
			inWord, wstart = true, i
		}
	}
	for i := 0; i < len(value); i++ {
		c := value[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				word.WriteByte(c)
			}
		case quote == '"':
			switch {
			case c == '"':
				quote = 0
			case c == '\\' && !windows && i+1 < len(value) && (value[i+1] == '"' || value[i+1] == '\\'):
				i++
				word.WriteByte(value[i])
			default:
				word.WriteByte(c)
			}
		case c == sep:
			endEntry(i, nil)
			estart = i + 1
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			endWord(i)
		case c == '"' || (c == '\'' && !windows):
			begin(i)
			quote, quoted = c, true
		case c == '\\' && !windows:
			begin(i)
			if i+1 == len(value) {
				endEntry(len(value), errTrailingEscape)
				return entries
			}
			i++
			word.WriteByte(value[i])
		default:
			begin(i)
			word.WriteByte(c)
		}
	}
	if quote != 0 {
		endEntry(len(value), errUnterminated)
	} else {
		endEntry(len(value), nil)
	}
	return entries
}

// command makes the argv of one parsed entry for url.
func command(goos string, e rawEntry, url string) ([]string, error) {
	words := e.words
	if goos == "windows" {
		words = joinUnquotedPath(e.text, words)
	}
	if n := len(words); n > 1 && !words[n-1].quoted && words[n-1].text == "&" {
		words = words[:n-1]
	}
	argv := make([]string, 0, len(words)+1)
	placed := false
	for i, w := range words {
		text, isURL, err := expandPercent(w.text)
		if err != nil {
			return nil, err
		}
		if isURL {
			if i == 0 {
				return nil, errNoProgram
			}
			if placed {
				return nil, errPlaceholderTwice
			}
			placed, text = true, url
		}
		argv = append(argv, text)
	}
	if len(argv) == 0 {
		return nil, errNoProgram
	}
	if !placed {
		argv = append(argv, url)
	}
	return argv, nil
}

// expandPercent reads word's "%%" as "%" and reports whether word is
// exactly "%s"; a "%s" within a longer word is an error.
func expandPercent(word string) (string, bool, error) {
	if !strings.Contains(word, "%") {
		return word, false, nil
	}
	if word == "%s" {
		return "", true, nil
	}
	var b strings.Builder
	for i := 0; i < len(word); i++ {
		if word[i] == '%' && i+1 < len(word) {
			switch word[i+1] {
			case '%':
				b.WriteByte('%')
				i++
				continue
			case 's':
				return "", false, errPlaceholderAlone
			}
		}
		b.WriteByte(word[i])
	}
	return b.String(), false, nil
}

// joinUnquotedPath makes the leading unquoted words of a Windows entry
// one word when they spell a drive or share path with spaces that ends in
// a program file's extension: C:\Program Files\App\app.exe -x.
func joinUnquotedPath(text string, words []rawWord) []rawWord {
	if len(words) < 2 || words[0].quoted || !windowsAbsolute(words[0].text) || programFile(words[0].text) {
		return words
	}
	for k := 1; k < len(words); k++ {
		if words[k].quoted {
			return words
		}
		if programFile(words[k].text) {
			joined := rawWord{text: text[words[0].start:words[k].end], start: words[0].start, end: words[k].end}
			return append([]rawWord{joined}, words[k+1:]...)
		}
	}
	return words
}

// windowsAbsolute reports whether p starts with a drive (C:\, C:/) or a
// share (\\server).
func windowsAbsolute(p string) bool {
	if strings.HasPrefix(p, `\\`) {
		return true
	}
	return len(p) >= 3 && (p[0]|0x20 >= 'a' && p[0]|0x20 <= 'z') && p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}

// programFile reports whether name ends in the extension of a file
// Windows runs as a program (the default PATHEXT's first four).
func programFile(name string) bool {
	lower := strings.ToLower(name)
	for _, ext := range []string{".exe", ".com", ".bat", ".cmd"} {
		if strings.HasSuffix(lower, ext) && len(lower) > len(ext) {
			return true
		}
	}
	return false
}
