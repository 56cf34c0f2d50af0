-- The service connects as a role without DDL (docs/adr/0058), yet ingest must create the time
-- partition a point needs when maintenance has not made it yet. ensure_time_partition therefore
-- runs as its owner, the schema's owner role (SECURITY DEFINER), with a fixed search_path so
-- no object of the caller's can stand in for ours, and only for the three partitioned tables:
-- the service cannot use it to create anything else.

-- migrate:up
CREATE OR REPLACE FUNCTION ensure_time_partition(
    parent regclass, width interval, moment timestamptz
)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    lower_bound timestamptz := date_bin(width, moment, timestamptz '1970-01-01 00:00:00+00');
    partition_name text := parent::text || '_p'
        || to_char(lower_bound AT TIME ZONE 'UTC', 'YYYYMMDD');
BEGIN
    IF parent NOT IN ('samples'::regclass, 'rollups_1m'::regclass, 'rollups_1h'::regclass) THEN
        RAISE EXCEPTION 'ensure_time_partition: % is not a time-partitioned table', parent
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF to_regclass(partition_name) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format(
        'CREATE TABLE %I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
        partition_name, parent, lower_bound, lower_bound + width
    );
    RETURN partition_name;
END
$$;

-- migrate:down
CREATE OR REPLACE FUNCTION ensure_time_partition(
    parent regclass, width interval, moment timestamptz
)
RETURNS text
LANGUAGE plpgsql
SECURITY INVOKER
AS $$
DECLARE
    lower_bound timestamptz := date_bin(width, moment, timestamptz '1970-01-01 00:00:00+00');
    partition_name text := parent::text || '_p'
        || to_char(lower_bound AT TIME ZONE 'UTC', 'YYYYMMDD');
BEGIN
    IF to_regclass(partition_name) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format(
        'CREATE TABLE %I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
        partition_name, parent, lower_bound, lower_bound + width
    );
    RETURN partition_name;
END
$$;
