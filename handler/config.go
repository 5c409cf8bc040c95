package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/linkmobility/sms2vipps/funcs"
	"github.com/linkmobility/sms2vipps/httpapi"
)

// Config is every app setting, read from the environment (the Function
// App's app settings; local.settings.json "Values" locally). Each setting
// is documented in README.md and local.settings.json.example.
type Config struct {
	Port          string // FUNCTIONS_CUSTOMHANDLER_PORT, 8080 without a host
	HostPresent   bool   // a Functions host started us: it runs the timers
	PublicBaseURL string // PUBLIC_BASE_URL: how the world reaches /api/...

	SQLConnectionString string // SQL_CONNECTION_STRING: SQL Server; empty = SQLite
	SQLitePath          string // SQLITE_PATH
	PartnersFile        string // PARTNERS_FILE
	// Partners in Azure Table Storage instead of the file: a connection
	// string, or an account URL reached with the managed identity.
	PartnersTablesConnection string // PARTNERS_TABLES_CONNECTION
	PartnersTablesAccountURL string // PARTNERS_TABLES_ACCOUNT_URL
	PartnersTablesPrefix     string // PARTNERS_TABLES_PREFIX

	PaycoreBaseURL        string // PAYCORE_BASE_URL
	SMSBaseURL            string // LINK_SMS_BASE_URL
	SMSUsername           string // LINK_SMS_USERNAME
	SMSPassword           string // LINK_SMS_PASSWORD
	SMSPlatformID         string // LINK_SMS_PLATFORM_ID
	SMSPlatformPartnerID  string // LINK_SMS_PLATFORM_PARTNER_ID
	SMSDeliveryReportGate string // LINK_SMS_DLR_GATE (optional)
	VippsBaseURL          string // VIPPS_BASE_URL (optional until Vipps partners exist)
	CRMBaseURL            string // CRM_BASE_URL (optional until the partner API)

	GatewayAuth        httpapi.GatewayAuth // KEYWORD_AUTH, KEYWORD_USERNAME, KEYWORD_PASSWORD, KEYWORD_SECRET
	SigningKey         []byte              // SIGNING_KEY
	PaycoreCallbacks   bool                // PAYCORE_CALLBACKS: ask Paycore for status callbacks
	ReconcilerSchedule string              // RECONCILER_SCHEDULE (NCRONTAB)
	ChargerSchedule    string              // CHARGER_SCHEDULE (NCRONTAB)
	WebhookTolerance   time.Duration       // VIPPS_WEBHOOK_TOLERANCE: how stale an x-ms-date may be
	HTTPTimeout        time.Duration       // OUTBOUND_TIMEOUT: per outside call
	PollInterval       time.Duration       // POLL_INTERVAL: how often an unpaid reservation is polled; 0 = every run
	RetryBase          time.Duration       // RETRY_BASE: first wait after a failed outside call; 0 = next run
	Workers            int                 // WORKERS: how much work the charger and the Reconciler do at once
	AutoMigrate        bool                // AUTO_MIGRATE: run migrations at start
	LogLevel           slog.Level          // LOG_LEVEL
}

// Defaults for settings that have one.
var settingDefaults = map[string]string{
	"SQLITE_PATH":             "data/sms2vipps.db",
	"PARTNERS_FILE":           "partners.example.json",
	"RECONCILER_SCHEDULE":     "0 */1 * * * *",
	"CHARGER_SCHEDULE":        "0 0 * * * *",
	"OUTBOUND_TIMEOUT":        "10s",
	"POLL_INTERVAL":           "30s",
	"VIPPS_WEBHOOK_TOLERANCE": "10m",
	"RETRY_BASE":              "30s",
	"WORKERS":                 "8",
	"PAYCORE_CALLBACKS":       "true",
	"LOG_LEVEL":               "info",
}

// LoadConfig reads the settings and checks them all, so one start-up error
// lists every setting that is missing or bad.
func LoadConfig(getenv func(string) string) (Config, error) {
	get := func(k string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return settingDefaults[k]
	}
	var errs []error
	bad := func(k, reason string) { errs = append(errs, fmt.Errorf("%s %s", k, reason)) }
	required := func(k string) string {
		v := get(k)
		if v == "" {
			bad(k, "is required")
		}
		return v
	}
	baseURL := func(k string, req bool) string {
		v := get(k)
		if v == "" {
			if req {
				bad(k, "is required")
			}
			return ""
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			bad(k, fmt.Sprintf("must be an absolute http(s) URL without a query, got %q", v))
		}
		return strings.TrimRight(v, "/")
	}

	c := Config{
		Port:                  funcs.Port(getenv),
		HostPresent:           funcs.HostPresent(getenv),
		PublicBaseURL:         baseURL("PUBLIC_BASE_URL", true),
		SQLConnectionString:   get("SQL_CONNECTION_STRING"),
		SQLitePath:            get("SQLITE_PATH"),
		PartnersFile:          required("PARTNERS_FILE"),
		PaycoreBaseURL:        baseURL("PAYCORE_BASE_URL", true),
		SMSBaseURL:            baseURL("LINK_SMS_BASE_URL", true),
		SMSUsername:           required("LINK_SMS_USERNAME"),
		SMSPassword:           required("LINK_SMS_PASSWORD"),
		SMSPlatformID:         get("LINK_SMS_PLATFORM_ID"),
		SMSPlatformPartnerID:  get("LINK_SMS_PLATFORM_PARTNER_ID"),
		SMSDeliveryReportGate: get("LINK_SMS_DLR_GATE"),
		VippsBaseURL:          baseURL("VIPPS_BASE_URL", false),
		CRMBaseURL:            baseURL("CRM_BASE_URL", false),
		ReconcilerSchedule:    get("RECONCILER_SCHEDULE"),
		ChargerSchedule:       get("CHARGER_SCHEDULE"),

		PartnersTablesConnection: get("PARTNERS_TABLES_CONNECTION"),
		PartnersTablesAccountURL: baseURL("PARTNERS_TABLES_ACCOUNT_URL", false),
		PartnersTablesPrefix:     get("PARTNERS_TABLES_PREFIX"),
	}
	for k, v := range map[string]string{"RECONCILER_SCHEDULE": c.ReconcilerSchedule, "CHARGER_SCHEDULE": c.ChargerSchedule} {
		if _, err := funcs.ParseSchedule(v); err != nil {
			bad(k, fmt.Sprintf("is not an NCRONTAB schedule: %v", err))
		}
	}

	switch mode := strings.ToLower(get("KEYWORD_AUTH")); mode {
	case "basic":
		c.GatewayAuth = httpapi.GatewayAuth{Mode: mode, Username: required("KEYWORD_USERNAME"), Password: required("KEYWORD_PASSWORD")}
	case "secret":
		c.GatewayAuth = httpapi.GatewayAuth{Mode: mode, Secret: required("KEYWORD_SECRET")}
	case "":
		bad("KEYWORD_AUTH", `is required ("basic" or "secret")`)
	default:
		bad("KEYWORD_AUTH", fmt.Sprintf(`must be "basic" or "secret", got %q`, mode))
	}

	if k := get("SIGNING_KEY"); len(k) < 32 {
		bad("SIGNING_KEY", "must be at least 32 characters (it signs receipt and callback links)")
	} else {
		c.SigningKey = []byte(k)
	}

	var err error
	if c.HTTPTimeout, err = time.ParseDuration(get("OUTBOUND_TIMEOUT")); err != nil || c.HTTPTimeout <= 0 {
		bad("OUTBOUND_TIMEOUT", "must be a positive duration such as 10s")
	}
	if c.PollInterval, err = time.ParseDuration(get("POLL_INTERVAL")); err != nil || c.PollInterval < 0 {
		bad("POLL_INTERVAL", "must be a duration such as 30s (0s: at every Reconciler run)")
	}
	if c.RetryBase, err = time.ParseDuration(get("RETRY_BASE")); err != nil || c.RetryBase < 0 {
		bad("RETRY_BASE", "must be a duration such as 30s (0s: at the next Reconciler run)")
	}
	if c.Workers, err = strconv.Atoi(get("WORKERS")); err != nil || c.Workers < 1 || c.Workers > 64 {
		bad("WORKERS", "must be a whole number from 1 to 64")
	}
	if c.WebhookTolerance, err = time.ParseDuration(get("VIPPS_WEBHOOK_TOLERANCE")); err != nil || c.WebhookTolerance < 0 {
		bad("VIPPS_WEBHOOK_TOLERANCE", "must be a duration such as 10m (0s: no date check)")
	}
	if c.PaycoreCallbacks, err = parseBool(get("PAYCORE_CALLBACKS")); err != nil {
		bad("PAYCORE_CALLBACKS", "must be true or false")
	}
	// Migrating at start suits the embedded SQLite; SQL Server schemas are
	// migrated by a deploy step (handler migrate) unless asked otherwise.
	migrateDefault := "true"
	if c.SQLConnectionString != "" {
		migrateDefault = "false"
	}
	if v := get("AUTO_MIGRATE"); v != "" {
		migrateDefault = v
	}
	if c.AutoMigrate, err = parseBool(migrateDefault); err != nil {
		bad("AUTO_MIGRATE", "must be true or false")
	}
	if err := c.LogLevel.UnmarshalText([]byte(get("LOG_LEVEL"))); err != nil {
		bad("LOG_LEVEL", "must be debug, info, warn or error")
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("bad configuration:\n%w", errors.Join(errs...))
	}
	return c, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "1", "yes":
		return true, nil
	case "false", "0", "no":
		return false, nil
	}
	return false, fmt.Errorf("not a boolean: %q", s)
}
