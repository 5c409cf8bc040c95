package crm

import "github.com/linkmobility/sms2vipps/linkapi"

// Error is a failed CRM call: a non-2xx answer (StatusCode and the CRM's
// Message, phone numbers masked) or no answer at all (StatusCode 0, Err).
// Its Path names the group, never a number. Callers get it inside an
// *sms2vipps.Error and reach it with errors.As (docs/CRM.md decision 5: a
// 404 is ENOTFOUND on a read and EINVALID on the add, whose group is then
// not the partner's).
type Error = linkapi.Error
