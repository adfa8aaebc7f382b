-- Wangge workspace schema, version 1. `{schema}` is the workspace's schema (a checked
-- identifier). Geometry in WGS84 lon/lat (SRID 4326) with GiST indexes; incidents partitioned
-- by month in local time (+08:00), with a table of their keys so an id is taken once across
-- partitions (idempotent ingest); incident steps append-only, each with the status before it;
-- a data version every server reads (caches and ETags key on it).
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE {schema}.communities (
  key text PRIMARY KEY, name text NOT NULL, street text, kind text NOT NULL,
  geom geometry(MultiPolygon, 4326) NOT NULL);
CREATE INDEX communities_geom ON {schema}.communities USING gist (geom);

CREATE TABLE {schema}.buildings (
  key text PRIMARY KEY, kind text NOT NULL, name text, levels_given integer, levels integer NOT NULL,
  footprint_m2 double precision NOT NULL, households integer NOT NULL,
  households_estimated boolean NOT NULL, geom geometry(MultiPolygon, 4326) NOT NULL);
CREATE INDEX buildings_geom ON {schema}.buildings USING gist (geom);

CREATE TABLE {schema}.address_points (
  key text PRIMARY KEY, building text, households integer NOT NULL,
  households_estimated boolean NOT NULL, units integer, floors integer,
  geom geometry(Point, 4326) NOT NULL);
CREATE INDEX address_points_geom ON {schema}.address_points USING gist (geom);

CREATE TABLE {schema}.facilities (
  key text PRIMARY KEY, category text NOT NULL, name text, source_kind text NOT NULL,
  geom geometry(Point, 4326) NOT NULL);
CREATE INDEX facilities_geom ON {schema}.facilities USING gist (geom);

CREATE TABLE {schema}.streets (
  key text PRIMARY KEY, highway text NOT NULL, name text, tags jsonb NOT NULL DEFAULT '{}',
  geom geometry(LineString, 4326) NOT NULL);
CREATE INDEX streets_geom ON {schema}.streets USING gist (geom);

CREATE TABLE {schema}.land_cover (
  key text PRIMARY KEY, class text NOT NULL, kind text NOT NULL, name text,
  geom geometry(MultiPolygon, 4326) NOT NULL);
CREATE INDEX land_cover_geom ON {schema}.land_cover USING gist (geom);

CREATE TABLE {schema}.plans (
  id bigserial PRIMARY KEY, created timestamptz NOT NULL DEFAULT now(), kind text NOT NULL,
  cap integer NOT NULL, seed bigint NOT NULL DEFAULT 0,
  parent bigint REFERENCES {schema}.plans (id), name text, branch boolean NOT NULL DEFAULT false,
  grids integer NOT NULL, households bigint NOT NULL, violations integer NOT NULL);
CREATE TABLE {schema}.plan_exceptions (
  plan_id bigint NOT NULL REFERENCES {schema}.plans (id) ON DELETE CASCADE,
  community text, what text NOT NULL);

CREATE TABLE {schema}.grids (
  plan_id bigint NOT NULL REFERENCES {schema}.plans (id) ON DELETE CASCADE,
  code text NOT NULL, community text NOT NULL, households integer NOT NULL, buildings integer NOT NULL,
  workers integer NOT NULL,
  area_m2 double precision NOT NULL, polsby_popper double precision NOT NULL,
  reock double precision NOT NULL, geom geometry(Polygon, 4326) NOT NULL,
  PRIMARY KEY (plan_id, code));
CREATE INDEX grids_geom ON {schema}.grids USING gist (geom);

CREATE TABLE {schema}.grid_members (
  plan_id bigint NOT NULL, grid text NOT NULL, address_key text NOT NULL, households integer NOT NULL,
  PRIMARY KEY (plan_id, address_key, grid),
  FOREIGN KEY (plan_id, grid) REFERENCES {schema}.grids (plan_id, code) ON DELETE CASCADE);

-- Incidents. `month` is the first day of the local (+08:00) month of `time`, checked.
CREATE SEQUENCE {schema}.incident_ids;
CREATE TABLE {schema}.incident_keys (
  key text PRIMARY KEY, id bigint NOT NULL UNIQUE, month date NOT NULL);
CREATE TABLE {schema}.incidents (
  id bigint NOT NULL, key text NOT NULL, time timestamptz NOT NULL, month date NOT NULL,
  category text NOT NULL, raw_category text, source text NOT NULL, status text NOT NULL,
  community text, grid text,
  dispatched_at timestamptz, handled_at timestamptz, followed_up_at timestamptz, closed_at timestamptz,
  extension_h double precision NOT NULL DEFAULT 0,
  geom geometry(Point, 4326) NOT NULL,
  PRIMARY KEY (month, id),
  -- (A fixed +08:00: `AT TIME ZONE '+08:00'` would be POSIX, eight hours the other way.)
  CHECK (month = date_trunc('month', (time AT TIME ZONE 'UTC') + interval '8 hours')::date)
) PARTITION BY RANGE (month);
CREATE TABLE {schema}.incidents_default PARTITION OF {schema}.incidents DEFAULT;
CREATE INDEX incidents_geom ON {schema}.incidents USING gist (geom);
CREATE INDEX incidents_time ON {schema}.incidents (time);

-- The month partition of `m` (first day of a month), made before rows of that month arrive.
CREATE FUNCTION {schema}.incident_month(m date) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  part text := format('incidents_%s', to_char(m, 'YYYY_MM'));
BEGIN
  IF m <> date_trunc('month', m)::date THEN
    RAISE EXCEPTION 'incident_month: % is not the first day of a month', m;
  END IF;
  IF to_regclass(format('%I.%I', '{schema}', part)) IS NULL THEN
    EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.incidents FOR VALUES FROM (%L) TO (%L)',
                   '{schema}', part, '{schema}', m, (m + interval '1 month')::date);
  END IF;
END $$;

-- Steps of the closed loop, as they happened: appended, never changed.
CREATE TABLE {schema}.incident_steps (
  incident bigint NOT NULL, seq bigserial, step text NOT NULL, at timestamptz NOT NULL,
  previous text NOT NULL, actor text NOT NULL, recorded timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (incident, seq));
CREATE FUNCTION {schema}.append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
CREATE TRIGGER incident_steps_append_only BEFORE UPDATE OR DELETE ON {schema}.incident_steps
  FOR EACH ROW EXECUTE FUNCTION {schema}.append_only();

CREATE TABLE {schema}.tokens (
  id bigserial PRIMARY KEY, name text NOT NULL, role text NOT NULL, scope text NOT NULL,
  hash text NOT NULL UNIQUE, created timestamptz NOT NULL DEFAULT now(), expires timestamptz,
  revoked timestamptz);
CREATE TABLE {schema}.audit_log (
  id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), actor text NOT NULL,
  role text NOT NULL, action text NOT NULL, detail text NOT NULL);

-- The data version all servers see (caches and ETags key on it).
CREATE TABLE {schema}.data_version (
  one boolean PRIMARY KEY DEFAULT true CHECK (one), version bigint NOT NULL);
INSERT INTO {schema}.data_version VALUES (true, 0);
