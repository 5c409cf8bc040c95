package sandbox

import (
	"errors"
	"net/http"
)

// paycoreState is GET /sandbox/paycore: everything the simulator holds.
type paycoreState struct {
	PreTransactions []PreTransaction        `json:"preTransactions"`
	Transactions    []Transaction           `json:"transactions"`
	Captures        []Capture               `json:"captures"`
	Callbacks       []Callback              `json:"callbacks"`
	Subscriptions   []RecurringSubscription `json:"subscriptions"`
}

func (p *Paycore) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /sandbox/paycore", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, paycoreState{
			PreTransactions: nonNil(p.PreTransactions()), Transactions: nonNil(p.Transactions()),
			Captures: nonNil(p.Captures()), Callbacks: nonNil(p.Callbacks()),
			Subscriptions: nonNil(p.Subscriptions()),
		})
	})
	mux.HandleFunc("GET /sandbox/paycore/{id}", func(w http.ResponseWriter, r *http.Request) {
		pre, ok := p.PreTransaction(r.PathValue("id"))
		if !ok {
			writeControlError(w, http.StatusNotFound, "no such pre-transaction")
			return
		}
		out := struct {
			PreTransaction PreTransaction `json:"preTransaction"`
			Transaction    *Transaction   `json:"transaction"`
		}{PreTransaction: pre}
		if tx, ok := p.Transaction(pre.PreTransactionID); ok {
			out.Transaction = &tx
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("POST /sandbox/paycore/{id}/{action}", p.handleControlAction)
	p.pageRoutes(mux)
	p.recurringControlRoutes(mux)
}

func (p *Paycore) handleControlAction(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var (
		out any
		err error
	)
	switch r.PathValue("action") {
	case "approve":
		out, err = p.Approve(id)
	case "reject":
		out, err = p.Reject(id)
	case "expire":
		if err = p.Expire(id); err == nil {
			pre, _ := p.PreTransaction(id)
			out = pre
			if tx, ok := p.Transaction(id); ok {
				out = tx
			}
		}
	default:
		writeControlError(w, http.StatusNotFound, "action must be approve, reject or expire")
		return
	}
	if err != nil {
		writeControlError(w, statusOf(err), err.Error())
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// statusOf maps the Go API's errors to control API statuses.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrExpired), errors.Is(err, ErrConflict):
		return http.StatusConflict
	default:
		return http.StatusInternalServerError
	}
}

// nonNil makes an empty list show as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
