package sqlstore_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSQLiteQueryPlans checks that the recurring statements find their
// rows through the indexes 0003_recurring.sql made for them: a full scan
// of subscriptions or charges would pass every other test and only show at
// volume.
func TestSQLiteQueryPlans(t *testing.T) {
	s := mustOpenSQLite(t, filepath.Join(t.TempDir(), "test.db"))
	for _, tt := range []struct {
		name string
		// uses is a step the plan must have.
		uses string
		// sorted says the plan may sort (USE TEMP B-TREE).
		sorted bool
	}{
		// Walks the partial index in claim order, lease included, and
		// stops at the limit: no sort, no table read for a leased row.
		{name: "claimDueSubscriptions", uses: "SEARCH subscriptions USING COVERING INDEX ix_subscriptions_due (next_period>? AND next_period<?)"},
		// Walks one state's rows in claim order and stops at the limit;
		// the index holds the lease, so leased rows cost no table read.
		{name: "claimCharges", uses: "SEARCH charges USING COVERING INDEX ix_charges_check (state=?)"},
		{name: "subscriptionsToCheck", uses: "SEARCH subscriptions USING INDEX ix_subscriptions_check (state=?)", sorted: true},
		{name: "subscription", uses: "SEARCH subscriptions USING INDEX sqlite_autoindex_subscriptions_1 (id=?)"},
		{name: "subscriptionExists", uses: "SEARCH subscriptions USING COVERING INDEX sqlite_autoindex_subscriptions_1 (id=?)"},
		{name: "claimSubscription", uses: "SEARCH subscriptions USING INDEX sqlite_autoindex_subscriptions_1 (id=?)"},
		{name: "releaseSubscription", uses: "SEARCH subscriptions USING INDEX sqlite_autoindex_subscriptions_1 (id=?)"},
		{name: "updateSubscription", uses: "SEARCH subscriptions USING INDEX sqlite_autoindex_subscriptions_1 (id=?)"},
		{name: "subscriptionByOrderNumber", uses: "SEARCH subscriptions USING INDEX ux_subscriptions_order (partner_id=? AND order_number=?)"},
		{name: "subscriptionByAgreement", uses: "SEARCH subscriptions USING INDEX ix_subscriptions_agreement (agreement_id=?)", sorted: true},
		{name: "subscriptionsByMSISDN", uses: "SEARCH subscriptions USING INDEX ix_subscriptions_msisdn (msisdn=? AND partner_id=?)", sorted: true},
		{name: "allSubscriptionsByMSISDN", uses: "SEARCH subscriptions USING INDEX ix_subscriptions_msisdn (msisdn=?)", sorted: true},
		{name: "charge", uses: "SEARCH charges USING INDEX sqlite_autoindex_charges_1 (id=?)"},
		{name: "chargeExists", uses: "SEARCH charges USING COVERING INDEX sqlite_autoindex_charges_1 (id=?)"},
		{name: "updateCharge", uses: "SEARCH charges USING INDEX sqlite_autoindex_charges_1 (id=?)"},
		{name: "releaseCharge", uses: "SEARCH charges USING INDEX sqlite_autoindex_charges_1 (id=?)"},
		{name: "chargeForPeriod", uses: "SEARCH charges USING INDEX ux_charges_period (subscription_id=? AND period_start=?)"},
		{name: "listCharges", uses: "SEARCH charges USING INDEX ux_charges_period (subscription_id=?)"},
		// Sorted by id within a period only.
		{name: "chargesByAgreement", uses: "SEARCH charges USING INDEX ix_charges_agreement (agreement_id=?)", sorted: true},
		{name: "chargesByAgreementStates", uses: "SEARCH charges USING INDEX ix_charges_agreement (agreement_id=?)", sorted: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := s.QueryPlan(t.Context(), tt.name)
			require.NoError(t, err)
			text := strings.Join(plan, "\n")
			assert.Contains(t, plan, tt.uses, "plan:\n%s", text)
			for _, step := range plan {
				assert.False(t, strings.HasPrefix(step, "SCAN subscriptions") || strings.HasPrefix(step, "SCAN charges"), "full scan: %s", step)
				if !tt.sorted {
					assert.NotContains(t, step, "TEMP B-TREE", "plan:\n%s", text)
				}
			}
		})
	}
}
