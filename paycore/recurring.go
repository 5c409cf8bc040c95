package paycore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/linkmobility/sms2vipps"
)

// Paths of the recurring API (PAYCORE.md "Recurring").
const (
	subscribePath     = "/api/recurring/subscribe"
	subscriptionsPath = "/api/recurring/subscriptions"
	cancelPath        = "/api/recurring/cancel"
)

var errNoSubscriptionID = errors.New("no subscriptionId in the answer")

// Subscribe asks Paycore for a Vipps recurring agreement and returns the
// subscription it made, or the one it already had for the orderNumber. It
// is never retried: an unclear error (EUPSTREAM), a 2xx that names no
// subscription included, means it may exist; find it with
// FindSubscriptions.
func (c *Client) Subscribe(ctx context.Context, acct Account, req SubscribeRequest) (*Subscription, error) {
	res, err := c.send(ctx, acct, http.MethodPost, subscribePath, nil, req)
	if err != nil {
		return nil, err
	}
	var sub Subscription
	if json.Unmarshal(res.Body, &sub) != nil || sub.SubscriptionID == "" {
		// Made, perhaps, but we cannot tell which: as unclear as a lost
		// answer, and settled the same way.
		return nil, sms2vipps.WrapError(sms2vipps.EUPSTREAM, "paycore did not name the subscription",
			&Error{API: api.Name, Method: http.MethodPost, Path: subscribePath, StatusCode: res.StatusCode, Attempts: 1, Err: errNoSubscriptionID})
	}
	return &sub, nil
}

// GetSubscription reads a subscription; ENOTFOUND when there is none.
func (c *Client) GetSubscription(ctx context.Context, acct Account, id string) (*Subscription, error) {
	if id == "" {
		return nil, errNoID
	}
	res, err := c.send(ctx, acct, http.MethodGet, itemPath("recurring/subscriptions", acct, id), nil, nil)
	if err != nil {
		return nil, err
	}
	var sub Subscription
	if err := c.link.Decode(res, &sub); err != nil {
		return nil, err
	}
	return &sub, nil
}

// FindSubscriptions lists the partner's subscriptions with the order number
// (ours: the subscription id). None found, an empty list or a 404, is not
// an error.
func (c *Client) FindSubscriptions(ctx context.Context, acct Account, orderNumber string) ([]Subscription, error) {
	q := []string{"partnerId", strconv.FormatInt(acct.PartnerID, 10), "orderNumber", orderNumber}
	res, err := c.send(ctx, acct, http.MethodGet, subscriptionsPath, q, nil)
	if sms2vipps.ErrorCode(err) == sms2vipps.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	body := bytes.TrimSpace(res.Body)
	var list []Subscription
	switch {
	case len(body) == 0:
	case body[0] == '{':
		// An OData envelope, as the pre-transaction list may send.
		var page struct {
			Value []Subscription `json:"value"`
		}
		err = c.link.Decode(res, &page)
		list = page.Value
	default:
		err = c.link.Decode(res, &list)
	}
	return list, err
}

// CancelSubscription stops a subscription; one already stopped or expired
// is cancelled without complaint. It is never retried: after an unclear
// error read the subscription back.
func (c *Client) CancelSubscription(ctx context.Context, acct Account, id string) error {
	if id == "" {
		return errNoID
	}
	_, err := c.send(ctx, acct, http.MethodPost, cancelPath, nil, CancelRequest{PartnerID: acct.PartnerID, SubscriptionID: id})
	return err
}
