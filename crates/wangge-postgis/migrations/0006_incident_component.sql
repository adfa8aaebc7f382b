-- Wangge workspace schema, version 6: the city component (部件) an incident is about, by key
-- (a broken lamp, a missing cover); indexed for a component's history and the ranking of
-- components with repeated faults.
ALTER TABLE {schema}.incidents ADD COLUMN component text;
CREATE INDEX incidents_component ON {schema}.incidents (component) WHERE component IS NOT NULL;
