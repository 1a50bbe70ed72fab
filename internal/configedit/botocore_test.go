package configedit

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/sso-credproc/sso-credproc/internal/callers"
)

// botocoreScript answers, for each file, what botocore's load_config makes
// of it and how shlex.split (botocore's compat_shell_split on POSIX) splits
// each profile's credential_process.
const botocoreScript = `
import json, shlex, sys
from botocore.configloader import load_config
out = []
for path in json.load(sys.stdin):
    try:
        c = load_config(path)
    except Exception as e:
        out.append({"error": type(e).__name__ + ": " + str(e)})
        continue
    split = {}
    for name, p in c["profiles"].items():
        if isinstance(p.get("credential_process"), str):
            split[name] = shlex.split(p["credential_process"])
    out.append({"profiles": c["profiles"], "sso_sessions": c["sso_sessions"], "split": split})
json.dump(out, sys.stdout)
`

type botocoreView struct {
	Profiles    map[string]map[string]any `json:"profiles"`
	SSOSessions map[string]map[string]any `json:"sso_sessions"`
	Split       map[string][]string       `json:"split"`
	Error       string                    `json:"error"`
}

func botocoreLoad(t *testing.T, files []string) []botocoreView {
	t.Helper()
	py, version := callers.PythonWithBotocore(t, callers.BotocoreServices)
	t.Logf("caller version: %s with botocore %s", py, version)
	var views []botocoreView
	callers.RunPython(t, py, botocoreScript, nil, files, &views)
	if len(views) != len(files) {
		t.Fatalf("botocore helper: %d answers for %d files", len(views), len(files))
	}
	return views
}

// botocore reads every edited corpus file (appended and replaced in
// place): the new pair is there as written, credential_process splits back
// to the command, and every other profile and sso-session means to
// botocore what it meant before.
func TestBotocoreReadsEditedCorpus(t *testing.T) {
	dir := t.TempDir()
	type edited struct {
		name     string
		p        Pair
		old, new string
	}
	var cases []edited
	for _, f := range corpus(t) {
		p := newPair()
		e, err := Plan("config", f.data, p, false)
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		cases = append(cases, edited{f.name + " (append)", p, "", string(e.New)})
		// The same with the command of a Windows install and a profile
		// named default, replaced in place when it exists.
		p = newPair()
		p.Name, p.ProfileRegion, p.Command = "default", "", []string{`C:\Program Files\sso-credproc\sso-credproc.exe`}
		e, err = Plan("config", f.data, p, true)
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		cases = append(cases, edited{f.name + " (default)", p, "", string(e.New)})
		for i := range cases[len(cases)-2:] {
			cases[len(cases)-2+i].old = string(f.data)
		}
	}
	var files []string
	for i, c := range cases {
		for j, text := range []string{c.old, c.new} {
			path := filepath.Join(dir, fmt.Sprintf("%03d-%d.ini", i, j))
			if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			files = append(files, path)
		}
	}
	views := botocoreLoad(t, files)
	for i, c := range cases {
		before, after := views[2*i], views[2*i+1]
		if before.Error != "" || after.Error != "" {
			t.Errorf("%s: botocore: before %q, after %q", c.name, before.Error, after.Error)
			continue
		}
		sso := c.p.Name + "-sso"
		wantSSO := map[string]any{"sso_session": c.p.Session, "sso_account_id": c.p.AccountID, "sso_role_name": c.p.RoleName}
		gotSSO := map[string]any{}
		for k := range wantSSO {
			gotSSO[k] = after.Profiles[sso][k]
		}
		if !reflect.DeepEqual(gotSSO, wantSSO) {
			t.Errorf("%s: botocore reads [profile %s] as %v", c.name, sso, after.Profiles[sso])
		}
		if want := append(slices.Clone(c.p.Command), "--profile", sso); !slices.Equal(after.Split[c.p.Name], want) {
			t.Errorf("%s: botocore splits credential_process of %s into %q, want %q", c.name, c.p.Name, after.Split[c.p.Name], want)
		}
		if c.p.ProfileRegion != "" && after.Profiles[c.p.Name]["region"] != c.p.ProfileRegion {
			t.Errorf("%s: region %v", c.name, after.Profiles[c.p.Name]["region"])
		}
		s := after.SSOSessions[c.p.Session]
		if s["sso_start_url"] != c.p.NewSession.StartURL || s["sso_region"] != c.p.NewSession.Region {
			t.Errorf("%s: sso-session %v", c.name, s)
		}
		for name, prof := range before.Profiles {
			if name == c.p.Name || name == sso {
				continue
			}
			if !reflect.DeepEqual(after.Profiles[name], prof) {
				t.Errorf("%s: profile %q changed for botocore: %v -> %v", c.name, name, prof, after.Profiles[name])
			}
		}
		for name, sess := range before.SSOSessions {
			if !reflect.DeepEqual(after.SSOSessions[name], sess) {
				t.Errorf("%s: sso-session %q changed for botocore", c.name, name)
			}
		}
		if len(after.Profiles) < len(before.Profiles) {
			t.Errorf("%s: %d profiles before, %d after", c.name, len(before.Profiles), len(after.Profiles))
		}
	}
}
