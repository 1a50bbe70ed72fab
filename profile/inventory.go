package profile

import (
	"maps"
	"slices"
	"sort"
	"strings"
)

// Inventory is what a config file holds for sso-credproc, for status,
// logout --all and the config checks: the SSO sessions it signs in to and
// the profiles whose credential_process runs sso-credproc.
type Inventory struct {
	File     string       // the config file read ("" when there is none)
	Sessions []SessionRef // sorted: sso-sessions by name, then legacy start URLs
	Commands []CommandRef // sorted by profile name
}

// SessionRef is one session sso-credproc can sign in to: an
// [sso-session NAME], or a legacy profile's own start URL and region.
type SessionRef struct {
	Name     string   // sso-session name; "" for a legacy start URL
	StartURL string   // "" when the sso-session lacks it
	Region   string   // "" when the sso-session lacks it
	Profiles []string // the profiles that use it, sorted
}

// CommandRef is a profile whose credential_process runs sso-credproc.
type CommandRef struct {
	Profile string   // profile name
	Section string   // its section header, as written
	Words   []string // the command split as botocore splits it
	// Target is the profile its --profile names ("" when none) and
	// TargetExists whether the file has it.
	Target       string
	TargetExists bool
	// Bypassed: the profile also carries SSO keys, so the SDKs use their
	// own SSO support and never run credential_process.
	Bypassed bool
}

// ReadInventory reads the config file at path (as Load does; a missing
// file gives an empty Inventory) and lists its sessions and sso-credproc
// commands. Profiles that do not resolve are still listed by what they
// name; nothing is validated beyond reading the file.
func ReadInventory(path string, env func(string) string) (*Inventory, error) {
	cfg, _, err := readConfigAt(path, env)
	if err != nil {
		return nil, err
	}
	inv := &Inventory{}
	if cfg == nil {
		return inv, nil
	}
	inv.File = cfg.path
	bySession := map[string]*SessionRef{}
	for _, name := range slices.Sorted(maps.Keys(cfg.sessions)) {
		s := cfg.sessions[name]
		url, _ := s.plain("sso_start_url")
		region, _ := s.plain("sso_region")
		bySession["s:"+name] = &SessionRef{Name: name, StartURL: url, Region: region}
	}
	var legacy []*SessionRef
	for _, name := range slices.Sorted(maps.Keys(cfg.profiles)) {
		sect := cfg.profiles[name]
		if ref, ok := sect.plain("sso_session"); ok {
			if s := bySession["s:"+ref]; s != nil {
				s.Profiles = append(s.Profiles, name)
			}
		} else if url, ok := sect.plain("sso_start_url"); ok {
			region, _ := sect.plain("sso_region")
			k := "l:" + url + "|" + region
			s := bySession[k]
			if s == nil {
				s = &SessionRef{StartURL: url, Region: region}
				bySession[k] = s
				legacy = append(legacy, s)
			}
			s.Profiles = append(s.Profiles, name)
		}
		if cp, ok := sect.plain("credential_process"); ok {
			if target, ok := credprocTarget(cp); ok {
				words, _ := shellSplit(cp)
				inv.Commands = append(inv.Commands, CommandRef{
					Profile: name, Section: sect.header, Words: words,
					Target: target, TargetExists: target != "" && cfg.profiles[target] != nil,
					Bypassed: hasSSOKeys(sect),
				})
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.sessions)) {
		inv.Sessions = append(inv.Sessions, *bySession["s:"+name])
	}
	sort.Slice(legacy, func(i, j int) bool { return legacy[i].StartURL+legacy[i].Region < legacy[j].StartURL+legacy[j].Region })
	for _, s := range legacy {
		inv.Sessions = append(inv.Sessions, *s)
	}
	return inv, nil
}

// Overrides returns the flags that select s for LoadSession.
func (s SessionRef) Overrides() Overrides {
	if s.Name != "" {
		return Overrides{SSOSession: s.Name}
	}
	return Overrides{StartURL: s.StartURL, Region: s.Region}
}

// Label names s for people: "sso-session NAME" or the start URL.
func (s SessionRef) Label() string {
	if s.Name != "" {
		return "sso-session " + s.Name
	}
	return strings.TrimSpace(s.StartURL + " (" + s.Region + ")")
}
