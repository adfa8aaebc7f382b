-- Wangge workspace schema, version 13: a count of the statements that changed stored
-- incidents (a step, an assignment, an extension, an evaluation, a new grid or community), kept
-- on the data version's row beside the feed (new incidents) and the data version (places,
-- plans, imports). A KPI table computed in one snapshot is kept by a server with the three
-- read in that snapshot, and is answered again only while they are unchanged: any server's
-- change moves one of them at its commit.
--
-- The trigger counts only statements that changed a row (an ingest of reported incidents
-- changes none: its steps' tally updates no row), so concurrent ingests of new reports still
-- take the row only at their publication (version 10); a batch carrying later steps (an
-- imported history) has its tallies updated and takes the row from then to its commit. Every writer takes the row after the incident
-- rows it changes (its last lock), so a step and a reassignment cannot wait on each other.
ALTER TABLE {schema}.data_version ADD COLUMN changed bigint NOT NULL DEFAULT 0;

CREATE FUNCTION {schema}.count_incident_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM touched) THEN
    UPDATE {schema}.data_version SET changed = changed + 1;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER incidents_updated AFTER UPDATE ON {schema}.incidents
  REFERENCING NEW TABLE AS touched FOR EACH STATEMENT
  EXECUTE FUNCTION {schema}.count_incident_changes();
CREATE TRIGGER incidents_deleted AFTER DELETE ON {schema}.incidents
  REFERENCING OLD TABLE AS touched FOR EACH STATEMENT
  EXECUTE FUNCTION {schema}.count_incident_changes();
