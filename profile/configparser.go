package profile

// This file reads an AWS config file the way botocore does:
// configparser.RawConfigParser with its defaults (CPython Lib/configparser.py,
// RawConfigParser._read and _join_multiline_values), then
// botocore/configloader.py raw_config_parse, _parse_nested and
// build_profile_map.
//
// gopkg.in/ini.v1 was tried first and left out on purpose: whatever its
// LoadOptions, it reads `"""x"""` and `x` in backticks as quoted values,
// strips quotes around key names, renames a `-` key to `#1`, keeps comment
// lines and indentation inside continuation lines, ends a nested value at a
// blank line, treats any indented line as a continuation, puts keys found
// before the first [section] into DEFAULT, merges duplicate sections and keys
// silently, and does not merge [DEFAULT] into the other sections. botocore
// disagrees with each of these, so a file read by ini.v1 could mean something
// else to the AWS CLI.

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// value is one option value after configparser and botocore are done with it.
type value struct {
	text    string            // the joined value (configparser's string)
	nested  map[string]string // botocore's sub-section, non-nil when text starts with "\n"
	line    int               // line of the key
	section string            // header of the section the key is written in ("DEFAULT" for a merged [DEFAULT] key)
}

// section is one [header] section, with [DEFAULT] merged in as configparser does.
type section struct {
	header string // the text between the brackets, as written
	line   int
	keys   map[string]value // option names are lower-cased
	order  []string         // keys in RawConfigParser.options order
}

// plain returns the value of key when it is set and is not a nested value.
func (s *section) plain(key string) (string, bool) {
	if s == nil {
		return "", false
	}
	v, ok := s.keys[key]
	if !ok || v.nested != nil {
		return "", false
	}
	return v.text, true
}

// config is the parsed file mapped the way botocore's build_profile_map does.
type config struct {
	path     string
	profiles map[string]*section // [profile NAME] and [default]
	sessions map[string]*section // [sso-session NAME]
	services map[string]*section // [services NAME]
}

// rawOption collects the lines of one option while the file is read.
type rawOption struct {
	lines []string
	line  int
}

type rawSection struct {
	name  string
	line  int
	opts  map[string]*rawOption
	order []string
}

const defaultSection = "DEFAULT"

// parseConfig reads data as RawConfigParser.read_file followed by botocore's
// raw_config_parse(parse_subsections=True) and build_profile_map. Any error is
// one that makes botocore raise ConfigParseError for the whole file.
func parseConfig(path string, data []byte) (*config, error) {
	perr := func(line int, sect, key, format string, args ...any) error {
		msg := fmt.Sprintf(format, args...)
		if line > 0 {
			msg = "line " + strconv.Itoa(line) + ": " + msg
		}
		return &Error{File: path, Section: sect, Key: key, Msg: msg}
	}
	if !utf8.Valid(data) {
		line := 1 + strings.Count(string(data[:firstInvalidUTF8(data)]), "\n")
		return nil, lineError(perr(line, "", "", "not valid UTF-8"), "save the file as UTF-8")
	}

	var (
		sections = map[string]*rawSection{}
		order    []*rawSection
		defaults = &rawSection{name: defaultSection, opts: map[string]*rawOption{}}
		cur      *rawSection
		curOpt   *rawOption
		indent   int
	)
	for i, line := range splitUniversal(string(data)) {
		lineno := i + 1
		stripped := pyStrip(line)
		comment := strings.HasPrefix(stripped, "#") || strings.HasPrefix(stripped, ";")
		if comment || stripped == "" {
			// A blank line belongs to the value being read (configparser's
			// empty_lines_in_values); a comment line is dropped and does not
			// end the value.
			if !comment && cur != nil && curOpt != nil {
				curOpt.lines = append(curOpt.lines, "")
			}
			continue
		}
		lineIndent := leadingSpace(line)
		if cur != nil && curOpt != nil && lineIndent > indent {
			curOpt.lines = append(curOpt.lines, stripped)
			continue
		}
		indent = lineIndent
		if name, ok := matchSectionHeader(stripped); ok {
			switch {
			case sections[name] != nil:
				return nil, lineError(perr(lineno, name, "", "duplicate section (first at line %d)", sections[name].line),
					"merge the two sections into one, or remove one")
			case name == defaultSection:
				cur = defaults
			default:
				cur = &rawSection{name: name, line: lineno, opts: map[string]*rawOption{}}
				sections[name] = cur
				order = append(order, cur)
			}
			curOpt = nil
			continue
		}
		key, val, isOption := matchOption(stripped)
		if cur == nil || !isOption {
			// botocore fails here (MissingSectionHeaderError or
			// ParsingError); say what is wrong with the line.
			sect := ""
			if cur != nil {
				sect = cur.name
			}
			switch {
			case cur == nil && lineno == 1 && strings.HasPrefix(stripped, "\uFEFF"):
				return nil, lineError(perr(lineno, "", "", "the file starts with a UTF-8 byte order mark"),
					"save it as UTF-8 without BOM")
			case strings.HasPrefix(stripped, "[]"):
				return nil, lineError(perr(lineno, sect, "", "%q is not a section header: nothing between the brackets", stripped),
					"name the section between the brackets, e.g. [profile NAME], [sso-session NAME] or [default]")
			case strings.HasPrefix(stripped, "["):
				return nil, lineError(perr(lineno, sect, "", "%q is not a section header: missing \"]\"", stripped),
					"close the header with \"]\", e.g. [profile NAME]")
			case cur == nil:
				return nil, lineError(perr(lineno, "", "", "%q comes before the first [section] header", stripped),
					"put settings under a header such as [profile NAME] or [default]; start a comment line with # or ;")
			default:
				return nil, lineError(perr(lineno, sect, "", "%q has no \"=\": a setting is written key = value", stripped),
					"write it as key = value, indent it deeper than the key above to continue that value, or start it with # to make it a comment")
			}
		}
		key = pyLower(pyRstrip(key))
		if key == "" {
			return nil, lineError(perr(lineno, cur.name, "", "%q has no key name before the \"=\"", stripped),
				"write it as key = value")
		}
		if prev := cur.opts[key]; prev != nil {
			return nil, lineError(perr(lineno, cur.name, key, "duplicate key (first at line %d)", prev.line),
				"keep one of the two lines (key names ignore case)")
		}
		curOpt = &rawOption{lines: []string{pyStrip(val)}, line: lineno}
		cur.opts[key] = curOpt
		cur.order = append(cur.order, key)
	}

	cfg := &config{
		path:     path,
		profiles: map[string]*section{},
		sessions: map[string]*section{},
		services: map[string]*section{},
	}
	for _, rs := range order {
		s := &section{header: rs.name, line: rs.line, keys: map[string]value{}}
		// RawConfigParser.options(section) lists the section's own options,
		// then those of [DEFAULT] it does not override.
		for _, src := range []*rawSection{rs, defaults} {
			for _, k := range src.order {
				if _, seen := s.keys[k]; seen {
					continue
				}
				opt := src.opts[k]
				v := value{text: pyRstrip(strings.Join(opt.lines, "\n")), line: opt.line, section: src.name}
				if strings.HasPrefix(v.text, "\n") {
					nested, bad, ok := parseNested(v.text)
					if !ok {
						return nil, lineError(perr(opt.line, src.name, k, "nested value line %q has no \"=\"", bad),
							"each indented line under "+k+" = is a key = value pair")
					}
					v.nested = nested
				}
				s.keys[k] = v
				s.order = append(s.order, k)
			}
		}
		// botocore build_profile_map: a later section with the same name
		// replaces an earlier one (so the later of [default] and
		// [profile default] wins).
		switch {
		case strings.HasPrefix(rs.name, "profile"):
			if name, ok := sectionName(rs.name); ok {
				cfg.profiles[name] = s
			}
		case strings.HasPrefix(rs.name, "sso-session"):
			if name, ok := sectionName(rs.name); ok {
				cfg.sessions[name] = s
			}
		case strings.HasPrefix(rs.name, "services"):
			if name, ok := sectionName(rs.name); ok {
				cfg.services[name] = s
			}
		case rs.name == "default":
			cfg.profiles["default"] = s
		}
	}
	return cfg, nil
}

// lineError sets the hint of a parse error.
func lineError(err error, hint string) error {
	err.(*Error).Hint = hint + " (the AWS CLI cannot read this file either)"
	return err
}

// sectionName is botocore's _parse_section: the header split like a shell
// would, kept only when it has exactly two words.
func sectionName(header string) (string, bool) {
	words, err := shellSplit(header)
	if err != nil || len(words) != 2 {
		return "", false
	}
	return words[1], true
}

// parseNested is botocore's _parse_nested: each non-blank line must hold "=".
// Keys are stripped but keep their case.
func parseNested(text string) (map[string]string, string, bool) {
	out := map[string]string{}
	for _, line := range pySplitlines(text) {
		line = pyStrip(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, line, false
		}
		out[pyStrip(k)] = pyStrip(v)
	}
	return out, "", true
}

// matchSectionHeader is configparser's SECTCRE (`\[(?P<header>.+)\]`, matched
// at the start of the stripped line): the header runs to the last "]", and
// anything after it is ignored.
func matchSectionHeader(line string) (string, bool) {
	if !strings.HasPrefix(line, "[") {
		return "", false
	}
	end := strings.LastIndexByte(line, ']')
	if end < 2 {
		return "", false
	}
	return line[1:end], true
}

// matchOption is configparser's OPTCRE with the delimiters "=" and ":": the
// key ends at the first delimiter.
func matchOption(line string) (key, val string, ok bool) {
	i := strings.IndexAny(line, "=:")
	if i < 0 {
		return "", "", false
	}
	return line[:i], line[i+1:], true
}

// splitUniversal splits like Python's text files in universal-newline mode:
// "\n", "\r\n" and "\r" end a line.
func splitUniversal(s string) []string {
	var lines []string
	for s != "" {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i])
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
	return lines
}

// pySplitlines is Python's str.splitlines (without keepends).
func pySplitlines(s string) []string {
	var lines []string
	start := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch r {
		case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			lines = append(lines, s[start:i])
			if r == '\r' && i+1 < len(s) && s[i+1] == '\n' {
				size++
			}
			start = i + size
		}
		i += size
	}
	if start < len(s) {
		lines = append(lines, s[start:])
	}
	return lines
}

// pySpace is Python's str.isspace for one character (also what `\s` and
// str.strip() use): Go's unicode.IsSpace plus the ASCII separators 0x1c-0x1f.
func pySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

func pyStrip(s string) string  { return strings.TrimFunc(s, pySpace) }
func pyRstrip(s string) string { return strings.TrimRightFunc(s, pySpace) }

// pyLower is Python's str.lower, which configparser's optionxform applies to
// option names. Go's ToLower agrees except for U+0130.
func pyLower(s string) string {
	return strings.ToLower(strings.ReplaceAll(s, "\u0130", "i\u0307"))
}

// leadingSpace counts the whitespace characters before the first other one,
// as configparser's indentation level does.
func leadingSpace(line string) int {
	n := 0
	for _, r := range line {
		if !pySpace(r) {
			break
		}
		n++
	}
	return n
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(b)
}
