// Command vulndb makes a Go vulnerability database that govulncheck reads
// with -db file:///DIR, from the OSV entries of a snapshot of the
// golang.org/x/vulndb module (its data/osv/<ID>.json) taken from the Go
// module proxy, for machines that cannot reach vuln.go.dev. It prints the
// database's file:// URL on stdout. scripts/vulndb.sh runs it.
//
// usage: go run ./scripts/vulndb -version VERSION -cache DIR
//
// VERSION is a version of golang.org/x/vulndb (a pseudo-version, or
// "latest" for the proxy's newest); the database is DIR/<version>, made
// once per version. Its layout is the v1 database API
// (https://go.dev/security/vuln/database#api):
//
//	index/db.json       {"modified": T}
//	index/modules.json  [{"path": P, "vulns": [{"id": ID, "modified": T}, ...]}, ...]
//	index/vulns.json    [{"id": ID, "modified": T, "aliases": [...]}, ...]
//	ID/<ID>.json        the OSV entry as the module holds it
//
// as golang.org/x/vulndb's cmd/indexdb writes it (internal/database), which
// is not used here because it links go-git, gRPC and Google Cloud clients
// (some 90 modules, 13 minutes of downloads on a new machine here) to write
// three index files. Two differences: the per-module "fixed" version, an
// optional hint by which govulncheck skips entries a module version is
// past, is left out (govulncheck then matches every entry's ranges itself,
// with the same result); and db.json's "modified" is the snapshot's commit
// time when no entry names a later one (the module's entries all say
// 0001-01-01: vuln.go.dev fills the times in from git history), so that
// govulncheck reports the date of the data it used.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"
)

// entry is the part of an OSV entry (https://ossf.github.io/osv-schema/)
// the indexes are made of.
type entry struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
	Affected []struct {
		Package struct {
			Name string `json:"name"` // the module path
		} `json:"package"`
	} `json:"affected"`
}

type dbMeta struct {
	Modified time.Time `json:"modified"`
}

type moduleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
}

type moduleIndex struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

type vuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
}

func main() {
	version := flag.String("version", "", "golang.org/x/vulndb version (pseudo-version, or latest)")
	cache := flag.String("cache", "", "directory that keeps a database per version")
	flag.Parse()
	if *version == "" || *cache == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: vulndb -version VERSION -cache DIR")
		os.Exit(2)
	}
	dir, err := database(*version, *cache)
	if err != nil {
		fmt.Fprintf(os.Stderr, "vulndb: error: %v\n", err)
		os.Exit(1)
	}
	fmt.Println((&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String())
}

// database returns the directory of the database made from
// golang.org/x/vulndb@version, making it if cache does not hold it yet.
func database(version, cache string) (string, error) {
	mod, err := download("golang.org/x/vulndb@" + version)
	if err != nil {
		return "", err
	}
	cache, err = filepath.Abs(cache)
	if err != nil {
		return "", err
	}
	out := filepath.Join(cache, mod.Version)
	if _, err := os.Stat(filepath.Join(out, "index", "modules.json")); err == nil {
		return out, nil
	}
	b, err := os.ReadFile(mod.Info)
	if err != nil {
		return "", err
	}
	var info struct{ Time time.Time }
	if err := json.Unmarshal(b, &info); err != nil {
		return "", fmt.Errorf("%s: %v", mod.Info, err)
	}
	n, err := build(filepath.Join(mod.Dir, "data", "osv"), out, info.Time)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "vulndb: %d entries of golang.org/x/vulndb@%s (%s) written to %s\n", n, mod.Version, info.Time.Format(time.DateOnly), out)
	return out, nil
}

// module is what `go mod download -json` says of a module it fetched.
type module struct {
	Version string // the version resolved (for "latest", the newest)
	Info    string // its .info file: {"Version": ..., "Time": ...}
	Dir     string // its files, unpacked in the module cache
	Error   string
}

// downloadTimeout bounds the download of the module (25 MB).
const downloadTimeout = 10 * time.Minute

// download fetches path@version into the module cache (checked against the
// checksum database as every module is) with the go command, run outside
// any module so that no go.mod is touched.
func download(pathVersion string) (*module, error) {
	tmp, err := os.MkdirTemp("", "vulndb-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), downloadTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", pathVersion)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GO111MODULE=on")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	var m module
	if jerr := json.Unmarshal(out, &m); jerr != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("go mod download %s: no answer within %v", pathVersion, downloadTimeout)
		}
		return nil, fmt.Errorf("go mod download %s: %v (output %q)", pathVersion, cmp.Or(err, jerr), out)
	}
	if m.Error != "" || err != nil {
		return nil, fmt.Errorf("go mod download %s: %s", pathVersion, cmp.Or(m.Error, fmt.Sprint(err)))
	}
	return &m, nil
}

// build writes the database of the entries in osvDir to out and returns
// how many entries it holds. It writes into a new directory beside out and
// renames it into place, so that out is either the old database or the
// new one, never half of one.
func build(osvDir, out string, floor time.Time) (int, error) {
	names, err := filepath.Glob(filepath.Join(osvDir, "*.json"))
	if err != nil {
		return 0, err
	}
	if len(names) == 0 {
		return 0, fmt.Errorf("%s holds no OSV entries (*.json)", osvDir)
	}
	if err := os.MkdirAll(filepath.Dir(filepath.Clean(out)), 0o755); err != nil {
		return 0, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(out)), ".vulndb-*")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	if err := os.Mkdir(filepath.Join(tmp, "ID"), 0o755); err != nil {
		return 0, err
	}

	db := dbMeta{Modified: floor}
	modules := map[string]*moduleIndex{}
	var vulns []vuln
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			return 0, err
		}
		var e entry
		if err := json.Unmarshal(b, &e); err != nil {
			return 0, fmt.Errorf("%s: %v", name, err)
		}
		if filepath.Base(name) != e.ID+".json" {
			return 0, fmt.Errorf("%s: holds entry %q; an entry's file must be named <ID>.json", name, e.ID)
		}
		if e.Modified.After(db.Modified) {
			db.Modified = e.Modified
		}
		vulns = append(vulns, vuln{ID: e.ID, Modified: e.Modified, Aliases: e.Aliases})
		for _, a := range e.Affected {
			m := modules[a.Package.Name]
			if m == nil {
				m = &moduleIndex{Path: a.Package.Name, Vulns: []moduleVuln{}}
				modules[a.Package.Name] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: e.Modified})
		}
		if err := os.WriteFile(filepath.Join(tmp, "ID", e.ID+".json"), b, 0o644); err != nil {
			return 0, err
		}
	}
	// Glob sorts, so vulns are in ID order and each module's vulns too.
	paths := make([]string, 0, len(modules))
	for p := range modules {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	index := make([]*moduleIndex, len(paths))
	for i, p := range paths {
		index[i] = modules[p]
	}

	if err := os.Mkdir(filepath.Join(tmp, "index"), 0o755); err != nil {
		return 0, err
	}
	for name, v := range map[string]any{"db": db, "modules": index, "vulns": vulns} {
		b, err := json.Marshal(v)
		if err != nil {
			return 0, err
		}
		if err := os.WriteFile(filepath.Join(tmp, "index", name+".json"), b, 0o644); err != nil {
			return 0, err
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return 0, err
	}
	// Swap the new database in: the old one is moved aside first.
	old := tmp + ".old"
	if err := os.Rename(out, old); err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, err
	}
	if err := os.Rename(tmp, out); err != nil {
		return 0, err
	}
	return len(vulns), os.RemoveAll(old)
}
