package profile

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

type sec = map[string]any

// parsed renders a parse as botocore's load_config would return it.
func parsed(t *testing.T, content string) (botocoreFile, error) {
	t.Helper()
	cfg, err := parseConfig("test.ini", []byte(content))
	if err != nil {
		return botocoreFile{}, err
	}
	var out botocoreFile
	b, _ := json.Marshal(asBotocore(cfg))
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out, nil
}

// TestReadsLikeBotocore pins each place where botocore's RawConfigParser
// differs from what an INI library (gopkg.in/ini.v1 in particular) does by
// default or cannot be told to do. Expected values were checked against
// botocore 1.43 (TestMatchesBotocore does the same when botocore is there).
func TestReadsLikeBotocore(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		profiles map[string]sec
		sessions map[string]sec
		services map[string]sec
		wantErr  string // substring of the error; "" = no error
	}{
		{
			name:     "no inline comments: # and ; stay in the value",
			in:       "[profile a]\nk = v # c\nl = v;c\nm = v ; c\n",
			profiles: map[string]sec{"a": {"k": "v # c", "l": "v;c", "m": "v ; c"}},
		},
		{
			name:     "full-line comments, indented or not, with # or ;",
			in:       "# c\n; c\n[profile a]\n  # c\n\t; c\nk = v\n",
			profiles: map[string]sec{"a": {"k": "v"}},
		},
		{
			name:     "surrounding quotes are kept",
			in:       "[profile a]\nd = \"v\"\ns = 'v'\nmixed = \"v'\n",
			profiles: map[string]sec{"a": {"d": `"v"`, "s": "'v'", "mixed": `"v'`}},
		},
		{
			name:     "triple quotes and backticks are plain text",
			in:       "[profile a]\nt = \"\"\"v\"\"\"\nb = `v`\nopen = \"\"\"v\nnext = w\n",
			profiles: map[string]sec{"a": {"t": `"""v"""`, "b": "`v`", "open": `"""v`, "next": "w"}},
		},
		{
			name:     "key names are lower-cased, values and section names keep their case",
			in:       "[profile MyProfile]\nSSO_Region = EU-West-1\n",
			profiles: map[string]sec{"MyProfile": {"sso_region": "EU-West-1"}},
		},
		{
			name:     "quoted key names keep their quotes",
			in:       "[profile a]\n\"k\" = v\n`l` = w\n",
			profiles: map[string]sec{"a": {`"k"`: "v", "`l`": "w"}},
		},
		{
			name:     "a key named - is an ordinary key",
			in:       "[profile a]\n- = v\n",
			profiles: map[string]sec{"a": {"-": "v"}},
		},
		{
			name:     "= and : both delimit and the first one wins",
			in:       "[profile a]\nk: a=b\nl = a:b\nm:n=o\n",
			profiles: map[string]sec{"a": {"k": "a=b", "l": "a:b", "m": "n=o"}},
		},
		{
			name:     "indented lines continue a value; blank lines inside are kept, comment lines dropped",
			in:       "[profile a]\nk = a\n  b\n\n  # c\n    c\n\nl = d\n",
			profiles: map[string]sec{"a": {"k": "a\nb\n\nc", "l": "d"}},
		},
		{
			name:     "continuation means deeper than the key, not any indentation",
			in:       "[profile a]\n  k = a\n  l = b\n   c\n",
			profiles: map[string]sec{"a": {"k": "a", "l": "b\nc"}},
		},
		{
			name:     "a value that starts with a newline is parsed as nested key = value lines",
			in:       "[profile a]\ns3 =\n  max_concurrent_requests = 10\n\n  # c\n  addressing_style=path\nregion = x\n",
			profiles: map[string]sec{"a": {"s3": sec{"max_concurrent_requests": "10", "addressing_style": "path"}, "region": "x"}},
		},
		{
			name:     "nested keys keep their case and split on the first = only",
			in:       "[services x]\nsso_oidc =\n  Endpoint_URL = http://h:1/p?a=b\n  k = a:b\n",
			services: map[string]sec{"x": {"sso_oidc": sec{"Endpoint_URL": "http://h:1/p?a=b", "k": "a:b"}}},
		},
		{
			name:    "a nested line without = is an error",
			in:      "[profile a]\ns3 =\n  addressing_style : path\n",
			wantErr: `line 2: nested value line "addressing_style : path" has no "="`,
		},
		{
			name:     "an empty value followed by no indented line stays empty",
			in:       "[profile a]\ns3 =\n\nregion = x\n",
			profiles: map[string]sec{"a": {"s3": "", "region": "x"}},
		},
		{
			name:     "a backslash does not continue a line",
			in:       "[profile a]\nk = a\\\nl = b\n",
			profiles: map[string]sec{"a": {"k": `a\`, "l": "b"}},
		},
		{
			name:    "a line without a delimiter is an error (no boolean keys)",
			in:      "[profile a]\nflag\n",
			wantErr: `line 2: "flag" has no "=": a setting is written key = value`,
		},
		{
			name:    "an empty key name is an error",
			in:      "[profile a]\n= v\n",
			wantErr: "line 2: \"= v\" has no key name before the \"=\"",
		},
		{
			name:    "an unclosed header is an error, and says so",
			in:      "[profile a]\nk = v\n[profile x\nl = w\n",
			wantErr: `line 3: "[profile x" is not a section header: missing "]"`,
		},
		{
			name:    "an unclosed first header is an error, and says so",
			in:      "# c\n[profile x\nk = v\n",
			wantErr: `line 2: "[profile x" is not a section header: missing "]"`,
		},
		{
			name:    "an unclosed first header with = in it says so too",
			in:      "[profile x = y\n",
			wantErr: `line 1: "[profile x = y" is not a section header: missing "]"`,
		},
		{
			name:    "an empty header is an error, and says so",
			in:      "[profile a]\n[]\n",
			wantErr: `line 2: "[]" is not a section header: nothing between the brackets`,
		},
		{
			name:    "an empty first header is an error, and says so",
			in:      "[]\nk = v\n",
			wantErr: `line 1: "[]" is not a section header: nothing between the brackets`,
		},
		{
			name:     "after a header, an unclosed header with a delimiter is a key, as in botocore",
			in:       "[profile a]\n[profile x = y\n[] : z\n",
			profiles: map[string]sec{"a": {"[profile x": "y", "[]": "z"}},
		},
		{
			name:     "[DEFAULT] is merged into every section, the section's own keys win",
			in:       "[DEFAULT]\nd = 1\nregion = def\n[profile a]\nregion = a\n[sso-session s]\n[services x]\n",
			profiles: map[string]sec{"a": {"region": "a", "d": "1"}},
			sessions: map[string]sec{"s": {"d": "1", "region": "def"}},
			services: map[string]sec{"x": {"d": "1", "region": "def"}},
		},
		{
			name:     "[default] is a profile, [DEFAULT] is not",
			in:       "[default]\nk = 1\n[DEFAULT]\nl = 2\n",
			profiles: map[string]sec{"default": {"k": "1", "l": "2"}},
		},
		{
			name:     "[DEFAULT] may appear twice",
			in:       "[DEFAULT]\na = 1\n[profile x]\n[DEFAULT]\nb = 2\n",
			profiles: map[string]sec{"x": {"a": "1", "b": "2"}},
		},
		{
			name:    "a key in [DEFAULT] twice is an error",
			in:      "[DEFAULT]\na = 1\n[DEFAULT]\nA = 2\n",
			wantErr: "line 4: duplicate key (first at line 2)",
		},
		{
			name:    "keys before the first section are an error",
			in:      "region = x\n[profile a]\n",
			wantErr: `line 1: "region = x" comes before the first [section] header`,
		},
		{
			name:    "duplicate sections are an error",
			in:      "[profile a]\n[profile b]\n[profile a]\n",
			wantErr: "line 3: duplicate section (first at line 1)",
		},
		{
			name:    "duplicate keys are an error, whatever their case",
			in:      "[profile a]\nregion = x\nRegion = x\n",
			wantErr: "line 3: duplicate key (first at line 2)",
		},
		{
			name:     "dots do not make child sections",
			in:       "[profile a]\nk = v\n[profile a.b]\nl = w\n",
			profiles: map[string]sec{"a": {"k": "v"}, "a.b": {"l": "w"}},
		},
		{
			name:     "an indented header after a key is part of the key's value",
			in:       "[profile a]\nk = v\n  [profile b]\n  l = w\n",
			profiles: map[string]sec{"a": {"k": "v\n[profile b]\nl = w"}},
		},
		{
			name:     "a file indented throughout reads as if it were not",
			in:       "  [profile a]\n  k = v\n  l = w\n\n  [profile b]\n  m = x\n",
			profiles: map[string]sec{"a": {"k": "v", "l": "w"}, "b": {"m": "x"}},
		},
		{
			name:     "section names are case-sensitive",
			in:       "[Profile a]\nk = v\n[DEFAULT]\n[Default]\n",
			profiles: map[string]sec{},
		},
		{
			name:     "text after the closing bracket is ignored",
			in:       "[profile a] ; comment\nk = v\n",
			profiles: map[string]sec{"a": {"k": "v"}},
		},
		{
			name:     "no interpolation",
			in:       "[profile a]\nk = %(x)s %%\n",
			profiles: map[string]sec{"a": {"k": "%(x)s %%"}},
		},
		{
			name:     "profile headers are split like a shell would",
			in:       "[profile \"my dev\"]\nk = 1\n[profile 'qa box']\nk = 2\n[profile  spaced]\nk = 3\n[sso-session \"corp eu\"]\nk = 4\n[services \"x y\"]\nk = 5\n",
			profiles: map[string]sec{"my dev": {"k": "1"}, "qa box": {"k": "2"}, "spaced": {"k": "3"}},
			sessions: map[string]sec{"corp eu": {"k": "4"}},
			services: map[string]sec{"x y": {"k": "5"}},
		},
		{
			name:     "headers with extra words, no name or unbalanced quotes are ignored",
			in:       "[profile a b]\nk = 1\n[profile]\nk = 2\n[profile \"c]\nk = 3\n[ profile d ]\nk = 4\n",
			profiles: map[string]sec{},
		},
		{
			name:     "botocore only checks the prefix: [profilex a] is profile a",
			in:       "[profilex a]\nk = 1\n",
			profiles: map[string]sec{"a": {"k": "1"}},
		},
		{
			name:     "a later section for the same profile replaces the earlier one",
			in:       "[profile a]\nk = 1\nl = 1\n[profile \"a\"]\nk = 2\n",
			profiles: map[string]sec{"a": {"k": "2"}},
		},
		{
			name:     "CRLF and CR line endings",
			in:       "[profile a]\r\nk = v\r\ns3 =\r\n  x = 1\r[profile b]\rl = w\r",
			profiles: map[string]sec{"a": {"k": "v", "s3": sec{"x": "1"}}, "b": {"l": "w"}},
		},
		{
			name:    "a UTF-8 byte order mark is an error, as in botocore",
			in:      "\uFEFF[profile a]\nk = v\n",
			wantErr: "line 1: the file starts with a UTF-8 byte order mark",
		},
		{
			name:    "invalid UTF-8 is an error",
			in:      "[profile a]\nk = v\nl = \xff\n",
			wantErr: "line 3: not valid UTF-8",
		},
		{
			name:     "Python whitespace: no-break space and 0x1c-0x1f are stripped and count as indentation",
			in:       "[profile a]\nk = \u00a0v\u00a0\n\x1cl = w\n\x1cm = x\n\x1c\x1cn = y\n",
			profiles: map[string]sec{"a": {"k": "v\nl = w\nm = x\nn = y"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsed(t, tt.in)
			if tt.wantErr != "" {
				var e *Error
				if !errors.As(err, &e) || !strings.Contains(e.Msg, tt.wantErr) || e.File != "test.ini" {
					t.Fatalf("error = %v, want *Error in test.ini containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			want := botocoreFile{Profiles: nonNil(tt.profiles), SSOSessions: nonNil(tt.sessions), Services: nonNil(tt.services)}
			got.Profiles, got.SSOSessions, got.Services = nonNil(got.Profiles), nonNil(got.SSOSessions), nonNil(got.Services)
			if tt.profiles == nil {
				got.Profiles = want.Profiles // not what this row is about
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func nonNil[M ~map[string]V, V any](m M) M {
	if m == nil {
		return M{}
	}
	return m
}

func TestParseErrorsNameSectionAndKey(t *testing.T) {
	tests := []struct {
		in               string
		section, key, at string
	}{
		{"[profile a]\nk = 1\n[profile a]\n", "profile a", "", "line 3:"},
		{"[profile a]\nk = 1\nK = 2\n", "profile a", "k", "line 3:"},
		{"[services x]\nsso =\n  endpoint_url\n", "services x", "sso", "line 2:"},
		{"[profile a]\nk = 1\nnonsense\n", "profile a", "", "line 3:"},
		{"[profile a]\n[profile b\n", "profile a", "", "line 2:"},
		{"[profile a\n", "", "", "line 1:"},
		{"[]\n", "", "", "line 1:"},
		{"k = v\n", "", "", "line 1:"},
		{"[profile a]\n= v\n", "profile a", "", "line 2:"},
		{"\uFEFF[profile a]\n", "", "", "line 1:"},
		{"[profile a]\nk = \xff\n", "", "", "line 2:"},
	}
	for _, tt := range tests {
		_, err := parseConfig("f.ini", []byte(tt.in))
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%q: error %v is not *Error", tt.in, err)
		}
		if e.File != "f.ini" || e.Section != tt.section || e.Key != tt.key || !strings.HasPrefix(e.Msg, tt.at) {
			t.Errorf("%q: got file %q section %q key %q msg %q; want section %q key %q msg starting %q",
				tt.in, e.File, e.Section, e.Key, e.Msg, tt.section, tt.key, tt.at)
		}
		if e.Hint == "" {
			t.Errorf("%q: no hint", tt.in)
		}
	}
}

func TestShellSplit(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  error
	}{
		{"sso-credproc --profile dev", []string{"sso-credproc", "--profile", "dev"}, nil},
		{`sso-credproc --profile "my dev"`, []string{"sso-credproc", "--profile", "my dev"}, nil},
		{`a'b c'd`, []string{"ab cd"}, nil},
		{`"" ''`, []string{"", ""}, nil},
		{`"a\"b\\c\d"`, []string{`a"b\c\d`}, nil},
		{`'a\b'`, []string{`a\b`}, nil},
		{`a\ b \$x`, []string{"a b", "$x"}, nil},
		{"a\n\tb\r", []string{"a", "b"}, nil},
		{"#a b", []string{"#a", "b"}, nil},
		{"  ", nil, nil},
		{`"open`, nil, errNoClosingQuote},
		{`'open`, nil, errNoClosingQuote},
		{`a\`, nil, errNoEscapedChar},
		{`"a\`, nil, errNoEscapedChar},
	}
	for _, tt := range tests {
		got, err := shellSplit(tt.in)
		if !errors.Is(err, tt.err) || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("shellSplit(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}
