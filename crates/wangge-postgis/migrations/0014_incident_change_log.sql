-- Wangge workspace schema, version 14: the rows incidents had before each counted change
-- (version 13's count, `data_version.changed`), so a KPI table kept at an earlier count is
-- brought up to date from the changed cases alone: their rows before (here, the first after
-- the kept count) and now (the table) counted, and the difference added to the kept rows
-- (`kpi_since.rs`), instead of the month counted again. Only the columns the KPIs read. The
-- count is taken under the data version's row lock, held to commit, so counts follow commit
-- order: a snapshot that saw count c saw every row logged at or below it and none above.
-- Kept for the last 100,000 counted changes (pruned every thousandth); a table older than
-- that is counted again. A statement changing more than 10,000 rows moves the data version
-- instead of being logged.
CREATE TABLE {schema}.incident_changes (
  changed bigint NOT NULL, id bigint NOT NULL, month date NOT NULL,
  time timestamptz NOT NULL, category text NOT NULL, community text, grid text,
  dispatched_at timestamptz, handled_at timestamptz, followed_up_at timestamptz,
  closed_at timestamptz, dispatches integer NOT NULL, extension_h double precision NOT NULL,
  evaluation text, assigned_department text, assigned_worker text);
CREATE INDEX incident_changes_changed ON {schema}.incident_changes (changed, id);

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
    -- again rather than brought up to date.
    UPDATE {schema}.data_version SET changed = changed + 1, version = version + 1;
  ELSIF rows > 0 THEN
    UPDATE {schema}.data_version SET changed = changed + 1 RETURNING changed INTO n;
    INSERT INTO {schema}.incident_changes
      SELECT n, t.id, t.month, t.time, t.category, t.community, t.grid, t.dispatched_at,
             t.handled_at, t.followed_up_at, t.closed_at, t.dispatches, t.extension_h,
             t.evaluation, t.assigned_department, t.assigned_worker
      FROM touched t;
    IF n % 1000 = 0 THEN
      DELETE FROM {schema}.incident_changes WHERE changed <= n - 100000;
    END IF;
  END IF;
  RETURN NULL;
END $$;
-- The rows before an update (version 13 read the rows after: only whether there were any).
DROP TRIGGER incidents_updated ON {schema}.incidents;
CREATE TRIGGER incidents_updated AFTER UPDATE ON {schema}.incidents
  REFERENCING OLD TABLE AS touched FOR EACH STATEMENT
  EXECUTE FUNCTION {schema}.count_incident_changes();
