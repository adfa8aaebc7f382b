-- Wangge workspace schema, version 8: the register of departments and workers who handle
-- cases (as the GeoPackage's `departments` and `workers` tables). A worker's phone is personal
-- data: no public view reads these tables. Assignments (`assigned`) and supervision
-- (`supervised`) are steps' events with JSON details, as extensions and evaluations are.
CREATE TABLE {schema}.departments (
  code text PRIMARY KEY, name text NOT NULL, street text);
CREATE TABLE {schema}.workers (
  id text PRIMARY KEY, name text NOT NULL,
  department text NOT NULL REFERENCES {schema}.departments (code),
  grid text, phone text, token bigint);
