package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/linkmobility/sms2vipps"
)

// sessionTable is the sessions for the shared mechanics of table.go.
func (s *Store) sessionTable() table[*sms2vipps.Session] {
	return table[*sms2vipps.Session]{s: s, what: "session", scan: scanSession, exists: s.d.q.sessionExists,
		unique: "the number already has an open session, or the session id is taken"}
}

// CreateSession inserts x with Version 1 and UpdatedAt now. The database
// enforces one open session per partner and MSISDN (a unique index over the
// open states), so two concurrent CHARGEs cannot both open one.
func (s *Store) CreateSession(ctx context.Context, x *sms2vipps.Session) error {
	if x.ID == "" {
		return invalid("session has no id")
	}
	now := s.now()
	_, err := s.w().ExecContext(ctx, s.d.q.insertSession, s.sessionArgs(x, 1, s.d.timeArg(now))...)
	if err != nil {
		return s.sessionTable().writeError(err, "create session")
	}
	x.Version, x.UpdatedAt = 1, now
	return nil
}

// Session returns the session with id, or ENOTFOUND.
func (s *Store) Session(ctx context.Context, id string) (*sms2vipps.Session, error) {
	x, err := scanSession(s.r().QueryRowContext(ctx, s.d.q.session, sql.Named("id", id)))
	if err != nil {
		return nil, s.translate(err, "session", "get session")
	}
	return x, nil
}

// OpenSession returns the partner's open session for msisdn, or ENOTFOUND.
func (s *Store) OpenSession(ctx context.Context, partnerID int64, msisdn sms2vipps.MSISDN) (*sms2vipps.Session, error) {
	x, err := scanSession(s.r().QueryRowContext(ctx, s.d.q.openSession,
		sql.Named("partner_id", partnerID), sql.Named("msisdn", string(msisdn))))
	if err != nil {
		return nil, s.translate(err, "open session", "get open session")
	}
	return x, nil
}

// UpdateSession writes every field of x but its lease (LeaseOwner and
// LeaseUntil belong to ClaimSession and ReleaseSession, so an update never
// takes or drops a lease) if x.Version is still the stored version, then
// bumps x.Version and sets x.UpdatedAt. Returns ECONFLICT when another
// writer came first or x would be a second open session for its MSISDN,
// ENOTFOUND when there is no such session.
func (s *Store) UpdateSession(ctx context.Context, x *sms2vipps.Session) error {
	now := s.now()
	args := s.sessionArgs(x, x.Version, s.d.timeArg(now))
	if err := s.sessionTable().update(ctx, "update session", staleVersion, x.ID, s.d.q.updateSession, args...); err != nil {
		return err
	}
	x.Version++
	x.UpdatedAt = now
	return nil
}

// SessionsToCheck returns up to limit sessions in one of states that are
// due and not leased at now, oldest NextCheck first. A zero NextCheck
// counts as due (it sorts first): a session nobody scheduled is checked
// rather than forgotten.
func (s *Store) SessionsToCheck(ctx context.Context, states []sms2vipps.SessionState, now time.Time, limit int) ([]*sms2vipps.Session, error) {
	if len(states) == 0 || limit <= 0 {
		return nil, nil
	}
	js, err := json.Marshal(states)
	if err != nil {
		return nil, s.translate(err, "", "sessions to check")
	}
	out, err := querySessions(ctx, s.r(), s.d.q.sessionsToCheck,
		sql.Named("states", string(js)), sql.Named("now", s.d.timeArg(now)), sql.Named("limit", int64(limit)))
	if err != nil {
		return nil, s.translate(err, "session", "sessions to check")
	}
	return out, nil
}

// ClaimSession leases the session to owner until until, if its lease is
// free at now (no owner, or expired at or before now) or already owner's.
// Returns ECONFLICT when someone else holds it, ENOTFOUND when there is no
// such session, EINVALID for an empty owner.
func (s *Store) ClaimSession(ctx context.Context, id, owner string, now, until time.Time) (*sms2vipps.Session, error) {
	if owner == "" {
		return nil, invalid("lease owner is empty")
	}
	return s.sessionTable().claimByID(ctx, "claim session", leaseHeld, id, s.d.q.claimSession,
		sql.Named("id", id), sql.Named("owner", owner),
		sql.Named("now", s.d.timeArg(now)), sql.Named("until", s.d.timeArg(until)))
}

// ReleaseSession drops owner's lease on the session; a no-op when owner
// holds none.
func (s *Store) ReleaseSession(ctx context.Context, id, owner string) error {
	if owner == "" {
		return nil
	}
	_, err := s.w().ExecContext(ctx, s.d.q.releaseSession, sql.Named("id", id), sql.Named("owner", owner))
	return s.translate(err, "session", "release session")
}
