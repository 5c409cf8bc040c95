// Package tablestore keeps partner configuration and the partner API's
// nonce cache in Azure Table Storage (aztables), the production home of
// both. Registry implements sms2vipps.PartnerRegistry with the behaviour of
// package partnerfile (the embedded default); Nonces implements NonceCache,
// whose embedded default is MemoryNonces.
//
// # Tables
//
// Open creates two tables, named TablePrefix + "partners" and
// TablePrefix + "nonces".
//
// partners holds one partition per partner, so that a partner and all of
// its dialogues change in one entity group transaction:
//
//	PartitionKey  the partner id, zero-padded to 19 digits (lexical order is
//	              numeric order, and every positive int64 fits)
//	RowKey "p"    the partner row:
//	                Config     the Partner as JSON, without Dialogues and
//	                           without the secrets below
//	                PaycoreSecret, APISecret, CRMSecret,
//	                VippsClientSecret, VippsSubscriptionKey
//	                           one property per secret, as given to Put
//	                Gen        the generation of the current dialogues
//	                Dialogues  how many dialogues that generation has
//	RowKey "d:" + Gen + ":" + ShortNumber + ":" + upper-case Keyword
//	              one row per dialogue, its fields as typed properties
//	              (Keyword, ShortNumber, GroupID Int64, Start, End, Period,
//	              ProductName, ProductDescription, Amount Int64, Sender,
//	              ReplyText) plus Position, its index in Partner.Dialogues
//
// # Atomicity
//
// Put writes the dialogues under a fresh random generation, invisible to
// readers, and then replaces the partner row, whose Gen names the
// generation readers use: that replacement is the commit point. When the
// dialogues and the partner row fit in one transaction (100 operations,
// 4 MiB), all of it is one SubmitTransaction. Either way the partner row is
// written with If-Match on the ETag read before (or added, which fails if
// another writer added it first), so of two concurrent Puts one wins and
// the other re-reads and tries again; rows of superseded generations are
// deleted afterwards, and leftovers from a crash are deleted by the next
// Put or Delete. Readers take only the dialogues of the partner row's Gen
// and check their number against its Dialogues, re-reading the partition
// when a write raced with them, so they never see half of a Put.
//
// # Secrets
//
// Put stores every secret as given. A value "env:NAME" is resolved from the
// environment (Config.Getenv) when the lookup snapshot is loaded, so the
// table need not hold secrets at all: the app setting NAME may itself be a
// Key Vault reference that the Functions platform resolves. Get and List
// return the stored form, so that Get, edit, Put does not write resolved
// secrets back; Partner and PartnersByShortNumber return resolved values.
// A partner whose setting is missing fails its own lookups (EINTERNAL) and
// no one else's.
//
// # Lookups
//
// Partner and PartnersByShortNumber run on every request, so they read an
// in-memory snapshot of the whole partners table, loaded again when it is
// older than Config.TTL or after a Put or Delete through the same Registry.
// Other instances see a change within one TTL. When a reload fails, the
// previous snapshot is served for up to Config.MaxStale.
//
// # Nonces
//
// nonces has PartitionKey = the zero-padded partner id and RowKey = the
// nonce in unpadded base64url (any bytes are then a valid key), with the
// request time in the Edm.DateTime property Ts. Seen is AddEntity: the
// service answers 409 to the second insert of a key, which makes the check
// atomic across every instance of the app. Sweep deletes rows whose Ts is
// older than the HMAC window allows.
//
// # Limits
//
// Table Storage caps a string property at 64 KiB (UTF-16), an entity at
// 1 MiB, a key at 1 KiB without '/', '\', '#', '?' or control characters,
// and a transaction at 100 operations and 4 MiB in one partition. Put
// refuses, with EINVALID naming the field, a value that would break a cap;
// with every property under 64 KiB no row reaches 1 MiB.
//
// # Errors
//
// Storage errors become *sms2vipps.Error at this boundary: 404 ENOTFOUND;
// 409 and 412 ECONFLICT; 429 and 503 EUNAVAILABLE; anything else from the
// service or the network EUPSTREAM. Messages name partners by id and never
// carry secrets or phone numbers.
package tablestore
