package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStartGate(t *testing.T) {
	g := &startGate{ready: make(chan struct{})}
	srv := httptest.NewServer(g)
	defer srv.Close()

	// Before the app is wired: the probe gets an answer (the host needs
	// one), and a request waits.
	resp, err := http.Get(srv.URL + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)

	done := make(chan int)
	go func() {
		resp, err := http.Post(srv.URL+"/api/KeywordSent", "text/plain", nil)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	// (Whether it arrived before the gate opened is up to the scheduler;
	// if it did, a gate that let it through would have reached a nil
	// handler.)
	g.open(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	assert.Equal(t, http.StatusTeapot, <-done, "the waiting request is served once the app is wired")
	resp, err = http.Get(srv.URL + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusTeapot, resp.StatusCode, "then everything goes to the app")

	// A request whose caller gives up while it waits ends without an answer.
	g2 := &startGate{ready: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := httptest.NewRecorder()
	g2.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/x", nil).WithContext(ctx))
	assert.Equal(t, http.StatusOK, rec.Code, "nothing written")
	assert.Empty(t, rec.Body.String())
}
