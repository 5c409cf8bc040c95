package partnerfile_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/partnerfile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const good = `{"partners":[{"id":1001,"name":"Demo","backend":"paycore","shortNumbers":["27222"],
 "originator":"Demo","reservationAmount":500,"reservationTtl":"10m","maxSessionDuration":"12h",
 "tariff":{"unitPrice":100,"unit":"1h","minimum":100},
 "paycore":{"secret":"env:DEMO_SECRET"}}]}`

func env(k string) string { return map[string]string{"DEMO_SECRET": "c2VjcmV0"}[k] }

func TestParse(t *testing.T) {
	r, err := partnerfile.Parse([]byte(good), env)
	require.NoError(t, err)
	p, err := r.Partner(context.Background(), 1001)
	require.NoError(t, err)
	assert.Equal(t, "c2VjcmV0", p.Paycore.Secret)
	assert.Equal(t, sms2vipps.Amount(500), p.ReservationAmount)
	ps, err := r.PartnersByShortNumber(context.Background(), "27222")
	require.NoError(t, err)
	assert.Len(t, ps, 1)
	_, err = r.PartnersByShortNumber(context.Background(), "1")
	assert.Equal(t, sms2vipps.ENOTFOUND, sms2vipps.ErrorCode(err))
	_, err = r.Partner(context.Background(), 1)
	assert.Equal(t, sms2vipps.ENOTFOUND, sms2vipps.ErrorCode(err))
}

func TestParseNamesEveryProblem(t *testing.T) {
	bad := `{"partners":[{"id":0,"backend":"x","tariff":{}},{"id":7,"backend":"paycore","shortNumbers":["1"],
	  "originator":"O","reservationAmount":500,"tariff":{"unitPrice":1,"unit":"1m"},"paycore":{"secret":"env:NOPE"}}]}`
	_, err := partnerfile.Parse([]byte(bad), env)
	require.Error(t, err)
	for _, want := range []string{"partner 0: id", "partner 0: backend", "partner 0: shortNumbers",
		"partner 0: tariff.unit", "partner 7: paycore.secret: environment variable NOPE"} {
		assert.Contains(t, err.Error(), want)
	}
	_, err = partnerfile.Parse([]byte(`{"partners":[{"idd":1}]}`), env)
	assert.ErrorContains(t, err, "unknown field")
}

func TestExampleFileLoads(t *testing.T) {
	path := filepath.Join("..", "partners.example.json")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the example partners file is missing: %v", err)
	}
	_, err := partnerfile.Load(path, func(string) string { return "" })
	require.NoError(t, err)
}
