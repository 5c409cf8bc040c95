package sqlstore

import (
	"context"
	"database/sql"

	"github.com/linkmobility/sms2vipps"
)

// RecordInbound stores an MO's id, so that a redelivery is recognised.
// Returns ECONFLICT when the id was stored before, EINVALID when it is
// empty (an empty id would make every id-less MO a redelivery). The text is
// not kept: de-duplication does not need it.
func (s *Store) RecordInbound(ctx context.Context, m sms2vipps.InboundMessage) error {
	if m.MessageID == "" {
		return invalid("inbound message has no message id")
	}
	_, err := s.w().ExecContext(ctx, s.d.q.insertInbound,
		sql.Named("message_id", m.MessageID),
		sql.Named("msisdn", string(m.From)),
		sql.Named("short_number", m.ShortNumber),
		sql.Named("keyword", m.Keyword),
		sql.Named("received_at", s.d.timeArg(m.ReceivedAt)),
		sql.Named("recorded_at", s.d.timeArg(s.now())),
	)
	return s.translate(err, "inbound message", "record inbound")
}
