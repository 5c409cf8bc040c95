package crm_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/crm"
	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/linkmobility/sms2vipps/sandbox/sandboxtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAgainstSandbox runs the client against the sandbox's CRM, which was
// written from docs/CRM.md, not from this client: the two check each other.
func TestAgainstSandbox(t *testing.T) {
	ctx := context.Background()
	clock := sandbox.NewClock(now)
	sb := sandboxtest.Start(t, sandbox.Config{PaycorePartners: map[int64]string{7001: secret, 9001: otherSecret}, Now: clock.Now, Seed: 1})
	c := crm.NewClient(sb.PublicURL()+"/crm", crm.WithClock(clock.Now),
		crm.WithSleep(func(ctx context.Context, d time.Duration) error { return ctx.Err() }))
	p := testPartner()

	require.NoError(t, c.AddToGroup(ctx, p, 771, "+4799999999"))
	require.NoError(t, c.AddToGroup(ctx, p, 771, "+4799999999"), "a member is a member")
	members := sb.CRM.Members(771)
	require.Len(t, members, 1)
	m, err := c.GetMember(ctx, crm.AccountOf(p), 771, members[0].MemberID)
	require.NoError(t, err)
	assert.Equal(t, &crm.Member{MemberID: crm.FlexString(members[0].MemberID), GroupID: "771", MSISDN: "+4799999999"}, m)
	_, err = c.GetMember(ctx, crm.AccountOf(p), 771, "no-such-member")
	assertCode(t, sms2vipps.ENOTFOUND, err)

	// A lost answer and a 503 are retried; the add happens once.
	sb.Faults.Add(sandbox.Rule{Service: "crm", Times: 1, Action: sandbox.LostResponse()})
	sb.Faults.Add(sandbox.Rule{Service: "crm", Times: 1, Action: sandbox.Status(http.StatusServiceUnavailable)})
	require.NoError(t, c.AddToGroup(ctx, p, 771, "+4711223344"))
	assert.Len(t, sb.CRM.Members(771), 2)

	// Another LINK partner's group does not exist for this one.
	other := testPartner()
	other.CRM = sms2vipps.LinkAccount{PartnerID: 9001, Secret: otherSecret}
	assertCode(t, sms2vipps.EINVALID, c.AddToGroup(ctx, other, 771, "+4799999999"))
	// An unknown partner, or the wrong secret, is refused.
	other.CRM = sms2vipps.LinkAccount{PartnerID: 9001, Secret: secret}
	assertCode(t, sms2vipps.EUNAUTHORIZED, c.AddToGroup(ctx, other, 772, "+4799999999"))
	assert.Empty(t, sb.CRM.Members(772))
}
