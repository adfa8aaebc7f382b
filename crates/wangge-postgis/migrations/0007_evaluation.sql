-- Wangge workspace schema, version 7: the evaluation of an `evaluated` step read as the
-- application reads it (`wangge_io::store::evaluation_of`: the code or Chinese name under
-- "evaluation" of a JSON detail, exactly; NULL when unreadable), for the KPIs in SQL. `json`,
-- not `jsonb`: jsonb refuses the escape \u0000 that the application's JSON reader accepts.
CREATE FUNCTION {schema}.evaluation_of(detail text) RETURNS text
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  v json;
  t text;
BEGIN
  v := detail::json -> 'evaluation';
  IF json_typeof(v) <> 'string' THEN
    RETURN NULL;
  END IF;
  t := v #>> '{}';
  RETURN CASE
    WHEN t IN ('satisfied', '满意') THEN 'satisfied'
    WHEN t IN ('basically_satisfied', '基本满意') THEN 'basically_satisfied'
    WHEN t IN ('dissatisfied', '不满意') THEN 'dissatisfied'
  END;
EXCEPTION WHEN others THEN
  RETURN NULL;
END $$;
