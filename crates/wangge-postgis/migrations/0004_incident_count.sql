-- Wangge workspace schema, version 4: how many incidents the store holds, on the data
-- version's row, raised by a trigger on every claimed incident key (whichever build or tool
-- inserts them), so the KPI answers read one row instead of counting every partition; and
-- the hours of an extension step read as the application reads them (0 when unreadable).
ALTER TABLE {schema}.data_version ADD COLUMN incidents bigint NOT NULL DEFAULT 0;
UPDATE {schema}.data_version SET incidents = (SELECT count(*) FROM {schema}.incident_keys);
CREATE FUNCTION {schema}.count_incidents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE {schema}.data_version SET incidents = incidents + (SELECT count(*) FROM claimed);
  RETURN NULL;
END $$;
CREATE TRIGGER incident_keys_count AFTER INSERT ON {schema}.incident_keys
  REFERENCING NEW TABLE AS claimed FOR EACH STATEMENT
  EXECUTE FUNCTION {schema}.count_incidents();
-- `wangge_io::store::extension_hours`: the number under "hours" of a JSON detail, else 0.
-- (`json`, not `jsonb`: jsonb refuses the escape \u0000 that the application's reader accepts.)
CREATE FUNCTION {schema}.extension_hours(detail text) RETURNS double precision
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  v json;
BEGIN
  v := detail::json -> 'hours';
  IF json_typeof(v) = 'number' THEN
    RETURN v::text::double precision;
  END IF;
  RETURN 0;
EXCEPTION WHEN others THEN
  RETURN 0;
END $$;
