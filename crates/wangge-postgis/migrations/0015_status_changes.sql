-- Wangge workspace schema, version 15: the status an incident had before each logged change
-- (version 14's log lacked it), and a notification at the commit of every counted change, so
-- each server brings the statuses it keeps in memory (the heat index: heat tiles filtered by
-- status) up to date with the steps another server took, within the feed's delay instead of
-- never (`IncidentStore::status_changes`). Rows logged before this version have no status and
-- are passed over. A transaction's own counts are left in its settings
-- (`wangge.changed_first`, `wangge.changed_last`), read before its commit by the server that
-- made it, which passes them over when following.
ALTER TABLE {schema}.incident_changes ADD COLUMN status text;

CREATE OR REPLACE FUNCTION {schema}.count_incident_changes() RETURNS trigger
  LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
  rows bigint;
BEGIN
  SELECT count(*) INTO rows FROM touched;
  IF rows > 10000 THEN
    -- A statement changing this many (a reassignment of a plan's incidents, an imported
    -- history's tallies) is not logged: the data version moves, and kept tables are counted
    -- again rather than brought up to date (and servers read their statuses anew).
    UPDATE {schema}.data_version SET changed = changed + 1, version = version + 1;
    NOTIFY wangge_{schema}, 'data';
  ELSIF rows > 0 THEN
    UPDATE {schema}.data_version SET changed = changed + 1 RETURNING changed INTO n;
    INSERT INTO {schema}.incident_changes
      SELECT n, t.id, t.month, t.time, t.category, t.community, t.grid, t.dispatched_at,
             t.handled_at, t.followed_up_at, t.closed_at, t.dispatches, t.extension_h,
             t.evaluation, t.assigned_department, t.assigned_worker, t.status
      FROM touched t;
    IF n % 1000 = 0 THEN
      DELETE FROM {schema}.incident_changes WHERE changed <= n - 100000;
    END IF;
    -- The transaction's own counts (consecutive: the row is held from its first count to
    -- its commit), for the server that made them to pass over (it moved its statuses itself).
    PERFORM set_config('wangge.changed_first',
      coalesce(nullif(current_setting('wangge.changed_first', true), ''), n::text), true);
    PERFORM set_config('wangge.changed_last', n::text, true);
    -- Delivered once at commit however many statements a transaction counted.
    NOTIFY wangge_{schema}, 'changed';
  END IF;
  RETURN NULL;
END $$;
