package vippsspec_test

import (
	"testing"

	"github.com/linkmobility/sms2vipps/internal/vippsspec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadAppliesEveryPatch(t *testing.T) {
	s, err := vippsspec.Load()
	require.NoError(t, err)
	assert.Len(t, s.List, len(vippsspec.Files))
	assert.ElementsMatch(t, []string{"psp-makepaymenturl-path", "epayment-customer-oneof", "epayment-paymentevent-name",
		"epayment-modification-content-type", "recurring-transactionid", "recurring-charge-id-length",
		"recurring-campaign-oneof", "recurring-force-accept-204"}, s.Applied)
}
