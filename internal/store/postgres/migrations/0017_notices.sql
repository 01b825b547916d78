-- Vigil schema, version 17: notices to tenants and authorities (internal/notice;
-- docs/notifications.md "Notices to tenants"). A notice is drafted for one
-- obligation of an incident, approved by legal and sent by communications;
-- each delivery (one per designated contact and channel, a portal copy, or
-- a manual filing) keeps its proof: when, channel, message ID, content hash
-- and the evidence that holds it. A tenant acknowledges a sent notice once.
-- Rows keep their object as a JSON document beside the columns that are
-- looked up; none is ever deleted (triggers refuse DELETE).

CREATE TABLE notices (
	id             BIGSERIAL PRIMARY KEY,
	incident_id    BIGINT NOT NULL REFERENCES incidents (id),
	obligation_key TEXT NOT NULL,
	tenant         TEXT NOT NULL,
	state          TEXT NOT NULL CHECK (state IN ('draft', 'approved', 'sent')),
	version        BIGINT NOT NULL CHECK (version >= 1),
	sent           TIMESTAMPTZ,
	content_hash   TEXT NOT NULL DEFAULT '',
	doc            JSONB NOT NULL,
	UNIQUE (incident_id, obligation_key)
);

CREATE INDEX notices_tenant ON notices (tenant, state, id);

-- notification_id is the outbox entry of an e-mail or webhook delivery; NULL
-- for the portal copy and manual filings. contact_id is NULL for those too.
CREATE TABLE notice_deliveries (
	id              BIGSERIAL PRIMARY KEY,
	notice_id       BIGINT NOT NULL REFERENCES notices (id),
	contact_id      BIGINT,
	channel         TEXT NOT NULL CHECK (channel IN ('email', 'webhook', 'portal', 'manual')),
	recipient       TEXT NOT NULL,
	notification_id BIGINT UNIQUE REFERENCES notifications (id),
	state           TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed', 'dead')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	message_id      TEXT NOT NULL DEFAULT '',
	delivered_at    TIMESTAMPTZ,
	content_hash    TEXT NOT NULL,
	evidence_id     BIGINT REFERENCES evidence (id),
	doc             JSONB NOT NULL
);

CREATE INDEX notice_deliveries_notice ON notice_deliveries (notice_id, id);

CREATE TABLE notice_acks (
	notice_id BIGINT PRIMARY KEY REFERENCES notices (id),
	by_user   TEXT NOT NULL,
	at        TIMESTAMPTZ NOT NULL
);

CREATE FUNCTION notice_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% rows are never deleted', TG_TABLE_NAME;
END $$;

CREATE TRIGGER notices_no_delete BEFORE DELETE ON notices
	FOR EACH ROW EXECUTE FUNCTION notice_never_deleted();
CREATE TRIGGER notice_deliveries_no_delete BEFORE DELETE ON notice_deliveries
	FOR EACH ROW EXECUTE FUNCTION notice_never_deleted();
CREATE TRIGGER notice_acks_no_delete BEFORE DELETE ON notice_acks
	FOR EACH ROW EXECUTE FUNCTION notice_never_deleted();
