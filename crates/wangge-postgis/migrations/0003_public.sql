-- Wangge workspace schema, version 3: `{schema}_public`, views with aggregates only for the
-- GIS staff's own tools (QGIS, Martin, GeoServer), readable by a role granted with `wangge db
-- grant URL ROLE`. No address point, resident, incident point or token is reachable from
-- here: the views run with their owner's rights, and a reader is granted this schema alone;
-- they are security barriers, so a reader's own function cannot see rows their conditions
-- leave out (the counts under 3).
-- Household and incident figures under 3 are left out (the count floor of the wall and the
-- tiles), so no view singles out a household or a report.
CREATE SCHEMA {schema}_public;
COMMENT ON SCHEMA {schema}_public IS 'Wangge workspace {schema}: aggregates only (no personal data, no incident points)';

-- Communities with their households (address points inside them).
CREATE VIEW {schema}_public.communities WITH (security_barrier) AS
  SELECT c.key, c.name, c.street, c.kind, c.area_m2,
         CASE WHEN h.households >= 3 THEN h.households END AS households, c.geom
  FROM {schema}.communities c
  CROSS JOIN LATERAL (
    SELECT coalesce(sum(a.households), 0)::bigint AS households
    FROM {schema}.address_points a WHERE ST_Covers(c.geom, a.geom)) h;

-- The grids of the current plan version.
CREATE VIEW {schema}_public.grids WITH (security_barrier) AS
  SELECT g.code, g.community, CASE WHEN g.households >= 3 THEN g.households END AS households,
         g.workers, g.area_m2, g.polsby_popper, g.geom
  FROM {schema}.grids g
  WHERE g.plan_id = (SELECT max(id) FROM {schema}.plans WHERE NOT branch);

CREATE VIEW {schema}_public.facilities WITH (security_barrier) AS
  SELECT key, category, name, geom FROM {schema}.facilities;

-- Walking coverage: gap areas, and the service areas of the newest run.
CREATE VIEW {schema}_public.gap_areas WITH (security_barrier) AS
  SELECT what, rank, community, CASE WHEN households >= 3 THEN households END AS households,
         area_m2, geom
  FROM {schema}.gap_areas;
CREATE VIEW {schema}_public.service_areas WITH (security_barrier) AS
  SELECT category, minutes, area_m2, facilities, geom FROM {schema}.service_areas
  WHERE run_id = (SELECT max(run_id) FROM {schema}.service_areas);

-- Incidents per grid of the current plan and local (+08:00) month, with the grid's polygon;
-- a grid-month with fewer than 3 is left out. Totals only (a per-category split beside a
-- total would give away the small categories by difference).
CREATE VIEW {schema}_public.incident_counts WITH (security_barrier) AS
  SELECT g.code AS grid, g.community, to_char(n.month, 'YYYY-MM') AS month, n.incidents, g.geom
  FROM (SELECT grid, month, count(*) AS incidents FROM {schema}.incidents
        WHERE grid IS NOT NULL GROUP BY grid, month HAVING count(*) >= 3) n
  JOIN {schema}.grids g ON g.code = n.grid
   AND g.plan_id = (SELECT max(id) FROM {schema}.plans WHERE NOT branch);
