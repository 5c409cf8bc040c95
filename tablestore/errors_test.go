package tablestore_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/tablestore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// failedBatch is the body the service sends, with 202, for a transaction
// whose second operation failed.
const failedBatch = "--batchresponse_1\r\nContent-Type: multipart/mixed; boundary=changesetresponse_2\r\n\r\n" +
	"--changesetresponse_2\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 412 Precondition Failed\r\n" +
	"Content-ID: 2\r\n\r\n{\"odata.error\":{\"code\":\"UpdateConditionNotSatisfied\",\"message\":{\"value\":\"no\"}}}\r\n" +
	"--changesetresponse_2--\r\n--batchresponse_1--\r\n"

func responseError(status int, code, body string) error {
	req, _ := http.NewRequest(http.MethodPost, "https://acct.table.core.windows.net/$batch?sig=SECRET", nil)
	return &azcore.ResponseError{StatusCode: status, ErrorCode: code, RawResponse: &http.Response{
		StatusCode: status, Status: http.StatusText(status), Request: req, Header: http.Header{},
		Body: io.NopCloser(strings.NewReader(body)),
	}}
}

func TestStorageError(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		code string
	}{
		{"NotFound", responseError(404, "ResourceNotFound", ""), sms2vipps.ENOTFOUND},
		{"Conflict", responseError(409, "EntityAlreadyExists", ""), sms2vipps.ECONFLICT},
		{"PreconditionFailed", responseError(412, "UpdateConditionNotSatisfied", ""), sms2vipps.ECONFLICT},
		{"Throttled", responseError(429, "", ""), sms2vipps.EUNAVAILABLE},
		{"ServerBusy", responseError(503, "ServerBusy", ""), sms2vipps.EUNAVAILABLE},
		{"ServerError", responseError(500, "InternalError", ""), sms2vipps.EUPSTREAM},
		{"BadRequest", responseError(400, "PropertyValueTooLarge", ""), sms2vipps.EUPSTREAM},
		{"FailedTransaction", responseError(202, "", failedBatch), sms2vipps.ECONFLICT},
		{"Network", &url.Error{Op: "Get", URL: "https://acct.table.core.windows.net/t?sig=SECRET", Err: errors.New("connection refused")}, sms2vipps.EUPSTREAM},
		{"Deadline", context.DeadlineExceeded, sms2vipps.EUNAVAILABLE},
		{"Domain", sms2vipps.Errorf(sms2vipps.EINVALID, "x"), sms2vipps.EINVALID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tablestore.StorageError("read partner 7", tt.err)
			assert.Equal(t, tt.code, sms2vipps.ErrorCode(err), "%v", err)
			assert.NotContains(t, err.Error(), "SECRET")
			var re *azcore.ResponseError
			assert.False(t, errors.As(err, &re), "no SDK type leaks to callers")
		})
	}
	assert.NoError(t, tablestore.StorageError("x", nil))
	err := tablestore.StorageError("put partner 7", responseError(202, "", failedBatch))
	assert.ErrorContains(t, err, "412 UpdateConditionNotSatisfied")
}

func TestOpenRefusesBadConfig(t *testing.T) {
	const key = "c2VjcmV0LWFjY291bnQta2V5"
	for _, tt := range []struct {
		name string
		cfg  tablestore.Config
	}{
		{"ShortFormConnectionString", tablestore.Config{ConnectionString: "UseDevelopmentStorage=true"}},
		{"MalformedConnectionString", tablestore.Config{ConnectionString: "AccountKey=" + key + ";Nonsense"}},
		{"NoLocation", tablestore.Config{}},
		{"BadPrefix", tablestore.Config{ConnectionString: "x", TablePrefix: "1-bad"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tablestore.Open(context.Background(), tt.cfg)
			assert.Equal(t, sms2vipps.EINVALID, sms2vipps.ErrorCode(err), "%v", err)
			assert.NotContains(t, err.Error(), key)
		})
	}
}

func TestOpenUnreachable(t *testing.T) {
	cfg := tablestore.Config{
		ConnectionString: "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=c2VjcmV0;TableEndpoint=http://127.0.0.1:1/devstoreaccount1;",
		ClientOptions:    &aztables.ClientOptions{ClientOptions: policy.ClientOptions{Retry: policy.RetryOptions{MaxRetries: -1}}},
	}
	_, err := tablestore.Open(context.Background(), cfg)
	require.Error(t, err)
	assert.Equal(t, sms2vipps.EUPSTREAM, sms2vipps.ErrorCode(err), "%v", err)
}
