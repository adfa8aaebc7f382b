-- Wangge workspace schema, version 2: the tables the store interface keeps. Version 1 made
-- a first draft of them before any build could write to a PostgreSQL workspace, so its
-- tables hold nothing and are dropped here and made anew.
-- `{schema}` is the workspace's schema (a checked identifier). Geometry in WGS84 lon/lat
-- (SRID 4326) with GiST indexes; incidents partitioned by month in local time (+08:00), with a table of their keys so an id is taken once across
-- partitions (idempotent ingest); incident steps append-only, each with the status before it;
-- a data version every server reads (caches and ETags key on it). The tables hold what the
-- GeoPackage backend holds, column for column where it can (the store interface's types).
CREATE EXTENSION IF NOT EXISTS postgis;

DROP TABLE IF EXISTS {schema}.communities, {schema}.buildings, {schema}.address_points,
  {schema}.facilities, {schema}.streets, {schema}.land_cover, {schema}.grid_members,
  {schema}.grids, {schema}.plan_exceptions, {schema}.plans, {schema}.incident_keys,
  {schema}.incidents, {schema}.incident_steps, {schema}.tokens, {schema}.audit_log,
  {schema}.data_version CASCADE;
DROP SEQUENCE IF EXISTS {schema}.incident_ids;
DROP FUNCTION IF EXISTS {schema}.incident_month(date);
DROP FUNCTION IF EXISTS {schema}.append_only() CASCADE;


-- Places. `fid` keeps the order features were written in (the GeoPackage's rowid order).
CREATE TABLE {schema}.communities (
  fid bigserial UNIQUE, key text PRIMARY KEY, name text, street text, kind text NOT NULL,
  area_m2 double precision NOT NULL, geom geometry(MultiPolygon, 4326) NOT NULL);
CREATE INDEX communities_geom ON {schema}.communities USING gist (geom);

CREATE TABLE {schema}.buildings (
  fid bigserial UNIQUE, key text PRIMARY KEY, kind text NOT NULL, name text, levels_given integer,
  levels integer NOT NULL, footprint_m2 double precision NOT NULL, households integer NOT NULL,
  households_estimated boolean NOT NULL, geom geometry(MultiPolygon, 4326) NOT NULL);
CREATE INDEX buildings_geom ON {schema}.buildings USING gist (geom);

CREATE TABLE {schema}.address_points (
  fid bigserial UNIQUE, key text PRIMARY KEY, building text, households integer NOT NULL,
  households_estimated boolean NOT NULL, units integer, floors integer,
  geom geometry(Point, 4326) NOT NULL);
CREATE INDEX address_points_geom ON {schema}.address_points USING gist (geom);

CREATE TABLE {schema}.facilities (
  fid bigserial UNIQUE, key text PRIMARY KEY, category text NOT NULL, name text,
  source_kind text NOT NULL, geom geometry(Point, 4326) NOT NULL);
CREATE INDEX facilities_geom ON {schema}.facilities USING gist (geom);

CREATE TABLE {schema}.streets (
  fid bigserial UNIQUE, key text PRIMARY KEY, highway text NOT NULL, name text,
  tags jsonb NOT NULL DEFAULT '{}', geom geometry(LineString, 4326) NOT NULL);
CREATE INDEX streets_geom ON {schema}.streets USING gist (geom);

CREATE TABLE {schema}.land_cover (
  fid bigserial UNIQUE, key text PRIMARY KEY, class text NOT NULL, kind text NOT NULL, name text,
  geom geometry(MultiPolygon, 4326) NOT NULL);
CREATE INDEX land_cover_geom ON {schema}.land_cover USING gist (geom);

-- Imports and `wangge incidents assign`, as the GeoPackage's wangge_imports.
CREATE TABLE {schema}.import_log (
  id bigserial PRIMARY KEY, time timestamptz NOT NULL DEFAULT now(), command text NOT NULL,
  sources text NOT NULL, summary text NOT NULL);

-- Plans: immutable versions (but for their name).
CREATE TABLE {schema}.plans (
  id bigserial PRIMARY KEY, created timestamptz NOT NULL DEFAULT now(), kind text NOT NULL,
  cap integer NOT NULL, seed bigint NOT NULL, parent bigint REFERENCES {schema}.plans (id),
  communities bigint NOT NULL, grids bigint NOT NULL, households bigint NOT NULL,
  lower_bound bigint NOT NULL, packing_bound bigint NOT NULL,
  pp_mean double precision NOT NULL, pp_p10 double precision NOT NULL,
  pp_min double precision NOT NULL, reock_mean double precision NOT NULL,
  street_share double precision NOT NULL, violations bigint NOT NULL, name text,
  branch boolean NOT NULL DEFAULT false);
CREATE TABLE {schema}.plan_exceptions (
  plan_id bigint NOT NULL REFERENCES {schema}.plans (id), seq bigserial, kind text NOT NULL,
  subject text NOT NULL, detail text NOT NULL, PRIMARY KEY (plan_id, seq));

CREATE TABLE {schema}.grids (
  plan_id bigint NOT NULL REFERENCES {schema}.plans (id), seq bigserial, key text NOT NULL,
  code text NOT NULL, community text NOT NULL, households integer NOT NULL,
  workers integer NOT NULL, area_m2 double precision NOT NULL,
  polsby_popper double precision NOT NULL, reock double precision NOT NULL,
  geom geometry(Polygon, 4326) NOT NULL, PRIMARY KEY (plan_id, code));
CREATE INDEX grids_geom ON {schema}.grids USING gist (geom);

CREATE TABLE {schema}.grid_members (
  plan_id bigint NOT NULL, grid text NOT NULL, address_key text NOT NULL,
  households integer NOT NULL, PRIMARY KEY (plan_id, address_key, grid),
  FOREIGN KEY (plan_id, grid) REFERENCES {schema}.grids (plan_id, code));

-- Residents' groups (居民小组) nested in a plan's grids, and communities a plan made from
-- streets (`partition --levels communities`).
CREATE TABLE {schema}.resident_groups (
  plan_id bigint NOT NULL REFERENCES {schema}.plans (id), seq bigserial, key text NOT NULL,
  code text NOT NULL, grid text NOT NULL, households integer NOT NULL,
  polsby_popper double precision NOT NULL, geom geometry(Polygon, 4326) NOT NULL,
  PRIMARY KEY (plan_id, code));
CREATE INDEX resident_groups_geom ON {schema}.resident_groups USING gist (geom);
CREATE TABLE {schema}.resident_group_members (
  plan_id bigint NOT NULL, grp text NOT NULL, address_key text NOT NULL,
  households integer NOT NULL);
CREATE TABLE {schema}.plan_communities (
  plan_id bigint NOT NULL REFERENCES {schema}.plans (id), seq bigserial, key text NOT NULL,
  code text NOT NULL, street text NOT NULL, households integer NOT NULL,
  area_m2 double precision NOT NULL, polsby_popper double precision NOT NULL,
  geom geometry(Polygon, 4326) NOT NULL, PRIMARY KEY (plan_id, code));

-- Walking coverage runs: per-point distances (long form; NULL: not reached), summaries,
-- service areas and gap areas.
CREATE TABLE {schema}.coverage_runs (
  id bigserial PRIMARY KEY, created timestamptz NOT NULL DEFAULT now(), plan_id bigint,
  minutes text NOT NULL, metric text NOT NULL, catalogue text NOT NULL,
  network_nodes bigint NOT NULL, network_edges bigint NOT NULL, network_km double precision NOT NULL,
  points bigint NOT NULL, unsnapped_points bigint NOT NULL, facilities bigint NOT NULL,
  unsnapped_facilities bigint NOT NULL, warnings text NOT NULL DEFAULT '');
CREATE TABLE {schema}.coverage_points (
  run_id bigint NOT NULL, address_key text NOT NULL, category text NOT NULL,
  walk_m double precision, PRIMARY KEY (run_id, category, address_key));
CREATE TABLE {schema}.coverage_summary (
  run_id bigint NOT NULL, level text NOT NULL, area text NOT NULL, minutes integer NOT NULL,
  category text NOT NULL, households bigint NOT NULL, covered bigint NOT NULL,
  share double precision, judged boolean NOT NULL DEFAULT true);
CREATE TABLE {schema}.service_areas (
  id bigserial PRIMARY KEY, run_id bigint NOT NULL, category text NOT NULL,
  minutes integer NOT NULL, area_m2 double precision NOT NULL, facilities bigint NOT NULL,
  geom geometry(MultiPolygon, 4326) NOT NULL);
CREATE INDEX service_areas_geom ON {schema}.service_areas USING gist (geom);
CREATE TABLE {schema}.gap_areas (
  id bigserial PRIMARY KEY, what text NOT NULL, rank bigint NOT NULL, community text NOT NULL,
  households bigint NOT NULL, points bigint NOT NULL, area_m2 double precision NOT NULL,
  geom geometry(MultiPolygon, 4326) NOT NULL);
CREATE INDEX gap_areas_geom ON {schema}.gap_areas USING gist (geom);

-- Incidents. `month` is the first day of the local (+08:00) month of `time`, checked.
CREATE SEQUENCE {schema}.incident_ids;
CREATE TABLE {schema}.incident_keys (
  key text PRIMARY KEY, id bigint NOT NULL UNIQUE, month date NOT NULL);
CREATE TABLE {schema}.incidents (
  id bigint NOT NULL, key text NOT NULL, time timestamptz NOT NULL, month date NOT NULL,
  category text NOT NULL, raw_category text, source text NOT NULL, status text NOT NULL,
  community text, grid text,
  dispatched_at timestamptz, handled_at timestamptz, followed_up_at timestamptz, closed_at timestamptz,
  geom geometry(Point, 4326) NOT NULL,
  PRIMARY KEY (month, id),
  -- (A fixed +08:00: `AT TIME ZONE '+08:00'` would be POSIX, eight hours the other way.)
  CHECK (month = date_trunc('month', (time AT TIME ZONE 'UTC') + interval '8 hours')::date)
) PARTITION BY RANGE (month);
CREATE TABLE {schema}.incidents_default PARTITION OF {schema}.incidents DEFAULT;
CREATE INDEX incidents_geom ON {schema}.incidents USING gist (geom);
CREATE INDEX incidents_time ON {schema}.incidents (time);
CREATE INDEX incidents_id ON {schema}.incidents (id);

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

-- Steps of the closed loop as they happened (and deadline extensions, step `extended` with
-- the hours in `detail`): appended, never changed.
CREATE TABLE {schema}.incident_steps (
  incident bigint NOT NULL, seq bigserial, step text NOT NULL, at timestamptz NOT NULL,
  previous text NOT NULL, actor text NOT NULL DEFAULT '', detail text,
  recorded timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (incident, seq));
CREATE INDEX incident_steps_step ON {schema}.incident_steps (step);
CREATE FUNCTION {schema}.append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
CREATE TRIGGER incident_steps_append_only BEFORE UPDATE OR DELETE ON {schema}.incident_steps
  FOR EACH ROW EXECUTE FUNCTION {schema}.append_only();

CREATE TABLE {schema}.index_releases (
  id bigserial PRIMARY KEY, created timestamptz NOT NULL DEFAULT now(), month text NOT NULL,
  level text NOT NULL, params text NOT NULL, params_sha256 text NOT NULL,
  inputs_csv text NOT NULL, inputs_sha256 text NOT NULL, results_csv text NOT NULL,
  results_sha256 text NOT NULL, store_digest text NOT NULL);

-- Personal data: never in a public view.
CREATE TABLE {schema}.residents (
  id bigserial PRIMARY KEY, address_key text NOT NULL, name text NOT NULL, phone text,
  id_number text, unit text);
CREATE INDEX residents_address ON {schema}.residents (address_key);

CREATE TABLE {schema}.tokens (
  id bigserial PRIMARY KEY, name text NOT NULL, role text NOT NULL, scope text NOT NULL,
  hash text NOT NULL UNIQUE, created timestamptz NOT NULL DEFAULT now(), expires timestamptz,
  revoked timestamptz);
CREATE TABLE {schema}.audit_log (
  id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), actor text NOT NULL,
  role text NOT NULL, action text NOT NULL, detail text NOT NULL);

-- The data version all servers see (caches and ETags key on it): raised by every write that
-- changes what maps show (places, plans, coverage areas, incident areas).
CREATE TABLE {schema}.data_version (
  one boolean PRIMARY KEY DEFAULT true CHECK (one), version bigint NOT NULL);
INSERT INTO {schema}.data_version VALUES (true, 0);
