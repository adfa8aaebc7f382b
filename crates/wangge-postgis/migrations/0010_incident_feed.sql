-- Wangge workspace schema, version 10: ingests publish their incidents to a change feed
-- instead of taking turns from their first key to commit. A batch takes a block of ids at
-- once (`take_incident_ids`, under a lock held for that call only), writes keys, rows and
-- steps alongside other batches, and then, holding the data version's row only from this
-- point to commit, appends one entry to `incident_feed`: its ids from `first_id` to
-- `last_id` as feed numbers `pos` to `last_pos` (the id's offset from `first_id` added to
-- `pos`). Feed numbers are given in commit order, so a reader that has read through feed
-- number n never sees a later commit below n; ids are not (a block taken early may commit
-- late). The incident count moves to the publication too (its trigger would hold the
-- data version's row from the keys' insert on).
CREATE TABLE {schema}.incident_feed (
  pos bigint PRIMARY KEY, last_pos bigint NOT NULL UNIQUE,
  first_id bigint NOT NULL, last_id bigint NOT NULL, months date[] NOT NULL,
  CHECK (last_pos - pos = last_id - first_id AND last_id >= first_id));
ALTER TABLE {schema}.data_version ADD COLUMN fed bigint NOT NULL DEFAULT 0;
-- Incidents stored before: one entry, feed numbers equal to their ids.
INSERT INTO {schema}.incident_feed
  SELECT min(id), max(id), min(id), max(id), array_agg(DISTINCT month ORDER BY month)
  FROM {schema}.incident_keys HAVING count(*) > 0;
UPDATE {schema}.data_version
  SET fed = coalesce((SELECT max(id) FROM {schema}.incident_keys), 0),
      incidents = (SELECT count(*) FROM {schema}.incident_keys);
DROP TRIGGER incident_keys_count ON {schema}.incident_keys;
DROP FUNCTION {schema}.count_incidents();

-- The last of `n` consecutive new ids (the first is that minus n - 1). The sequence's
-- `nextval` and `setval` are two calls: a session lock keeps another block from starting
-- between them, released before returning (not held to commit).
CREATE FUNCTION {schema}.take_incident_ids(n bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  last bigint;
BEGIN
  IF n < 1 THEN
    RAISE EXCEPTION 'take_incident_ids: % ids', n;
  END IF;
  PERFORM pg_advisory_lock(hashtext('{schema}.incident_ids'));
  BEGIN
    last := setval('{schema}.incident_ids', nextval('{schema}.incident_ids') + n - 1);
  EXCEPTION WHEN others THEN
    PERFORM pg_advisory_unlock(hashtext('{schema}.incident_ids'));
    RAISE;
  END;
  PERFORM pg_advisory_unlock(hashtext('{schema}.incident_ids'));
  RETURN last;
END $$;

-- The month partition of `m`, as before; two batches making the same new month take turns
-- (a lock to their commit, only when the partition is missing), and the second finds the
-- first's table made (the check in `IF` may read the catalogue as it was before the wait:
-- the `CREATE` reads it anew and its refusal is the answer).
CREATE OR REPLACE FUNCTION {schema}.incident_month(m date) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  part text := format('incidents_%s', to_char(m, 'YYYY_MM'));
BEGIN
  IF m <> date_trunc('month', m)::date THEN
    RAISE EXCEPTION 'incident_month: % is not the first day of a month', m;
  END IF;
  IF to_regclass(format('%I.%I', '{schema}', part)) IS NULL THEN
    PERFORM pg_advisory_xact_lock(hashtext('{schema}.incident_month'));
    BEGIN
      EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.incidents FOR VALUES FROM (%L) TO (%L)',
                     '{schema}', part, '{schema}', m, (m + interval '1 month')::date);
    EXCEPTION WHEN duplicate_table THEN
      NULL;
    END;
  END IF;
END $$;
