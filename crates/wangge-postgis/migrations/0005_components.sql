-- Wangge workspace schema, version 5: city components (部件: manhole covers, street lamps,
-- bins...), as the GeoPackage's `components` layer: the subclass code of the component
-- catalogue, a status (intact, damaged, missing, occupied), the owning department, when it was
-- last inspected; a point, or a line for linear components (railings, kerbs).
CREATE TABLE {schema}.components (
  fid bigserial UNIQUE, key text PRIMARY KEY, class text NOT NULL, status text NOT NULL,
  owner text, inspected timestamptz, name text, source_kind text NOT NULL,
  geom geometry(Geometry, 4326) NOT NULL);
CREATE INDEX components_geom ON {schema}.components USING gist (geom);

-- Components hold no personal data; the owner (free text in a register: a department, a
-- company or a person) is left out, as in the tiles.
CREATE VIEW {schema}_public.components WITH (security_barrier) AS
  SELECT key, class, status, inspected, geom FROM {schema}.components;

-- Readers granted the public views before this view existed (`GRANT SELECT ON ALL TABLES`
-- covers the views of its time only) read it too.
DO $$
DECLARE
  reader record;
BEGIN
  FOR reader IN
    SELECT DISTINCT r.rolname
    FROM pg_namespace n
    CROSS JOIN LATERAL aclexplode(n.nspacl) a
    JOIN pg_roles r ON r.oid = a.grantee
    WHERE n.nspname = '{schema}_public' AND a.privilege_type = 'USAGE'
      AND a.grantee <> n.nspowner
  LOOP
    EXECUTE format('GRANT SELECT ON %I.components TO %I', '{schema}_public', reader.rolname);
  END LOOP;
END $$;
