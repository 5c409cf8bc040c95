package crm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/linkapi"
)

// FlexString is text the CRM may write as a JSON string or as a number:
// ids are GUIDs in LINK's example, but the group's is a number.
type FlexString string

// UnmarshalJSON reads a string, a number (its text) or null.
func (f *FlexString) UnmarshalJSON(b []byte) error {
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return err
	}
	switch v := v.(type) {
	case nil:
	case string:
		*f = FlexString(v)
	case json.Number:
		*f = FlexString(v.String())
	default:
		return fmt.Errorf("crm: %s is neither a string nor a number", b)
	}
	return nil
}

// AddMemberRequest is the body of POST /api/sdk/members/{groupId}
// (docs/CRM.md).
type AddMemberRequest struct {
	MSISDN sms2vipps.MSISDN `json:"msisdn"` // E.164 with "+"
}

// Member is a member of a CRM group as the CRM answers the add and the
// read. Only the fields we use are read.
type Member struct {
	MemberID FlexString       `json:"memberId"`
	GroupID  FlexString       `json:"groupId"`
	MSISDN   sms2vipps.MSISDN `json:"msisdn"`
}

// AddToGroup adds msisdn to the partner's CRM group; a number already in
// it is a success. It implements sms2vipps.CRM with the partner's CRM
// account (AccountOf). Errors: EINVALID (refused for good, a bad number or
// a group that is not the partner's included), EUNAUTHORIZED, EUNAVAILABLE
// and EUPSTREAM (try again).
func (c *Client) AddToGroup(ctx context.Context, p *sms2vipps.Partner, groupID int64, msisdn sms2vipps.MSISDN) error {
	_, _, err := c.AddMember(ctx, AccountOf(p), groupID, msisdn)
	return err
}

// AddMember adds msisdn to the group and returns the member; created is
// false when the number was a member already (200, or 409, when the member
// may be known only by its number). A 2xx whose body is unreadable still
// added the member. It is retried like a read (linkapi's shouldRetry).
func (c *Client) AddMember(ctx context.Context, acct Account, groupID int64, msisdn sms2vipps.MSISDN) (m *Member, created bool, err error) {
	var v sms2vipps.Validation
	v.Check(groupID > 0, "groupId", "must be a positive CRM group id")
	v.Check(len(msisdn) > 1 && msisdn[0] == '+', "msisdn", "must be E.164 with +")
	if err := v.Err(); err != nil {
		return nil, false, err
	}
	res, err := c.link.Do(ctx, linkapi.Account(acct), linkapi.Request{
		Method: http.MethodPost, Path: groupPath(groupID), Body: AddMemberRequest{MSISDN: msisdn},
		// A member is a member (docs/CRM.md decision 4): repeating the add
		// after an unclear answer is safe, and the CRM may say "already a
		// member" with a 409.
		Idempotent: true, Accept: []int{http.StatusConflict},
	})
	if err != nil {
		return nil, false, err
	}
	m = &Member{}
	if json.Unmarshal(res.Body, m) != nil {
		m = &Member{} // a 409's body may be anything
	}
	if m.GroupID == "" {
		m.GroupID = FlexString(strconv.FormatInt(groupID, 10))
	}
	if m.MSISDN == "" {
		m.MSISDN = msisdn
	}
	return m, res.StatusCode == http.StatusCreated, nil
}

// GetMember reads a member of a group; ENOTFOUND when there is none.
func (c *Client) GetMember(ctx context.Context, acct Account, groupID int64, memberID string) (*Member, error) {
	if groupID <= 0 || memberID == "" {
		return nil, sms2vipps.Errorf(sms2vipps.EINVALID, "crm group and member id must be given")
	}
	res, err := c.link.Do(ctx, linkapi.Account(acct), linkapi.Request{
		Method: http.MethodGet, Path: groupPath(groupID) + "/" + url.PathEscape(memberID)})
	if err != nil {
		return nil, err
	}
	var m Member
	if err := c.link.Decode(res, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

func groupPath(groupID int64) string {
	return sdkPath + "/members/" + strconv.FormatInt(groupID, 10)
}
