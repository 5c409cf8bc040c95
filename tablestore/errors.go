package tablestore

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/linkmobility/sms2vipps"
)

// storageError turns an aztables/azcore error into an *sms2vipps.Error so
// that no caller sees SDK types. op says what was being done, in words safe
// to show (a partner id, a table name; never a secret or a phone number).
// The internal detail keeps the status and the service's error code but
// not the SDK's full dump of the response.
func storageError(op string, err error) error {
	if err == nil {
		return nil
	}
	var de *sms2vipps.Error
	if errors.As(err, &de) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return sms2vipps.WrapError(sms2vipps.EUNAVAILABLE, op+": table storage did not answer in time", err)
	}
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return sms2vipps.WrapError(sms2vipps.EUPSTREAM, op+": table storage is unreachable", redactURL(err))
	}
	status, code := re.StatusCode, re.ErrorCode
	if status == http.StatusAccepted {
		// A failed entity group transaction is a 202 whose multipart body
		// holds the failing operation's real status; the SDK reports only
		// the 202.
		status, code = transactionFailure(re)
	}
	detail := fmt.Errorf("table storage answered %d %s", status, code)
	switch status {
	case http.StatusNotFound:
		return sms2vipps.WrapError(sms2vipps.ENOTFOUND, op+": not found", detail)
	case http.StatusConflict, http.StatusPreconditionFailed:
		return sms2vipps.WrapError(sms2vipps.ECONFLICT, op+": changed concurrently", detail)
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return sms2vipps.WrapError(sms2vipps.EUNAVAILABLE, op+": table storage is busy", detail)
	}
	return sms2vipps.WrapError(sms2vipps.EUPSTREAM, op+": table storage failed", detail)
}

var (
	innerStatus = regexp.MustCompile(`HTTP/1\.1 (\d{3})`)
	innerCode   = regexp.MustCompile(`"code"\s*:\s*"([A-Za-z]+)"`)
)

// transactionFailure reads the first failing status and error code from a
// failed transaction's response body.
func transactionFailure(re *azcore.ResponseError) (int, string) {
	if re.RawResponse == nil {
		return re.StatusCode, re.ErrorCode
	}
	body, err := runtime.Payload(re.RawResponse)
	if err != nil {
		return re.StatusCode, re.ErrorCode
	}
	for _, m := range innerStatus.FindAllSubmatch(body, -1) {
		if s, _ := strconv.Atoi(string(m[1])); s >= 400 {
			code := ""
			if c := innerCode.FindSubmatch(body); c != nil {
				code = string(c[1])
			}
			return s, code
		}
	}
	return re.StatusCode, re.ErrorCode
}

// redactURL drops the query from a transport error's URL: with a SAS
// connection string the query is the credential.
func redactURL(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	u, perr := url.Parse(ue.URL)
	if perr != nil {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	u.RawQuery, u.User = "", nil
	return fmt.Errorf("%s %s: %w", ue.Op, u.String(), ue.Err)
}
