-- The storage that scales (docs/adr/0013, 0014, 0015, 0016): a series dictionary, points as
-- (series_id, ts, value) in daily partitions of `samples`, one value per series and timestamp,
-- and 1-minute and 1-hour rollups kept exact as points arrive.
-- Expand step: the old `points` table stays, and a statement trigger forwards whatever an old
-- release still writes into it during the roll-out. Its existing rows are copied here; writes to
-- `points` wait while they are (the table is small where this runs first). A later release
-- drops `points` and the trigger (contract).

-- migrate:up
CREATE TABLE series (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    metric_id bigint NOT NULL REFERENCES metrics (id),
    tags jsonb NOT NULL,
    -- sha256 of the jsonb text, which is canonical (keys sorted, one spacing): the same tag set
    -- always hashes the same whatever order a client sent. A hash, because a btree entry of
    -- 64 tags of 256 characters would not fit in an index page.
    tags_hash bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT series_tags_object CHECK (jsonb_typeof(tags) = 'object'),
    CONSTRAINT series_metric_id_tags_hash_key UNIQUE (metric_id, tags_hash)
);

-- Tag filters select series first: containment on the dictionary, not on every point.
CREATE INDEX series_tags_idx ON series USING gin (tags jsonb_path_ops);

-- No foreign key to series: checking one per point would cost ingest more than it protects
-- (series rows are never deleted while points of theirs remain).
CREATE TABLE samples (
    series_id bigint NOT NULL,
    ts timestamptz NOT NULL,
    value double precision NOT NULL,
    -- One value per series and timestamp: a retried batch adds nothing (docs/adr/0016).
    CONSTRAINT samples_pkey PRIMARY KEY (series_id, ts)
) PARTITION BY RANGE (ts);

-- Rollups: count, sum, min and max of the points in each minute and each hour (UTC, aligned on
-- the epoch). A sum past double precision is stored as an infinity, which queries report.
CREATE TABLE rollups_1m (
    series_id bigint NOT NULL,
    bucket timestamptz NOT NULL,
    count bigint NOT NULL,
    sum double precision NOT NULL,
    min double precision NOT NULL,
    max double precision NOT NULL,
    CONSTRAINT rollups_1m_pkey PRIMARY KEY (series_id, bucket)
) PARTITION BY RANGE (bucket);

CREATE TABLE rollups_1h (
    series_id bigint NOT NULL,
    bucket timestamptz NOT NULL,
    count bigint NOT NULL,
    sum double precision NOT NULL,
    min double precision NOT NULL,
    max double precision NOT NULL,
    CONSTRAINT rollups_1h_pkey PRIMARY KEY (series_id, bucket)
) PARTITION BY RANGE (bucket);

-- The one way partitions are made, by migrations, `cloudmetrics maintain` and ingest alike:
-- fixed widths aligned on the epoch, named <parent>_p<first day, UTC>. Returns the new
-- partition's name, or NULL when it existed.
CREATE FUNCTION ensure_time_partition(parent regclass, width interval, moment timestamptz)
RETURNS text
LANGUAGE plpgsql
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

-- A sum that leaves double precision becomes an infinity instead of an error (float8 addition
-- raises). Halving is exact, so a/2 + b/2 exceeds DBL_MAX/2 exactly when a + b overflows.
CREATE FUNCTION rollup_sum(a double precision, b double precision)
RETURNS double precision
LANGUAGE sql
IMMUTABLE
STRICT
AS $$
    SELECT CASE
        WHEN abs(a * 0.5 + b * 0.5) > 8.988465674311579e307
            THEN sign(a * 0.5 + b * 0.5) * 'Infinity'::double precision
        ELSE a + b
    END
$$;

CREATE AGGREGATE rollup_total(double precision) (sfunc = rollup_sum, stype = double precision);

-- The write path of every point, whoever writes it: insert what is new (a point already stored
-- for its series and timestamp is left alone: docs/adr/0016), then add exactly the inserted
-- points to both rollups, in the same statement. Keys are taken in sorted order, so concurrent
-- batches cannot deadlock. Returns the number of points inserted.
-- The first attempt is a plain INSERT, noticeably cheaper than ON CONFLICT's speculative
-- insertion; a batch holding a point already stored (a retry) or a sum past double precision
-- is undone and written again the careful way.
CREATE FUNCTION record_samples(
    series_ids bigint[], stamps timestamptz[], point_values double precision[]
)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    inserted_count bigint;
BEGIN
    WITH inserted AS (
        INSERT INTO samples (series_id, ts, value)
        SELECT incoming.series_id, incoming.ts, incoming.value
        FROM unnest(series_ids, stamps, point_values) AS incoming (series_id, ts, value)
        ORDER BY 1, 2
        RETURNING samples.series_id, samples.ts, samples.value
    ),
    minutes AS (
        INSERT INTO rollups_1m AS r (series_id, bucket, count, sum, min, max)
        SELECT i.series_id, date_bin('1 minute', i.ts, timestamptz '1970-01-01 00:00:00+00'),
            count(*), sum(i.value), min(i.value), max(i.value)
        FROM inserted AS i
        GROUP BY 1, 2
        ORDER BY 1, 2
        ON CONFLICT (series_id, bucket) DO UPDATE SET
            count = r.count + excluded.count,
            sum = r.sum + excluded.sum,
            min = least(r.min, excluded.min),
            max = greatest(r.max, excluded.max)
    ),
    hours AS (
        INSERT INTO rollups_1h AS r (series_id, bucket, count, sum, min, max)
        SELECT i.series_id, date_bin('1 hour', i.ts, timestamptz '1970-01-01 00:00:00+00'),
            count(*), sum(i.value), min(i.value), max(i.value)
        FROM inserted AS i
        GROUP BY 1, 2
        ORDER BY 1, 2
        ON CONFLICT (series_id, bucket) DO UPDATE SET
            count = r.count + excluded.count,
            sum = r.sum + excluded.sum,
            min = least(r.min, excluded.min),
            max = greatest(r.max, excluded.max)
    )
    SELECT count(*) INTO inserted_count FROM inserted;
    RETURN inserted_count;
EXCEPTION WHEN unique_violation OR numeric_value_out_of_range THEN
    WITH inserted AS (
        INSERT INTO samples (series_id, ts, value)
        -- Within one batch too, the first value given for a series and timestamp wins.
        SELECT DISTINCT ON (incoming.series_id, incoming.ts)
            incoming.series_id, incoming.ts, incoming.value
        FROM unnest(series_ids, stamps, point_values)
            WITH ORDINALITY AS incoming (series_id, ts, value, position)
        ORDER BY incoming.series_id, incoming.ts, incoming.position
        ON CONFLICT (series_id, ts) DO NOTHING
        RETURNING samples.series_id, samples.ts, samples.value
    ),
    minutes AS (
        INSERT INTO rollups_1m AS r (series_id, bucket, count, sum, min, max)
        SELECT i.series_id, date_bin('1 minute', i.ts, timestamptz '1970-01-01 00:00:00+00'),
            count(*), rollup_total(i.value), min(i.value), max(i.value)
        FROM inserted AS i
        GROUP BY 1, 2
        ORDER BY 1, 2
        ON CONFLICT (series_id, bucket) DO UPDATE SET
            count = r.count + excluded.count,
            sum = rollup_sum(r.sum, excluded.sum),
            min = least(r.min, excluded.min),
            max = greatest(r.max, excluded.max)
    ),
    hours AS (
        INSERT INTO rollups_1h AS r (series_id, bucket, count, sum, min, max)
        SELECT i.series_id, date_bin('1 hour', i.ts, timestamptz '1970-01-01 00:00:00+00'),
            count(*), rollup_total(i.value), min(i.value), max(i.value)
        FROM inserted AS i
        GROUP BY 1, 2
        ORDER BY 1, 2
        ON CONFLICT (series_id, bucket) DO UPDATE SET
            count = r.count + excluded.count,
            sum = rollup_sum(r.sum, excluded.sum),
            min = least(r.min, excluded.min),
            max = greatest(r.max, excluded.max)
    )
    SELECT count(*) INTO inserted_count FROM inserted;
    RETURN inserted_count;
END
$$;

-- Partitions for the points already stored and for the week ahead; `cloudmetrics maintain`
-- keeps that margin from now on.
DO $$
DECLARE
    first_point timestamptz := least((SELECT min(ts) FROM points), now() - interval '7 days');
    last_point timestamptz := greatest((SELECT max(ts) FROM points), now()) + interval '7 days';
    moment timestamptz;
BEGIN
    FOR moment IN SELECT generate_series(first_point, last_point + interval '1 day', '1 day') LOOP
        PERFORM ensure_time_partition('samples', interval '1 day', moment);
    END LOOP;
    FOR moment IN SELECT generate_series(first_point, last_point + interval '7 days', '7 days') LOOP
        PERFORM ensure_time_partition('rollups_1m', interval '7 days', moment);
    END LOOP;
    FOR moment IN SELECT generate_series(first_point, last_point + interval '28 days', '28 days') LOOP
        PERFORM ensure_time_partition('rollups_1h', interval '28 days', moment);
    END LOOP;
END
$$;

-- What an old release writes during the roll-out reaches the new tables too.
CREATE FUNCTION points_forward() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO series (metric_id, tags, tags_hash)
    SELECT DISTINCT metric_id, tags, sha256(convert_to(tags::text, 'UTF8'))
    FROM forwarded_points
    ORDER BY 1, 3
    ON CONFLICT (metric_id, tags_hash) DO NOTHING;
    PERFORM record_samples(array_agg(s.id), array_agg(p.ts), array_agg(p.value))
    FROM forwarded_points AS p
    JOIN series AS s
        ON s.metric_id = p.metric_id AND s.tags_hash = sha256(convert_to(p.tags::text, 'UTF8'));
    RETURN NULL;
END
$$;

-- Blocks writers to `points` until this migration commits, so no row escapes both the copy
-- below and the trigger.
CREATE TRIGGER points_forward AFTER INSERT ON points
REFERENCING NEW TABLE AS forwarded_points
FOR EACH STATEMENT EXECUTE FUNCTION points_forward();

INSERT INTO series (metric_id, tags, tags_hash)
SELECT DISTINCT metric_id, tags, sha256(convert_to(tags::text, 'UTF8'))
FROM points
ORDER BY 1, 3;

SELECT record_samples(array_agg(s.id), array_agg(p.ts), array_agg(p.value))
FROM points AS p
JOIN series AS s
    ON s.metric_id = p.metric_id AND s.tags_hash = sha256(convert_to(p.tags::text, 'UTF8'))
HAVING count(*) > 0;

-- migrate:down
DROP TRIGGER points_forward ON points;
DROP FUNCTION points_forward();
DROP FUNCTION record_samples(bigint[], timestamptz[], double precision[]);
DROP AGGREGATE rollup_total(double precision);
DROP FUNCTION rollup_sum(double precision, double precision);
DROP FUNCTION ensure_time_partition(regclass, interval, timestamptz);
DROP TABLE rollups_1h;
DROP TABLE rollups_1m;
DROP TABLE samples;
DROP TABLE series;
