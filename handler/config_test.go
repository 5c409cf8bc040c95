package main

import (
	"encoding/json"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEverySettingIsDocumented reads every setting LoadConfig asks for and
// checks that README.md and local.settings.json.example both name it.
func TestEverySettingIsDocumented(t *testing.T) {
	asked := map[string]bool{}
	_, _ = LoadConfig(func(k string) string { asked[k] = true; return "" })
	require.NotEmpty(t, asked)
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	raw, err := os.ReadFile("../local.settings.json.example")
	require.NoError(t, err)
	var example struct{ Values map[string]string }
	require.NoError(t, json.Unmarshal(raw, &example))
	var names []string
	for k := range asked {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if k == "FUNCTIONS_CUSTOMHANDLER_PORT" || k == "FUNCTIONS_HTTPWORKER_PORT" {
			continue // set by the host, not by us
		}
		assert.True(t, strings.Contains(string(readme), "`"+k+"`"), "README.md does not document %s", k)
		_, ok := example.Values[k]
		assert.True(t, ok, "local.settings.json.example lacks %s", k)
	}
}

func TestLoadConfig(t *testing.T) {
	env := map[string]string{
		"PUBLIC_BASE_URL": "https://app.example/", "PAYCORE_BASE_URL": "https://pay-core.linkmobility.com",
		"LINK_SMS_BASE_URL": "https://n-eu.linkmobility.io/sms", "LINK_SMS_USERNAME": "u", "LINK_SMS_PASSWORD": "p",
		"KEYWORD_AUTH": "Secret", "KEYWORD_SECRET": "s", "SIGNING_KEY": strings.Repeat("k", 32),
	}
	c, err := LoadConfig(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, "https://app.example", c.PublicBaseURL, "trailing slash dropped")
	assert.Equal(t, "secret", c.GatewayAuth.Mode)
	assert.Equal(t, "8080", c.Port)
	assert.False(t, c.HostPresent)
	assert.True(t, c.AutoMigrate, "SQLite migrates at start")
	assert.Equal(t, 8, c.Workers, "WORKERS defaults to 8")

	env["SQL_CONNECTION_STRING"] = "sqlserver://db.example?database=x&fedauth=ActiveDirectoryManagedIdentity"
	env["FUNCTIONS_CUSTOMHANDLER_PORT"] = "41234"
	c, err = LoadConfig(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.False(t, c.AutoMigrate, "SQL Server is migrated by a deploy step")
	assert.True(t, c.HostPresent)
	assert.Equal(t, "41234", c.Port)

	env["RECONCILER_SCHEDULE"] = "every minute"
	env["POLL_INTERVAL"] = "-1s"
	env["WORKERS"] = "0"
	_, err = LoadConfig(func(k string) string { return env[k] })
	assert.ErrorContains(t, err, "RECONCILER_SCHEDULE is not an NCRONTAB schedule")
	assert.ErrorContains(t, err, "POLL_INTERVAL must be a duration")
	assert.ErrorContains(t, err, "WORKERS must be a whole number from 1 to 64", "listed in the one start-up error")
}

func TestLoadConfigWorkers(t *testing.T) {
	env := map[string]string{
		"PUBLIC_BASE_URL": "https://app.example", "PAYCORE_BASE_URL": "https://pay-core.linkmobility.com",
		"LINK_SMS_BASE_URL": "https://n-eu.linkmobility.io/sms", "LINK_SMS_USERNAME": "u", "LINK_SMS_PASSWORD": "p",
		"KEYWORD_AUTH": "secret", "KEYWORD_SECRET": "s", "SIGNING_KEY": strings.Repeat("k", 32),
	}
	for _, v := range []string{"1", "16", " 64 "} {
		env["WORKERS"] = v
		c, err := LoadConfig(func(k string) string { return env[k] })
		require.NoError(t, err, "WORKERS=%q", v)
		assert.Equal(t, strings.TrimSpace(v), strconv.Itoa(c.Workers))
	}
	for _, v := range []string{"0", "65", "-3", "eight", "8.5"} {
		env["WORKERS"] = v
		_, err := LoadConfig(func(k string) string { return env[k] })
		assert.ErrorContains(t, err, "WORKERS must be a whole number from 1 to 64", "WORKERS=%q", v)
	}
}
