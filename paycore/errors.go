package paycore

import "github.com/linkmobility/sms2vipps/linkapi"

// Error is a failed Paycore call: a non-2xx answer (StatusCode and
// Paycore's Message, phone numbers masked) or no answer at all (StatusCode
// 0, Err). Callers get it inside an *sms2vipps.Error and reach it with
// errors.As. A 404 is ENOTFOUND on a read and EINVALID on a write
// (linkapi's mapping).
type Error = linkapi.Error
