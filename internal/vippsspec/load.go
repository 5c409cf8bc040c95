// Package vippsspec holds the official Vipps MobilePay OpenAPI files (in
// ../shared/specs/vipps) to our traffic: it loads them, mends their known
// defects in memory — each patch named and explained, from SOURCES.md — and
// validates real requests and responses against them. It is used by tests
// only, on both sides: our client and our simulator.
package vippsspec

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Files are the spec files, by short name.
var Files = map[string]string{
	"accesstoken": "access-token-api.yaml",
	"epayment":    "epayment-api.yaml",
	"recurring":   "recurring-api-v3.yaml",
	"webhooks":    "webhooks-api.yaml",
	"psp":         "psp-api-v3.yaml",
}

// orderManagementURL is the external $ref the ePayment file makes for its
// Receipt schema; it resolves to the local copy beside it.
const orderManagementURL = "https://raw.githubusercontent.com/vippsas/vipps-order-management-api/2.3.24/docs/swagger.yaml"

// Spec is one loaded, patched file.
type Spec struct {
	Name   string
	Doc    *openapi3.T
	Router routers.Router
}

// Specs are all the files.
type Specs struct {
	List []*Spec
	// Applied names the patches that were applied.
	Applied []string
}

// Dir finds ../shared/specs/vipps beside the repository (VIPPS_SPECS_DIR
// overrides), walking up from the working directory to go.mod.
func Dir() (string, error) {
	if d := os.Getenv("VIPPS_SPECS_DIR"); d != "" {
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			dir := filepath.Join(d, "..", "shared", "specs", "vipps")
			if _, err := os.Stat(dir); err != nil {
				return "", fmt.Errorf("the Vipps specs are expected at %s: %w", dir, err)
			}
			return dir, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("no go.mod above the working directory")
		}
	}
}

// Load reads, patches and validates every file.
func Load() (*Specs, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = true
	loader.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		if strings.HasPrefix(u.String(), orderManagementURL) || strings.HasSuffix(u.Path, "order-management-api-2.3.24.yaml") {
			return os.ReadFile(filepath.Join(dir, "order-management-api-2.3.24.yaml"))
		}
		if u.Scheme == "" || u.Scheme == "file" {
			return os.ReadFile(u.Path)
		}
		return nil, fmt.Errorf("no network here: refusing to read %s", u)
	}
	docs := map[string]*openapi3.T{}
	for name, file := range Files {
		raw, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			return nil, err
		}
		if name == "psp" {
			if raw, err = renamePSPCallback(raw); err != nil {
				return nil, err
			}
		}
		doc, err := loader.LoadFromDataWithPath(raw, &url.URL{Path: filepath.Join(dir, file)})
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", file, err)
		}
		docs[name] = doc
	}
	s := &Specs{Applied: []string{patchPSPPath.Name}}
	for _, p := range patches {
		if err := p.Apply(docs); err != nil {
			return nil, fmt.Errorf("patch %s no longer applies (has the spec changed?): %w", p.Name, err)
		}
		s.Applied = append(s.Applied, p.Name)
	}
	for name, doc := range docs {
		// Examples are not the contract: several official examples break
		// their own schemas (SOURCES.md).
		if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
			return nil, fmt.Errorf("validate %s: %w", name, err)
		}
		r, err := gorillamux.NewRouter(doc)
		if err != nil {
			return nil, fmt.Errorf("route %s: %w", name, err)
		}
		s.List = append(s.List, &Spec{Name: name, Doc: doc, Router: r})
	}
	return s, nil
}

// Spec returns the file by short name.
func (s *Specs) Spec(name string) *Spec {
	for _, sp := range s.List {
		if sp.Name == name {
			return sp
		}
	}
	return nil
}
