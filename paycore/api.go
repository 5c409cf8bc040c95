package paycore

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/linkmobility/sms2vipps"
)

// CreatePreTransaction creates a pre-transaction and returns its id, taken
// from the Location header. It is never retried: an unclear error
// (EUPSTREAM) means it may exist; find it with FindPreTransactions.
func (c *Client) CreatePreTransaction(ctx context.Context, acct Account, req PreTransactionRequest) (string, error) {
	const path = "/api/pre-transactions"
	res, err := c.send(ctx, acct, http.MethodPost, path, nil, req)
	if err != nil {
		return "", err
	}
	id := idFromLocation(res.Header.Get("Location"))
	if id == "" {
		// It was created, but we cannot tell which one it is: as unclear as
		// a lost answer, and settled the same way.
		return "", sms2vipps.WrapError(sms2vipps.EUPSTREAM, "paycore did not name the pre-transaction",
			&Error{API: api.Name, Method: http.MethodPost, Path: path, StatusCode: res.StatusCode, Attempts: 1, Err: errNoLocation})
	}
	return id, nil
}

var errNoLocation = errors.New("no usable Location header")

// errNoID refuses a call that would address the collection instead of an
// item.
var errNoID = sms2vipps.Errorf(sms2vipps.EINVALID, "paycore id must not be empty")

// idFromLocation returns the last path segment of a Location header, before
// any query, as LINK's Java client reads it.
func idFromLocation(loc string) string {
	loc, _, _ = strings.Cut(loc, "#")
	loc, _, _ = strings.Cut(loc, "?")
	loc = strings.TrimRight(strings.TrimSpace(loc), "/")
	seg := loc[strings.LastIndexByte(loc, '/')+1:]
	if id, err := url.PathUnescape(seg); err == nil {
		seg = id
	}
	if seg == "" || strings.Contains(seg, ":") {
		return "" // an empty header, or a bare "https:"
	}
	return seg
}

// GetPreTransaction reads a pre-transaction; ENOTFOUND when there is none.
func (c *Client) GetPreTransaction(ctx context.Context, acct Account, id string) (*PreTransaction, error) {
	if id == "" {
		return nil, errNoID
	}
	res, err := c.send(ctx, acct, http.MethodGet, itemPath("pre-transactions", acct, id), nil, nil)
	if err != nil {
		return nil, err
	}
	var pt PreTransaction
	if err := c.link.Decode(res, &pt); err != nil {
		return nil, err
	}
	return &pt, nil
}

// FindPreTransactions lists the partner's pre-transactions with the
// correlation id (ours: the session id). None found, an empty list or a
// 404, is not an error.
func (c *Client) FindPreTransactions(ctx context.Context, acct Account, correlationID string) ([]PreTransactionSummary, error) {
	q := []string{"partnerId", strconv.FormatInt(acct.PartnerID, 10), "correlationId", correlationID}
	res, err := c.send(ctx, acct, http.MethodGet, "/api/pre-transactions", q, nil)
	if sms2vipps.ErrorCode(err) == sms2vipps.ENOTFOUND {
		return nil, nil // some Web API servers answer an empty search with 404
	}
	if err != nil {
		return nil, err
	}
	var list []PreTransactionSummary
	if len(res.Body) > 0 && res.Body[0] == '{' {
		// An OData envelope, {"value": [...]}, since the list takes $skip/$top.
		var page struct {
			Value []PreTransactionSummary `json:"value"`
		}
		err = c.link.Decode(res, &page)
		list = page.Value
	} else if len(res.Body) > 0 {
		err = c.link.Decode(res, &list)
	}
	return list, err
}

// GetTransaction reads a transaction; ENOTFOUND while the user has not paid.
func (c *Client) GetTransaction(ctx context.Context, acct Account, id string) (*Transaction, error) {
	if id == "" {
		return nil, errNoID
	}
	res, err := c.send(ctx, acct, http.MethodGet, itemPath("transactions", acct, id), nil, nil)
	if err != nil {
		return nil, err
	}
	var t Transaction
	if err := c.link.Decode(res, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// Capture captures amount of the transaction, or all of it when amount is
// nil. It returns the transaction when Paycore answers with one, nil on 204.
// It is never retried: after an unclear error read the transaction back.
func (c *Client) Capture(ctx context.Context, acct Account, transactionID string, amount *sms2vipps.Amount) (*Transaction, error) {
	if amount != nil && *amount <= 0 {
		return nil, sms2vipps.Errorf(sms2vipps.EINVALID, "capture amount must be positive")
	}
	if transactionID == "" {
		return nil, errNoID
	}
	var q []string
	if amount != nil {
		q = []string{"amount", amount.Decimal()}
	}
	res, err := c.send(ctx, acct, http.MethodPut, itemPath("transactions", acct, transactionID)+"/capture", q, nil)
	if err != nil {
		return nil, err
	}
	if res.StatusCode == http.StatusNoContent || len(strings.TrimSpace(string(res.Body))) == 0 {
		return nil, nil
	}
	var t Transaction
	if err := c.link.Decode(res, &t); err != nil {
		// The capture was accepted; only its echo is unreadable.
		return nil, nil
	}
	return &t, nil
}

func itemPath(kind string, acct Account, id string) string {
	return "/api/" + kind + "/" + strconv.FormatInt(acct.PartnerID, 10) + "/" + url.PathEscape(id)
}
