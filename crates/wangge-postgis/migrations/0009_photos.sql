-- Wangge workspace schema, version 9: photos of incidents (as the GeoPackage's
-- `incident_photos`): numbered per incident, the bytes as stored (location metadata removed
-- unless the worker kept it), their SHA-256 (the same photo twice is stored once). No public
-- view reads them.
CREATE TABLE {schema}.incident_photos (
  incident text NOT NULL, n integer NOT NULL, content_type text NOT NULL, photo bytea NOT NULL,
  sha256 text NOT NULL, at timestamptz NOT NULL, PRIMARY KEY (incident, n),
  UNIQUE (incident, sha256));
