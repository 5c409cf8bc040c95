// Command handler is the sms2vipps function app: the one binary the Azure
// Functions host starts as its custom handler, serving every function.
//
//	handler [serve]      serve the functions (what the host runs)
//	handler migrate      apply the SQL migrations and exit
//	handler demo         run the app on embedded defaults against the
//	                     sandbox and play CHARGE → approve → ENDCHARGE
//	handler sandbox      run the simulators (Paycore, SMS gateway, Vipps)
//	handler webhooks     register, list or delete a partner's Vipps webhook
//	handler sign         print a partner API Authorization header
//	handler partners     put, get, list or delete partners in Table Storage
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	// Oslo's calendar must work on a bare container without zoneinfo.
	_ "time/tzdata"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "handler:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, os.Getenv)
	case "migrate":
		return migrate(ctx, os.Getenv)
	case "demo":
		return demo(ctx, args, os.Stdout)
	case "sandbox":
		return runSandbox(ctx, args, os.Stdout)
	case "webhooks":
		return webhooksCmd(ctx, args, os.Getenv, os.Stdout)
	case "sign":
		return signCmd(args, os.Getenv, os.Stdout)
	case "partners":
		return partnersCmd(ctx, args, os.Getenv, os.Stdout)
	case "help", "-h", "--help":
		fmt.Println(usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

const usage = `usage: handler [serve | migrate | demo [--serve] | sandbox [--addr host:port] |
                webhooks register|list|delete --partner ID [--id ID] |
                sign --partner ID --url URL [--method M] [--body FILE] [--secret B64] |
                partners put --file F | get --id N | list | delete --id N]`
