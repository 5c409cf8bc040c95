package linksms

import "encoding/json"

// sendRequest is the body of POST /send. Fields left out take LINK's
// defaults: destinationTON MSISDN, dcs TEXT (the gateway splits long text).
type sendRequest struct {
	Source              string   `json:"source"`
	SourceTON           string   `json:"sourceTON"`
	Destination         string   `json:"destination"`
	UserData            string   `json:"userData"`
	PlatformID          string   `json:"platformId"`
	PlatformPartnerID   string   `json:"platformPartnerId"`
	UseDeliveryReport   bool     `json:"useDeliveryReport"`
	DeliveryReportGates []string `json:"deliveryReportGates,omitempty"`
	RefID               string   `json:"refId,omitempty"`
	MOReferenceID       string   `json:"moReferenceId,omitempty"`
	// IgnoreResponse is sent false: LINK documents true as its default,
	// which answers 204 without the messageId we store.
	IgnoreResponse bool `json:"ignoreResponse"`
}

// sendResponse is the 200 answer.
type sendResponse struct {
	MessageID   string      `json:"messageId"`
	ResultCode  json.Number `json:"resultCode"`
	Description string      `json:"description"`
}

// errorResponse is a 4xx answer. LINK documents "error code, description and
// its translation"; the field names are from a third-party OpenAPI, which
// spells one "transaltedDescription", so both spellings are read.
type errorResponse struct {
	Status                json.Number `json:"status"`
	ResultCode            json.Number `json:"resultCode"`
	Description           string      `json:"description"`
	TranslatedDescription string      `json:"translatedDescription"`
	TransaltedDescription string      `json:"transaltedDescription"`
	Message               string      `json:"message"`
}
