-- Wangge workspace schema, version 7: the evaluation of an `evaluated` step read as the
-- application reads it (`wangge_io::store::evaluation_of`: the code or Chinese name under
-- "evaluation" of a JSON detail, trimmed; NULL when unreadable), for the KPIs in SQL.
CREATE FUNCTION {schema}.evaluation_of(detail text) RETURNS text
  LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  v jsonb;
  t text;
BEGIN
  v := detail::jsonb -> 'evaluation';
  IF jsonb_typeof(v) <> 'string' THEN
    RETURN NULL;
  END IF;
  t := btrim(v #>> '{}');
  RETURN CASE
    WHEN t IN ('satisfied', '满意') THEN 'satisfied'
    WHEN t IN ('basically_satisfied', '基本满意') THEN 'basically_satisfied'
    WHEN t IN ('dissatisfied', '不满意') THEN 'dissatisfied'
  END;
EXCEPTION WHEN others THEN
  RETURN NULL;
END $$;
