package paycore_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps/paycore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKronerMarshal(t *testing.T) {
	for _, tt := range []struct {
		in   paycore.Kroner
		want string
	}{{500, "5.00"}, {1250, "12.50"}, {1, "0.01"}, {0, "0.00"}, {123456, "1234.56"}} {
		b, err := json.Marshal(tt.in)
		require.NoError(t, err)
		assert.Equal(t, tt.want, string(b))
	}
}

func TestKronerUnmarshal(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    paycore.Kroner
		wantErr bool
	}{
		{in: `5`, want: 500}, {in: `5.0`, want: 500}, {in: `5.00`, want: 500}, {in: `12.5`, want: 1250},
		{in: `"12.50"`, want: 1250}, {in: `0.1`, want: 10}, {in: `null`, want: 42},
		{in: `1e2`, wantErr: true}, {in: `5.001`, wantErr: true}, {in: `-1`, wantErr: true},
		{in: `true`, wantErr: true}, {in: `"abc"`, wantErr: true},
	} {
		k := paycore.Kroner(42)
		err := json.Unmarshal([]byte(tt.in), &k)
		if tt.wantErr {
			assert.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, k, tt.in)
	}
}

func TestTime(t *testing.T) {
	want := time.Date(2025, 1, 2, 10, 15, 0, 0, time.UTC)
	b, err := json.Marshal(paycore.Time{Time: want.In(time.FixedZone("CET", 3600))})
	require.NoError(t, err)
	assert.Equal(t, `"2025-01-02T10:15:00Z"`, string(b))
	for _, in := range []string{`"2025-01-02T10:15:00Z"`, `"2025-01-02T10:15:00"`, `"2025-01-02T10:15:00.0000000"`, `"2025-01-02T11:15:00+01:00"`} {
		var got paycore.Time
		require.NoError(t, json.Unmarshal([]byte(in), &got), in)
		assert.True(t, want.Equal(got.Time), "%s: got %v", in, got.Time)
	}
	for _, in := range []string{`null`, `""`} {
		var got paycore.Time
		require.NoError(t, json.Unmarshal([]byte(in), &got), in)
		assert.True(t, got.IsZero(), in)
	}
	var bad paycore.Time
	assert.Error(t, json.Unmarshal([]byte(`"yesterday"`), &bad))
}

func TestFlexString(t *testing.T) {
	var tx paycore.Transaction
	require.NoError(t, json.Unmarshal([]byte(`{"transactionId":123456789012,"statusCode":"R1","paymentTransactionId":null}`), &tx))
	assert.Equal(t, paycore.FlexString("123456789012"), tx.TransactionID)
	assert.Equal(t, paycore.FlexString("R1"), tx.StatusCode)
	assert.Empty(t, tx.PaymentTransactionID)
}

func TestPreTransactionRequestOmitsEmpty(t *testing.T) {
	b, err := json.Marshal(paycore.PreTransactionRequest{PartnerID: 1, MSISDN: "+4799999999", Amount: 500, Currency: "NOK"})
	require.NoError(t, err)
	assert.Equal(t, `{"partnerId":1,"msisdn":"+4799999999","amount":5.00,"currency":"NOK"}`, string(b))
}
