package tablestore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/linkmobility/sms2vipps"
)

// Defaults of Config.
const (
	DefaultTTL      = 30 * time.Second
	DefaultMaxStale = 10 * time.Minute
)

// Table names, after Config.TablePrefix.
const (
	PartnersTable = "partners"
	NoncesTable   = "nonces"
)

// Config says where the tables are and how the registry caches them.
type Config struct {
	// ConnectionString is a storage account connection string with
	// AccountName and AccountKey (or SharedAccessSignature). aztables does
	// not understand UseDevelopmentStorage=true: for Azurite write the full
	// devstoreaccount1 form with TableEndpoint.
	ConnectionString string
	// AccountURL is the table endpoint (https://ACCOUNT.table.core.windows.net)
	// used when ConnectionString is empty, with Credential.
	AccountURL string
	// Credential authenticates to AccountURL; azidentity's
	// DefaultAzureCredential (the Function App's managed identity in Azure)
	// when nil.
	Credential azcore.TokenCredential
	// TablePrefix is put before every table name, so that tests and
	// environments sharing an account stay apart. Letters and digits,
	// starting with a letter (Table Storage's rule for names).
	TablePrefix string
	// ClientOptions tune the aztables client (retries, transport).
	ClientOptions *aztables.ClientOptions

	// TTL is how long the registry serves its snapshot before reading the
	// table again (DefaultTTL when zero); it bounds how long another
	// instance's change stays unseen.
	TTL time.Duration
	// MaxStale is how long a snapshot may still be served while the table
	// cannot be read (DefaultMaxStale when zero): a storage blip should not
	// fail every SMS, but a long outage must not hide configuration changes
	// forever.
	MaxStale time.Duration
	// Now is the clock of the snapshot; time.Now when nil.
	Now func() time.Time
	// Getenv resolves "env:NAME" secrets; os.Getenv when nil.
	Getenv func(string) string
	// Logger receives warnings about stale snapshots and leftover rows;
	// slog.Default() when nil.
	Logger *slog.Logger
}

// Store is the app's state in Table Storage: the partner registry and the
// nonce cache. Both are safe for concurrent use.
type Store struct {
	Partners *Registry
	Nonces   *Nonces
}

// Open connects to the account and creates the tables if they are absent.
// It returns EINVALID for a bad configuration and the codes of the storage
// errors (EUPSTREAM, EUNAVAILABLE) when the account cannot be reached.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := validPrefix(cfg.TablePrefix); err != nil {
		return nil, err
	}
	svc, err := newServiceClient(cfg)
	if err != nil {
		return nil, err
	}
	for _, name := range []string{PartnersTable, NoncesTable} {
		if err := createTable(ctx, svc, cfg.TablePrefix+name); err != nil {
			return nil, err
		}
	}
	return &Store{
		Partners: newRegistry(svc.NewClient(cfg.TablePrefix+PartnersTable), cfg),
		Nonces:   &Nonces{client: svc.NewClient(cfg.TablePrefix + NoncesTable)},
	}, nil
}

func newServiceClient(cfg Config) (*aztables.ServiceClient, error) {
	if cfg.ConnectionString != "" {
		svc, err := aztables.NewServiceClientFromConnectionString(cfg.ConnectionString, cfg.ClientOptions)
		if err != nil {
			// The SDK's message does not echo the string, which holds the key.
			return nil, sms2vipps.WrapError(sms2vipps.EINVALID, "table storage connection string is malformed", err)
		}
		return svc, nil
	}
	if cfg.AccountURL == "" {
		return nil, sms2vipps.Errorf(sms2vipps.EINVALID, "table storage needs a connection string or an account URL")
	}
	cred := cfg.Credential
	if cred == nil {
		c, err := azidentity.NewDefaultAzureCredential(nil)
		if err != nil {
			return nil, sms2vipps.WrapError(sms2vipps.EINVALID, "no Azure credential for table storage", err)
		}
		cred = c
	}
	svc, err := aztables.NewServiceClient(cfg.AccountURL, cred, cfg.ClientOptions)
	if err != nil {
		return nil, sms2vipps.WrapError(sms2vipps.EINVALID, "table storage account URL is malformed", err)
	}
	return svc, nil
}

// createTable creates the table unless it exists. Every instance does this
// at start, so "already exists" is the usual answer, not an error.
func createTable(ctx context.Context, svc *aztables.ServiceClient, name string) error {
	_, err := svc.CreateTable(ctx, name, nil)
	var re *azcore.ResponseError
	if errors.As(err, &re) && re.ErrorCode == string(aztables.TableAlreadyExists) {
		return nil
	}
	return storageError("create table "+name, err)
}

// validPrefix applies Table Storage's naming rule (alphanumeric, starting
// with a letter, at most 63 characters) to the prefix, so that a bad one
// fails at start with a clear message rather than as a 400 from the service.
func validPrefix(p string) error {
	longest := len(PartnersTable)
	if len(NoncesTable) > longest {
		longest = len(NoncesTable)
	}
	ok := len(p)+longest <= 63
	for i, r := range p {
		letter := (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		ok = ok && (letter || (i > 0 && r >= '0' && r <= '9'))
	}
	if !ok {
		return sms2vipps.Errorf(sms2vipps.EINVALID,
			"table prefix %q must be letters and digits, start with a letter and leave room for the table names", p)
	}
	return nil
}

// getenvOr returns f, or os.Getenv when f is nil.
func getenvOr(f func(string) string) func(string) string {
	if f != nil {
		return f
	}
	return os.Getenv
}

func durationOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// partitionKey writes a partner id so that keys sort as the ids do.
func partitionKey(id int64) string { return fmt.Sprintf("%019d", id) }
