-- Vigil schema, version 9: indexes for the triage queue (ListQueue). Each side
-- of the queue reads its first rows in the queue's order, alerts by
-- coalesce(last_seen, created) and cases by created, newest first; the state
-- and assignee filters get the same order after their column, which also
-- serves their counts.

CREATE INDEX alerts_queue ON alerts (coalesce(last_seen, created) DESC, id DESC);
CREATE INDEX alerts_queue_state ON alerts (state, coalesce(last_seen, created) DESC, id DESC);
CREATE INDEX alerts_queue_assignee ON alerts
	(assignee, coalesce(last_seen, created) DESC, id DESC);
CREATE INDEX cases_queue ON cases (created DESC, id DESC);
