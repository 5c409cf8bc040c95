package app_test

import (
	"net/http"

	"github.com/linkmobility/sms2vipps/sandbox"
)

func sandbox_Status500(times int) sandbox.Rule {
	return sandbox.Rule{Service: "paycore", Method: http.MethodPut, Path: "/capture", Times: times, Action: sandbox.Status(500)}
}
