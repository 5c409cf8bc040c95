package sms2vipps_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/linkmobility/sms2vipps"

// allowed lists, for each of our packages, which of our other packages it
// may import. Dependencies point inward: the domain imports none of ours;
// use cases only the domain; adapters only the domain (and LINK's HMAC, or
// linkapi, the client of LINK's signed APIs built on it), never each other;
// only the handler wires everything. A package missing here fails the test,
// so a new one has to declare its place.
var allowed = map[string][]string{
	"":                    {},
	"app":                 {""},
	"httpapi":             {"", "app", "phone", "funcs", "vippssig", "linkhmac"},
	"vippssig":            {},
	"vipps":               {""},
	"tablestore":          {""},
	"crm":                 {"", "linkapi"},
	"internal/vippsspec":  {},
	"internal/contract":   nil, // tests only: both sides of the Vipps contract
	"phone":               {""},
	"linkhmac":            {},
	"funcs":               {},
	"paycore":             {"", "linkapi"},
	"linkapi":             {"", "linkhmac"},
	"linksms":             {""},
	"partnerfile":         {""},
	"sqlstore":            {""},
	"storetest":           {""},
	"sandbox":             {"linkhmac"},
	"handler":             nil, // wiring: anything
	"sandbox/sandboxtest": {"sandbox", "linkhmac"},

	"linkapi/linkapitest": {"linkhmac"}, // tests only: a scripted LINK API

	"internal/chargertest": nil, // tests only: the charger's chaos test and benchmark
}

// stdOnly packages import nothing outside the standard library and ours.
var stdOnly = map[string]bool{"": true, "app": true, "linkhmac": true, "vippssig": true}

// forbidden names standard packages that would pull a layer outward.
var forbidden = map[string][]string{"app": {"net/http", "database/sql"}, "": {"net/http", "database/sql"}}

func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".") || strings.HasPrefix(path, module)
}

func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...").CombinedOutput()
	require.NoError(t, err, string(out))
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := rel(fields[0])
		rules, known := allowed[pkg]
		if !known {
			t.Errorf("package %q has no place in the dependency rules of arch_test.go", pkg)
			continue
		}
		if rules == nil {
			continue
		}
		for _, imp := range fields[1:] {
			if stdOnly[pkg] && !isStd(imp) {
				t.Errorf("%s imports %s: it may import only the standard library and our own packages", fields[0], imp)
			}
			if contains(forbidden[pkg], imp) {
				t.Errorf("%s imports %s: the use cases know no HTTP and no SQL", fields[0], imp)
			}
			if !strings.HasPrefix(imp, module) {
				continue
			}
			if !contains(rules, rel(imp)) {
				t.Errorf("%s imports %s: not allowed (may import %q)", fields[0], imp, rules)
			}
		}
	}
}

func rel(path string) string {
	return strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
