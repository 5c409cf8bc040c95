package vipps

import "github.com/linkmobility/sms2vipps"

// Receipt is the Order Management API's Receipt (order-management-api
// 2.3.24), which ePayment takes as CreatePaymentRequest.receipt; a
// long-living payment (ExpiresAt) needs one (VIPPS.md §2). Amounts are
// minor units.
type Receipt struct {
	OrderLines []OrderLine `json:"orderLines"`
	BottomLine BottomLine  `json:"bottomLine"`
}

// OrderLine is one line of a Receipt. Name, ID, the three totals and
// TaxPercentage are required.
type OrderLine struct {
	Name                    string           `json:"name"`
	ID                      string           `json:"id"`
	TotalAmount             sms2vipps.Amount `json:"totalAmount"`
	TotalAmountExcludingTax sms2vipps.Amount `json:"totalAmountExcludingTax"`
	TotalTaxAmount          sms2vipps.Amount `json:"totalTaxAmount"`
	TaxPercentage           int              `json:"taxPercentage"`
	UnitInfo                *UnitInfo        `json:"unitInfo,omitempty"`
	Discount                sms2vipps.Amount `json:"discount,omitempty"`
	ProductURL              string           `json:"productUrl,omitempty"`
	IsReturn                bool             `json:"isReturn,omitempty"`
	IsShipping              bool             `json:"isShipping,omitempty"`
}

// UnitInfo is an order line's quantity; Quantity is a decimal string
// ("2.5") and QuantityUnit one of PCS, KG, KM, MINUTE, LITRE, KWH.
type UnitInfo struct {
	UnitPrice    sms2vipps.Amount `json:"unitPrice"`
	Quantity     string           `json:"quantity"`
	QuantityUnit string           `json:"quantityUnit,omitempty"`
}

// BottomLine sums a Receipt; Currency is required.
type BottomLine struct {
	Currency       string           `json:"currency"`
	TipAmount      sms2vipps.Amount `json:"tipAmount,omitempty"`
	PosID          string           `json:"posId,omitempty"`
	PaymentSources *PaymentSources  `json:"paymentSources,omitempty"`
	Barcode        *Barcode         `json:"barcode,omitempty"`
	ReceiptNumber  string           `json:"receiptNumber,omitempty"`
}

// PaymentSources splits what was paid by source.
type PaymentSources struct {
	GiftCard sms2vipps.Amount `json:"giftCard,omitempty"`
	Card     sms2vipps.Amount `json:"card,omitempty"`
	Voucher  sms2vipps.Amount `json:"voucher,omitempty"`
	Cash     sms2vipps.Amount `json:"cash,omitempty"`
}

// Barcode is printed on the receipt; Format is EAN-13, CODE 39 or CODE 128.
type Barcode struct {
	Format string `json:"format"`
	Data   string `json:"data"`
}
