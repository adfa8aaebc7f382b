-- Wangge workspace schema, version 12: the department and worker a case was last assigned to,
-- kept on its row beside the tallies of version 11, so the KPI tables per department and per
-- worker are grouped in SQL like those per area (before, the month's cases and their steps
-- were read into the process for them). "Last" and "readable" as the application reads an
-- `assigned` step (`wangge_io::store::assignment_of`): a JSON detail whose "department" is a
-- string (the latest such step counts, in step order), its "worker" when that is a string.
-- Known differences, as for evaluations (version 7): a detail the application cannot parse at
-- all (a number beyond f64, nesting deeper than 128) is read here, and one holding \u0000 is
-- unreadable here; the application writes neither (`assignment_detail`).
ALTER TABLE {schema}.incidents
  ADD COLUMN assigned_department text,
  ADD COLUMN assigned_worker text;

-- The string under `key` of a JSON detail; NULL when the detail is not JSON or the value is
-- not a string. `json`, not `jsonb`, as in version 7 (the last of a repeated key counts, as
-- the application's reader takes it).
CREATE FUNCTION {schema}.json_string(detail text, key text) RETURNS text
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  v json;
BEGIN
  v := detail::json -> key;
  IF json_typeof(v) <> 'string' THEN
    RETURN NULL;
  END IF;
  RETURN v #>> '{}';
EXCEPTION WHEN others THEN
  RETURN NULL;
END $$;

-- The department of an `assigned` step's detail; NULL when unreadable.
CREATE FUNCTION {schema}.assigned_department(detail text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN {schema}.json_string(detail, 'department');

-- The worker of an `assigned` step's detail whose department is readable; NULL otherwise.
CREATE FUNCTION {schema}.assigned_worker(detail text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN {schema}.json_string(detail, 'department') IS NOT NULL
              THEN {schema}.json_string(detail, 'worker') END;

CREATE OR REPLACE FUNCTION {schema}.tally_steps() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE {schema}.incidents i
  SET dispatches = i.dispatches + n.dispatches,
      extension_h = CASE WHEN n.ext IS NULL THEN i.extension_h ELSE i.extension_h + n.ext END,
      evaluation = coalesce(n.ev, i.evaluation),
      assigned_department = CASE WHEN n.a IS NULL THEN i.assigned_department
                                 ELSE {schema}.assigned_department(n.a) END,
      assigned_worker = CASE WHEN n.a IS NULL THEN i.assigned_worker
                             ELSE {schema}.assigned_worker(n.a) END
  FROM (SELECT s.incident,
               count(*) FILTER (WHERE s.step = 'dispatched') AS dispatches,
               sum({schema}.extension_hours(s.detail) ORDER BY s.seq)
                 FILTER (WHERE s.step = 'extended') AS ext,
               (array_agg({schema}.evaluation_of(s.detail) ORDER BY s.seq DESC)
                 FILTER (WHERE s.step = 'evaluated'
                         AND {schema}.evaluation_of(s.detail) IS NOT NULL))[1] AS ev,
               (array_agg(s.detail ORDER BY s.seq DESC)
                 FILTER (WHERE s.step = 'assigned'
                         AND {schema}.assigned_department(s.detail) IS NOT NULL))[1] AS a
        FROM appended s
        WHERE s.step IN ('dispatched', 'extended', 'evaluated', 'assigned')
        GROUP BY s.incident) n
  WHERE i.id = n.incident;
  RETURN NULL;
END $$;

-- The assignments stored before.
UPDATE {schema}.incidents i
SET assigned_department = {schema}.assigned_department(n.a),
    assigned_worker = {schema}.assigned_worker(n.a)
FROM (SELECT s.incident,
             (array_agg(s.detail ORDER BY s.seq DESC)
               FILTER (WHERE {schema}.assigned_department(s.detail) IS NOT NULL))[1] AS a
      FROM {schema}.incident_steps s
      WHERE s.step = 'assigned'
      GROUP BY s.incident) n
WHERE i.id = n.incident AND n.a IS NOT NULL;
