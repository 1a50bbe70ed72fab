package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/sso-credproc/sso-credproc/keychain"
	"github.com/sso-credproc/sso-credproc/profile"
	"github.com/sso-credproc/sso-credproc/tokencache"
)

const statusUsage = `usage: sso-credproc status [--json] [--store keychain|file]

Shows the config file in use, the keychain (or the file store, for the
sessions that use it) and whether it can be used,
and for each session of the config file its token, client registration
and cached role credentials, with their expiry (never a secret). Then it
checks the config: profiles whose credential_process runs sso-credproc
but that the SDKs will bypass (they carry SSO keys themselves), that name
a profile that does not exist, or whose sso-credproc (or the
sso-credproc-renew beside it) is missing or of another version.
Exits 0 when all is well, 1 when something needs action.

flags:
`

// statusReport is what status shows; --json prints it as it is.
type statusReport struct {
	ConfigFile string `json:"configFile"`
	// Keychain is the OS keychain, when a session keeps its items there
	// (or no session is configured and the file store is not chosen).
	Keychain *keychainStatus `json:"keychain,omitempty"`
	// FileStore is the file store, when a session keeps its items there
	// (sso_credproc_store = file in its sso-session, SSO_CREDPROC_STORE,
	// --store).
	FileStore *fileStoreStatus `json:"fileStore,omitempty"`
	Sessions  []sessionStatus  `json:"sessions"`
	Findings  []finding        `json:"findings"`
	OK        bool             `json:"ok"`
}

type keychainStatus struct {
	Backend string `json:"backend"`
	Usable  bool   `json:"usable"` // reachable, unlocked and writable
	Error   string `json:"error,omitempty"`
}

type fileStoreStatus struct {
	Dir    string `json:"dir"`
	Usable bool   `json:"usable"` // the directory is safe and the key opens (or can be made)
	Error  string `json:"error,omitempty"`
}

type sessionStatus struct {
	Name         string             `json:"name,omitempty"`
	StartURL     string             `json:"startUrl"`
	Region       string             `json:"region"`
	Profiles     []string           `json:"profiles"`
	Token        *tokenStatus       `json:"token"`
	Registration *time.Time         `json:"registrationExpiresAt"`
	Credentials  []credentialStatus `json:"credentials"`
	Damaged      []string           `json:"damaged,omitempty"`
	// Store is where the session's items are kept: "keychain" or "file".
	Store string `json:"store"`
	// Read says whether the keychain was read for the session: without it,
	// a null token means "unknown", not "none".
	Read bool `json:"read"`
}

type tokenStatus struct {
	ExpiresAt    time.Time `json:"expiresAt"`
	RefreshToken bool      `json:"refreshToken"`
}

type credentialStatus struct {
	AccountID  string    `json:"accountId"`
	RoleName   string    `json:"roleName"`
	Expiration time.Time `json:"expiration"`
}

type finding struct {
	Profile string `json:"profile,omitempty"`
	Problem string `json:"problem"`
	Hint    string `json:"hint,omitempty"`
}

// statusCommand shows what sso-credproc knows and checks the config.
func statusCommand(ctx context.Context, e Env, args []string) int {
	u := &ui{err: e.Stderr, tty: e.TTY}
	o := &options{}
	fs := newFlagSet("status", o, flagsDebug)
	fs.BoolVar(&o.json, "json", false, "print the report as JSON on stdout")
	storeFlag(fs, o)
	if code, ok := parseCommand(e, u, o, fs, args, "status", statusUsage); !ok {
		return code
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	path := profile.ConfigPath(e.Getenv)
	inv, err := profile.ReadInventory(path, e.Getenv)
	if err != nil {
		u.fail(err, profileHint(err))
		return 1
	}
	rep := statusReport{ConfigFile: inv.File, Sessions: []sessionStatus{}, Findings: []finding{}}
	if rep.ConfigFile == "" {
		rep.Findings = append(rep.Findings, finding{Problem: "no config file at " + path, Hint: "create a profile with: sso-credproc configure --profile NAME"})
	}
	stores, err := statusStores(ctx, e, u, o, path, inv, &rep)
	if err != nil {
		u.fail(err, profileHint(err))
		return 1
	}
	for _, s := range inv.Sessions {
		st := sessionStatus{Name: s.Name, StartURL: s.StartURL, Region: s.Region, Profiles: s.Profiles, Credentials: []credentialStatus{}}
		if st.Profiles == nil {
			st.Profiles = []string{}
		}
		su := stores.of(s)
		st.Store = su.kind()
		cache := &tokencache.Cache{Store: su.store, Now: e.Now}
		if su.usable && s.StartURL != "" && s.Region != "" {
			state, err := cache.Inspect(ctx, tokencache.Session{Name: s.Name, StartURL: s.StartURL, Region: s.Region})
			if err != nil {
				rep.Findings = append(rep.Findings, finding{Problem: fmt.Sprintf("%s: %s", s.Label(), oneLine(err.Error())), Hint: storeHint(err)})
			} else {
				st.Read = true
				if state.Token != nil {
					st.Token = &tokenStatus{ExpiresAt: state.Token.ExpiresAt.Truncate(time.Second), RefreshToken: state.Token.Refresh}
				}
				if state.Registration != nil {
					r := state.Registration.Truncate(time.Second)
					st.Registration = &r
				}
				for _, c := range state.Credentials {
					st.Credentials = append(st.Credentials, credentialStatus{c.AccountID, c.RoleName, c.Expiration.Truncate(time.Second)})
				}
				st.Damaged = state.Damaged
			}
		}
		rep.Sessions = append(rep.Sessions, st)
	}
	rep.Findings = append(rep.Findings, checkCommands(ctx, inv)...)
	rep.OK = len(rep.Findings) == 0
	if o.json {
		b, _ := json.MarshalIndent(rep, "", "  ")
		e.Stdout.Write(append(b, '\n'))
	} else {
		writeStatus(e.Stdout, &rep, now(e))
	}
	if !rep.OK {
		return 1
	}
	return 0
}

// Where a session's items are kept (sessionStatus.Store).
const (
	storeKeychain = "keychain"
	storeFile     = "file"
)

// storeUse is one store status reads, probed once.
type storeUse struct {
	file   bool
	store  keychain.Store
	usable bool
}

func (su *storeUse) kind() string {
	if su.file {
		return storeFile
	}
	return storeKeychain
}

// sessionStores says which store each session of the inventory uses.
type sessionStores struct {
	def  bool // the file store by --store or SSO_CREDPROC_STORE
	file map[[3]string]bool
	use  map[bool]*storeUse
}

func (ss *sessionStores) of(s profile.SessionRef) *storeUse {
	file, ok := ss.file[sessionKey(s)]
	if !ok {
		file = ss.def
	}
	return ss.use[file]
}

// sessionKey names s in a map.
func sessionKey(s profile.SessionRef) [3]string {
	return [3]string{s.Name, s.StartURL, s.Region}
}

// statusStores finds the store of every session (its sso-session's
// sso_credproc_store, under SSO_CREDPROC_STORE and --store, as logout
// --all resolves it) and probes each store in use once, recording it in
// rep; with no sessions, the store the flag or variable chooses.
func statusStores(ctx context.Context, e Env, u *ui, o *options, path string, inv *profile.Inventory, rep *statusReport) (*sessionStores, error) {
	ss := &sessionStores{file: map[[3]string]bool{}, use: map[bool]*storeUse{}}
	var err error
	if ss.def, err = profile.FileStoreChosen(&o.ov, e.Getenv); err != nil {
		return nil, err
	}
	kinds := []bool{}
	for _, s := range inv.Sessions {
		file := ss.def
		ov := s.Overrides()
		ov.Store = o.ov.Store
		if p, err := profile.LoadSession(path, "", ov, e.Getenv); err == nil {
			file = p.Policy.FileStore
		}
		ss.file[sessionKey(s)] = file
		if !slices.Contains(kinds, file) {
			kinds = append(kinds, file)
		}
	}
	if len(kinds) == 0 {
		kinds = append(kinds, ss.def)
	}
	for _, file := range kinds {
		su := &storeUse{file: file, store: openStore(e, u, file), usable: true}
		ss.use[file] = su
		var perr error
		if p, ok := su.store.(keychain.Prober); ok {
			perr = p.Probe(ctx)
		}
		su.usable = perr == nil
		msg := ""
		if perr != nil {
			msg = oneLine(perr.Error())
		}
		if file {
			rep.FileStore = &fileStoreStatus{Usable: su.usable, Error: msg}
			if d, ok := su.store.(interface{ Dir() string }); ok {
				rep.FileStore.Dir = d.Dir()
			}
			if perr != nil {
				rep.Findings = append(rep.Findings, finding{Problem: "the file store cannot be used: " + msg, Hint: storeHint(perr)})
			}
		} else {
			rep.Keychain = &keychainStatus{Backend: keychain.BackendName, Usable: su.usable, Error: msg}
			if perr != nil {
				rep.Findings = append(rep.Findings, finding{Problem: "the keychain cannot be used: " + msg, Hint: storeHint(perr)})
			}
		}
	}
	return ss, nil
}

func now(e Env) time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// checkCommands finds the problems of the profiles that run sso-credproc.
func checkCommands(ctx context.Context, inv *profile.Inventory) []finding {
	var out []finding
	versions := map[string]string{} // program path -> version line
	for _, c := range inv.Commands {
		if c.Bypassed {
			out = append(out, finding{Profile: c.Profile,
				Problem: fmt.Sprintf("[%s] carries SSO keys and a credential_process that runs sso-credproc: the SDKs use their own SSO support for it and never run sso-credproc", c.Section),
				Hint:    fmt.Sprintf("move the sso_* keys of [%s] to a new [profile %s-sso] and set credential_process = sso-credproc --profile %s-sso", c.Section, c.Profile, c.Profile)})
		}
		if c.Target == "" {
			out = append(out, finding{Profile: c.Profile, Problem: fmt.Sprintf("[%s]: credential_process runs sso-credproc without --profile", c.Section),
				Hint: "add --profile NAME, naming the profile that holds the SSO settings"})
		} else if !c.TargetExists {
			out = append(out, finding{Profile: c.Profile, Problem: fmt.Sprintf("[%s]: credential_process names profile %q, which is not in %s", c.Section, c.Target, inv.File),
				Hint: "fix the name, or create the profile pair: sso-credproc configure --profile " + c.Profile + " --sso-session SESSION --account-id ACCOUNT --role-name ROLE --force"})
		}
		prog, err := findProgram(c.Words[0])
		if err != nil {
			out = append(out, finding{Profile: c.Profile, Problem: fmt.Sprintf("[%s]: credential_process runs %s: %v", c.Section, c.Words[0], err),
				Hint: "install sso-credproc with ./install.sh (or go install), or give its full path in credential_process"})
			continue
		}
		renew, err := renewBeside(prog)
		if err != nil {
			out = append(out, finding{Profile: c.Profile, Problem: fmt.Sprintf("[%s]: %v", c.Section, err), Hint: installHint})
			continue
		}
		for _, p := range []string{prog, renew} {
			if _, ok := versions[p]; !ok {
				versions[p] = programVersion(ctx, p)
			}
		}
		if versions[prog] != versions[renew] {
			out = append(out, finding{Profile: c.Profile,
				Problem: fmt.Sprintf("[%s]: %s (%s) and %s (%s) are of different versions", c.Section, prog, versions[prog], renew, versions[renew]),
				Hint:    installHint})
		}
	}
	return out
}

// findProgram resolves the first word of a credential_process as the
// SDKs' shell would: a path as it is, a bare name through PATH; symlinks
// are followed.
func findProgram(word string) (string, error) {
	p := word
	if !strings.ContainsAny(word, `/\`) {
		var err error
		if p, err = exec.LookPath(word); err != nil {
			return "", fmt.Errorf("not found in PATH")
		}
	}
	st, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("not found")
	}
	if runtime.GOOS != "windows" && st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("not executable")
	}
	if real, err := filepath.EvalSymlinks(p); err == nil {
		p = real
	}
	return p, nil
}

// programVersion runs "PROGRAM version" and returns its line ("unknown" if
// it does not answer within 5 s).
func programVersion(ctx context.Context, prog string) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, prog, "version").Output()
	line := strings.TrimSpace(string(out))
	if err != nil || line == "" {
		return "unknown"
	}
	// "sso-credproc VERSION (commit C, GO, OS/ARCH)": the program name
	// differs between the two; the rest must not.
	if _, rest, ok := strings.Cut(line, " "); ok {
		return rest
	}
	return line
}

// writeStatus prints the report for people.
func writeStatus(w io.Writer, r *statusReport, now time.Time) {
	file := r.ConfigFile
	if file == "" {
		file = "(none)"
	}
	fmt.Fprintf(w, "config file: %s\n", terminalSafe(file))
	if r.Keychain != nil {
		kc := "usable (reachable, unlocked, writable)"
		if !r.Keychain.Usable {
			kc = "NOT usable: " + oneLine(r.Keychain.Error)
		}
		fmt.Fprintf(w, "keychain:    %s — %s\n", r.Keychain.Backend, kc)
	}
	if r.FileStore != nil {
		fs := "usable"
		if !r.FileStore.Usable {
			fs = "NOT usable: " + oneLine(r.FileStore.Error)
		}
		fmt.Fprintf(w, "file store:  %s — %s\n", terminalSafe(r.FileStore.Dir), fs)
	}
	for _, s := range r.Sessions {
		label := s.StartURL + " (" + s.Region + ")"
		if s.Name != "" {
			label = "sso-session " + s.Name + ": " + label
		}
		fmt.Fprintf(w, "\n%s\n", terminalSafe(label))
		if len(s.Profiles) > 0 {
			fmt.Fprintf(w, "  profiles:            %s\n", terminalSafe(strings.Join(s.Profiles, ", ")))
		}
		where := "the keychain"
		if s.Store == storeFile {
			where = "the file store"
			fmt.Fprintf(w, "  kept in:             the file store\n")
		}
		switch {
		case !s.Read:
			fmt.Fprintf(w, "  token:               unknown (%s could not be read)\n", where)
			continue
		case s.Token == nil:
			fmt.Fprintf(w, "  token:               none (the next call signs in)\n")
		case !s.Token.ExpiresAt.After(now) && !s.Token.RefreshToken:
			fmt.Fprintf(w, "  token:               expired %s (the next call signs in)\n", when(s.Token.ExpiresAt, now))
		default:
			refresh := "no refresh token"
			if s.Token.RefreshToken {
				refresh = "refresh token held"
			}
			fmt.Fprintf(w, "  token:               %s %s (%s)\n", expiresWord(s.Token.ExpiresAt, now), when(s.Token.ExpiresAt, now), refresh)
		}
		if s.Registration == nil {
			fmt.Fprintf(w, "  client registration: none\n")
		} else {
			fmt.Fprintf(w, "  client registration: %s %s\n", expiresWord(*s.Registration, now), when(*s.Registration, now))
		}
		for _, c := range s.Credentials {
			fmt.Fprintf(w, "  role credentials:    %s/%s, %s %s\n", terminalSafe(c.AccountID), terminalSafe(c.RoleName), expiresWord(c.Expiration, now), when(c.Expiration, now))
		}
		for _, d := range s.Damaged {
			fmt.Fprintf(w, "  damaged item:        %s (replaced on the next renewal)\n", terminalSafe(d))
		}
	}
	fmt.Fprintln(w)
	if len(r.Findings) == 0 {
		fmt.Fprintln(w, "checks: all well")
		return
	}
	fmt.Fprintf(w, "checks: %d to act on\n", len(r.Findings))
	for _, f := range r.Findings {
		fmt.Fprintf(w, "  - %s\n", oneLine(f.Problem))
		if f.Hint != "" {
			fmt.Fprintf(w, "    fix: %s\n", oneLine(f.Hint))
		}
	}
}

func expiresWord(t, now time.Time) string {
	if t.After(now) {
		return "valid until"
	}
	return "expired"
}

// when is "2026-11-29 13:05 UTC (in 55m)", "(3h ago)" or "(in 89 days)".
func when(t, now time.Time) string {
	d := t.Sub(now).Round(time.Minute)
	span := func(d time.Duration) string {
		if d >= 48*time.Hour {
			return fmt.Sprintf("%d days", int(d.Hours()/24))
		}
		return profile.ShortDuration(d)
	}
	rel := "in " + span(d)
	if d < 0 {
		rel = span(-d) + " ago"
	}
	return fmt.Sprintf("%s (%s)", t.Local().Format("2006-01-02 15:04 MST"), rel)
}
