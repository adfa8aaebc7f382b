-- Wangge workspace schema, version 4: how many incidents the store holds, kept on the data
-- version's row by every ingest (which already takes turns on that row), so the KPI answers
-- read one row instead of counting every partition.
ALTER TABLE {schema}.data_version ADD COLUMN incidents bigint NOT NULL DEFAULT 0;
UPDATE {schema}.data_version SET incidents = (SELECT count(*) FROM {schema}.incident_keys);
