package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func writeEntries(t *testing.T, entries map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range entries {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestBuild checks the v1 layout govulncheck reads: the indexes list every
// entry under every module it affects, sorted, and each entry is kept as
// the module holds it.
func TestBuild(t *testing.T) {
	stdlib := `{"id":"GO-2026-0002","modified":"0001-01-01T00:00:00Z","aliases":["CVE-2026-2"],` +
		`"affected":[{"package":{"name":"stdlib","ecosystem":"Go"}},{"package":{"name":"toolchain","ecosystem":"Go"}}]}`
	mod := `{"id":"GO-2026-0001","modified":"2026-01-02T03:04:05Z",` +
		`"affected":[{"package":{"name":"example.com/m","ecosystem":"Go"}},{"package":{"name":"stdlib","ecosystem":"Go"}}]}`
	osv := writeEntries(t, map[string]string{"GO-2026-0002.json": stdlib, "GO-2026-0001.json": mod, "README.md": "not an entry"})
	out := filepath.Join(t.TempDir(), "db")
	snapshot := time.Date(2026, 11, 5, 23, 49, 57, 0, time.UTC)
	n, err := build(osv, out, snapshot)
	if err != nil || n != 2 {
		t.Fatalf("build: %d entries, %v", n, err)
	}
	read := func(name string, v any) {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	var db dbMeta
	read("index/db.json", &db)
	if !db.Modified.Equal(snapshot) {
		t.Errorf("db.json modified %v, want the snapshot's %v (no entry is later)", db.Modified, snapshot)
	}
	var modules []moduleIndex
	read("index/modules.json", &modules)
	zero, t1 := time.Time{}, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	want := []moduleIndex{
		{Path: "example.com/m", Vulns: []moduleVuln{{ID: "GO-2026-0001", Modified: t1}}},
		{Path: "stdlib", Vulns: []moduleVuln{{ID: "GO-2026-0001", Modified: t1}, {ID: "GO-2026-0002", Modified: zero}}},
		{Path: "toolchain", Vulns: []moduleVuln{{ID: "GO-2026-0002", Modified: zero}}},
	}
	if !reflect.DeepEqual(modules, want) {
		t.Errorf("modules.json = %+v, want %+v", modules, want)
	}
	var vulns []vuln
	read("index/vulns.json", &vulns)
	if wantV := []vuln{{ID: "GO-2026-0001", Modified: t1}, {ID: "GO-2026-0002", Modified: zero, Aliases: []string{"CVE-2026-2"}}}; !reflect.DeepEqual(vulns, wantV) {
		t.Errorf("vulns.json = %+v, want %+v", vulns, wantV)
	}
	if b, err := os.ReadFile(filepath.Join(out, "ID", "GO-2026-0002.json")); err != nil || string(b) != stdlib {
		t.Errorf("ID/GO-2026-0002.json = %q, %v; want the entry as given", b, err)
	}

	// A later entry time wins over the snapshot's; a rebuild replaces the
	// database whole.
	later := strings.Replace(mod, "2026-01-02T03:04:05Z", "2027-01-01T00:00:00Z", 1)
	if _, err := build(writeEntries(t, map[string]string{"GO-2026-0001.json": later}), out, snapshot); err != nil {
		t.Fatal(err)
	}
	read("index/db.json", &db)
	if want := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC); !db.Modified.Equal(want) {
		t.Errorf("db.json modified %v, want the newest entry's %v", db.Modified, want)
	}
	if _, err := os.Stat(filepath.Join(out, "ID", "GO-2026-0002.json")); !os.IsNotExist(err) {
		t.Errorf("an entry of the old database is left: %v", err)
	}
}

func TestBuildRefuses(t *testing.T) {
	for name, entries := range map[string]map[string]string{
		"no entries":        {"README.md": "x"},
		"misnamed entry":    {"GO-2026-0009.json": `{"id":"GO-2026-0001"}`},
		"entry is not JSON": {"GO-2026-0001.json": `{"id":`},
	} {
		out := filepath.Join(t.TempDir(), "db")
		if _, err := build(writeEntries(t, entries), out, time.Time{}); err == nil {
			t.Errorf("%s: no error", name)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: %s was made: %v", name, out, err)
		}
	}
}
