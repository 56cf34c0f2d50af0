-- Samples packed per series and hour (docs/adr/0017): a write batch stores one row per series
-- and hour it touches (`sample_chunks`, arrays of timestamps and values), and
-- `cloudmetrics maintain` packs the chunks of a closed hour into one row per series and hour
-- (`sample_blocks`: delta-encoded microseconds and values, lz4 TOAST compression). One value per
-- series and timestamp (docs/adr/0016) and exact rollups (docs/adr/0015) are kept by
-- `record_samples`, which now checks a batch against its hours under the block row's lock.
--
-- Expand step, taken while the previous release still runs: its writes call `record_samples`
-- (replaced here, same signature, so they land in chunks with the same dedup), and its reads of
-- `samples` go through a view of the same name over every place a point may be. Today's rows
-- stay where they are as `sample_rows`: nothing writes there any more, the dedup check consults
-- it while it holds a row, and `cloudmetrics maintain` moves them into blocks an hour at a time
-- (a copy inside this migration would hold the table for as long as it takes). A later release
-- drops `sample_rows` and the view once it is empty and no old release runs (contract).

-- migrate:up
-- Waits for writes in flight (lock_timeout bounds the wait); renames are catalogue-only. The
-- old name's clients keep working: `samples` becomes a view of every point, below, in the same
-- transaction, and the previous release writes only through record_samples.
-- squawk-ignore renaming-table
ALTER TABLE samples RENAME TO sample_rows;
-- squawk-ignore renaming-object
ALTER TABLE sample_rows RENAME CONSTRAINT samples_pkey TO sample_rows_pkey;

DO $$
DECLARE
    old_name text;
BEGIN
    FOR old_name IN
        SELECT child.relname FROM pg_inherits
        JOIN pg_class AS child ON child.oid = pg_inherits.inhrelid
        WHERE pg_inherits.inhparent = 'sample_rows'::regclass
    LOOP
        EXECUTE format(
            'ALTER TABLE %I RENAME TO %I', old_name, 'sample_rows' || substr(old_name, 8)
        );
    END LOOP;
END
$$;

-- Points written since the last pack, one row per series, hour and write batch.
CREATE TABLE sample_chunks (
    series_id bigint NOT NULL,
    -- The hour (UTC, aligned on the epoch) every point of the row falls in.
    window_start timestamptz NOT NULL,
    stamps timestamptz[] NOT NULL,
    point_values double precision[] NOT NULL
) PARTITION BY RANGE (window_start);

CREATE INDEX sample_chunks_series_window_idx ON sample_chunks (series_id, window_start);

-- One row per series and hour: the packed points, and the row every writer of that hour locks.
-- deltas[1] is microseconds after window_start, each next one microseconds after the previous
-- point: regular intervals repeat, which is what compression then removes.
CREATE TABLE sample_blocks (
    series_id bigint NOT NULL,
    window_start timestamptz NOT NULL,
    deltas bigint[] NOT NULL,
    point_values double precision[] NOT NULL,
    -- The newest point of the hour, wherever stored (block or chunk); NULL while none is.
    newest timestamptz,
    CONSTRAINT sample_blocks_pkey PRIMARY KEY (series_id, window_start)
) PARTITION BY RANGE (window_start);

-- lz4 where the server has it (PostgreSQL 16 on RDS does; a build without it keeps pglz).
-- Partitions inherit the column's method.
DO $$
BEGIN
    ALTER TABLE sample_blocks ALTER COLUMN deltas SET COMPRESSION lz4;
    ALTER TABLE sample_blocks ALTER COLUMN point_values SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 is not available: sample blocks compress with pglz';
END
$$;

-- The points of one block, oldest first.
CREATE FUNCTION sample_block_points(
    window_start timestamptz, deltas bigint[], point_values double precision[]
)
RETURNS TABLE (ts timestamptz, value double precision)
LANGUAGE sql
IMMUTABLE
AS $$
    SELECT window_start + interval '1 microsecond' * sum(d.delta) OVER (ORDER BY d.position),
        d.value
    FROM unnest(deltas, point_values) WITH ORDINALITY AS d (delta, value, position)
$$;

-- Blocks compress from 128 bytes on instead of from 2 kB: an hour of a series scraped every
-- 15 s (240 points, 3.8 kB raw) and smaller ones compress too. A storage parameter belongs to
-- each partition, so the one function that makes partitions sets it.
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
    -- As migration 0020 made it (it runs as the owner, for the time-partitioned tables only),
    -- with the two tables of packed points added.
    IF parent NOT IN (
        'samples'::regclass, 'rollups_1m'::regclass, 'rollups_1h'::regclass,
        'sample_chunks'::regclass, 'sample_blocks'::regclass
    ) THEN
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
    IF parent::text = 'sample_blocks' THEN
        EXECUTE format('ALTER TABLE %I SET (toast_tuple_target = 128)', partition_name);
    END IF;
    RETURN partition_name;
END
$$;

-- Every point of some series in [low, high), wherever it is stored. Inlined into the caller's
-- query (one SELECT, STABLE), so partitions outside the window are pruned at run time.
CREATE FUNCTION samples_between(series_ids bigint[], low timestamptz, high timestamptz)
RETURNS TABLE (series_id bigint, ts timestamptz, value double precision)
LANGUAGE sql
STABLE
AS $$
    SELECT b.series_id, p.ts, p.value
    FROM sample_blocks AS b
    CROSS JOIN LATERAL sample_block_points(b.window_start, b.deltas, b.point_values) AS p
    WHERE b.series_id = ANY (series_ids)
        AND b.window_start > low - interval '1 hour' AND b.window_start < high
        AND p.ts >= low AND p.ts < high
    UNION ALL
    SELECT c.series_id, p.ts, p.value
    FROM sample_chunks AS c
    CROSS JOIN LATERAL unnest(c.stamps, c.point_values) AS p (ts, value)
    WHERE c.series_id = ANY (series_ids)
        AND c.window_start > low - interval '1 hour' AND c.window_start < high
        AND p.ts >= low AND p.ts < high
    UNION ALL
    SELECT r.series_id, r.ts, r.value
    FROM sample_rows AS r
    WHERE r.series_id = ANY (series_ids) AND r.ts >= low AND r.ts < high
$$;

-- What `samples` was, for the previous release's reads and for ad-hoc queries. Filtering it on
-- ts reads every block of the series: queries of the service use samples_between.
CREATE VIEW samples AS
SELECT b.series_id, p.ts, p.value
FROM sample_blocks AS b
CROSS JOIN LATERAL sample_block_points(b.window_start, b.deltas, b.point_values) AS p
UNION ALL
SELECT c.series_id, p.ts, p.value
FROM sample_chunks AS c
CROSS JOIN LATERAL unnest(c.stamps, c.point_values) AS p (ts, value)
UNION ALL
SELECT series_id, ts, value FROM sample_rows;

-- Locks the block row of every (series, hour) in sorted order, making the missing ones first
-- (empty), and returns each one's newest stored point. Every writer of an hour and the packer
-- take this lock, so a point is checked against everything committed before it and two batches
-- cannot both store it. Concurrent makers of the same new row queue on its unique key, which
-- also keeps the order deadlock-free.
CREATE FUNCTION lock_sample_windows(series_ids bigint[], windows timestamptz[])
RETURNS TABLE (series_id bigint, window_start timestamptz, newest timestamptz)
LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO sample_blocks AS b (series_id, window_start, deltas, point_values)
    SELECT DISTINCT w.series_id, w.window_start, '{}'::bigint[], '{}'::double precision[]
    FROM unnest(series_ids, windows) AS w (series_id, window_start)
    ORDER BY 1, 2
    ON CONFLICT ON CONSTRAINT sample_blocks_pkey DO NOTHING;
    -- A statement of its own: its snapshot sees rows other writers committed meanwhile. One
    -- primary key lookup per pair, in key order (a subquery with FOR UPDATE is never
    -- flattened, so the nested loop follows the sorted pairs).
    RETURN QUERY
    SELECT b.series_id, b.window_start, b.newest
    FROM (
        SELECT DISTINCT * FROM unnest(series_ids, windows) ORDER BY 1, 2
    ) AS w (series_id, window_start)
    CROSS JOIN LATERAL (
        SELECT locked.series_id, locked.window_start, locked.newest
        FROM sample_blocks AS locked
        WHERE locked.series_id = w.series_id AND locked.window_start = w.window_start
        FOR UPDATE
    ) AS b;
END
$$;

-- The write path of every point, whoever writes it (same contract as migration 0010's): store
-- what is new (a point already stored for its series and timestamp is left alone, and within a
-- batch the first value wins), add exactly the new points to both rollups, return how many
-- were new. One chunk row per series and hour of the batch. A point after the newest one its
-- hour holds (points arriving in order) is new without looking; an older one (late, or a
-- retry) is looked up among the hour's chunks and block.
CREATE OR REPLACE FUNCTION record_samples(
    series_ids bigint[], stamps timestamptz[], point_values double precision[]
)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    -- The hour of each point, and the distinct hours (for index and partition lookups).
    point_windows timestamptz[] := ARRAY(
        SELECT date_bin('1 hour', s, timestamptz '1970-01-01 00:00:00+00') FROM unnest(stamps) AS s
    );
    hours timestamptz[] := ARRAY(SELECT DISTINCT unnest(point_windows));
    locked_ids bigint[];
    locked_windows timestamptz[];
    locked_newest timestamptz[];
    fresh_ids bigint[];
    fresh_stamps timestamptz[];
    fresh_values double precision[];
    -- Old rows are consulted only while some remain (maintain moves them into blocks).
    legacy boolean;
BEGIN
    SELECT array_agg(l.series_id), array_agg(l.window_start), array_agg(l.newest)
    INTO locked_ids, locked_windows, locked_newest
    FROM lock_sample_windows(series_ids, point_windows) AS l;
    legacy := EXISTS (SELECT FROM sample_rows);
    WITH incoming AS (
        SELECT DISTINCT ON (i.series_id, i.ts)
            i.series_id, i.ts, i.value, i.window_start,
            legacy OR i.ts <= coalesce(l.newest, '-infinity') AS doubtful
        FROM unnest(series_ids, stamps, point_values, point_windows)
            WITH ORDINALITY AS i (series_id, ts, value, window_start, position)
        JOIN unnest(locked_ids, locked_windows, locked_newest) AS l (series_id, window_start, newest)
            ON l.series_id = i.series_id AND l.window_start = i.window_start
        ORDER BY i.series_id, i.ts, i.position
    ),
    doubtful_windows AS (
        SELECT DISTINCT series_id, window_start FROM incoming WHERE doubtful
    ),
    stored AS (
        SELECT c.series_id, s.ts
        FROM sample_chunks AS c
        JOIN doubtful_windows AS w
            ON c.series_id = w.series_id AND c.window_start = w.window_start
        CROSS JOIN LATERAL unnest(c.stamps) AS s (ts)
        WHERE c.series_id = ANY (series_ids) AND c.window_start = ANY (hours)
        UNION ALL
        SELECT b.series_id, p.ts
        FROM sample_blocks AS b
        JOIN doubtful_windows AS w
            ON b.series_id = w.series_id AND b.window_start = w.window_start
        CROSS JOIN LATERAL sample_block_points(b.window_start, b.deltas, b.point_values) AS p
        WHERE b.series_id = ANY (series_ids) AND b.window_start = ANY (hours)
            AND cardinality(b.deltas) > 0
    ),
    fresh AS (
        SELECT i.series_id, i.ts, i.value, i.window_start
        FROM incoming AS i
        WHERE NOT i.doubtful
        UNION ALL
        SELECT i.series_id, i.ts, i.value, i.window_start
        FROM incoming AS i
        WHERE i.doubtful
            AND NOT EXISTS (
                SELECT FROM stored AS s WHERE s.series_id = i.series_id AND s.ts = i.ts
            )
            AND NOT (
                legacy AND EXISTS (
                    SELECT FROM sample_rows AS r
                    WHERE r.series_id = i.series_id AND r.ts = i.ts
                )
            )
    ),
    chunks AS (
        INSERT INTO sample_chunks (series_id, window_start, stamps, point_values)
        SELECT f.series_id, f.window_start, array_agg(f.ts ORDER BY f.ts),
            array_agg(f.value ORDER BY f.ts)
        FROM fresh AS f
        GROUP BY 1, 2
        RETURNING sample_chunks.series_id, sample_chunks.window_start,
            sample_chunks.stamps[cardinality(sample_chunks.stamps)] AS newest
    ),
    -- The block rows are locked by this transaction already: no new lock, no wait.
    newest AS (
        UPDATE sample_blocks AS b
        SET newest = c.newest
        FROM chunks AS c
        WHERE b.series_id = c.series_id AND b.window_start = c.window_start
            AND b.series_id = ANY (series_ids) AND b.window_start = ANY (hours)
            AND c.newest > coalesce(b.newest, '-infinity')
    )
    SELECT array_agg(f.series_id), array_agg(f.ts), array_agg(f.value)
    INTO fresh_ids, fresh_stamps, fresh_values
    FROM fresh AS f;
    IF fresh_ids IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM add_to_rollups(fresh_ids, fresh_stamps, fresh_values);
    RETURN cardinality(fresh_ids);
END
$$;

-- Adds new points to both rollups. The first attempt adds with plain float8 arithmetic; a sum
-- past double precision raises, and the careful way stores it as an infinity instead
-- (rollup_sum, migration 0010).
CREATE FUNCTION add_to_rollups(
    series_ids bigint[], stamps timestamptz[], point_values double precision[]
)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    WITH fresh AS (
        SELECT * FROM unnest(series_ids, stamps, point_values) AS f (series_id, ts, value)
    ),
    minutes AS (
        INSERT INTO rollups_1m AS r (series_id, bucket, count, sum, min, max)
        SELECT f.series_id, date_bin('1 minute', f.ts, timestamptz '1970-01-01 00:00:00+00'),
            count(*), sum(f.value), min(f.value), max(f.value)
        FROM fresh AS f
        GROUP BY 1, 2
        ORDER BY 1, 2
        ON CONFLICT (series_id, bucket) DO UPDATE SET
            count = r.count + excluded.count,
            sum = r.sum + excluded.sum,
            min = least(r.min, excluded.min),
            max = greatest(r.max, excluded.max)
    )
    INSERT INTO rollups_1h AS r (series_id, bucket, count, sum, min, max)
    SELECT f.series_id, date_bin('1 hour', f.ts, timestamptz '1970-01-01 00:00:00+00'),
        count(*), sum(f.value), min(f.value), max(f.value)
    FROM fresh AS f
    GROUP BY 1, 2
    ORDER BY 1, 2
    ON CONFLICT (series_id, bucket) DO UPDATE SET
        count = r.count + excluded.count,
        sum = r.sum + excluded.sum,
        min = least(r.min, excluded.min),
        max = greatest(r.max, excluded.max);
EXCEPTION WHEN numeric_value_out_of_range THEN
    WITH fresh AS (
        SELECT * FROM unnest(series_ids, stamps, point_values) AS f (series_id, ts, value)
    ),
    minutes AS (
        INSERT INTO rollups_1m AS r (series_id, bucket, count, sum, min, max)
        SELECT f.series_id, date_bin('1 minute', f.ts, timestamptz '1970-01-01 00:00:00+00'),
            count(*), rollup_total(f.value), min(f.value), max(f.value)
        FROM fresh AS f
        GROUP BY 1, 2
        ORDER BY 1, 2
        ON CONFLICT (series_id, bucket) DO UPDATE SET
            count = r.count + excluded.count,
            sum = rollup_sum(r.sum, excluded.sum),
            min = least(r.min, excluded.min),
            max = greatest(r.max, excluded.max)
    )
    INSERT INTO rollups_1h AS r (series_id, bucket, count, sum, min, max)
    SELECT f.series_id, date_bin('1 hour', f.ts, timestamptz '1970-01-01 00:00:00+00'),
        count(*), rollup_total(f.value), min(f.value), max(f.value)
    FROM fresh AS f
    GROUP BY 1, 2
    ORDER BY 1, 2
    ON CONFLICT (series_id, bucket) DO UPDATE SET
        count = r.count + excluded.count,
        sum = rollup_sum(r.sum, excluded.sum),
        min = least(r.min, excluded.min),
        max = greatest(r.max, excluded.max);
END
$$;

-- Packs up to `most` closed hours (ending at or before `closed_before`) that have chunks or old
-- rows: each becomes its one block row, its chunks and old rows go. Returns how many hours it
-- packed; `cloudmetrics maintain` calls it until that is none.
CREATE FUNCTION pack_sample_windows(closed_before timestamptz, most integer)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    target_ids bigint[];
    target_windows timestamptz[];
    packed integer;
BEGIN
    SELECT array_agg(t.series_id ORDER BY t.series_id, t.window_start),
        array_agg(t.window_start ORDER BY t.series_id, t.window_start)
    INTO target_ids, target_windows
    FROM (
        -- Both in key order, so each takes the first entries of an index, not a whole table.
        SELECT DISTINCT w.series_id, w.window_start
        FROM (
            (
                SELECT c.series_id, c.window_start FROM sample_chunks AS c
                WHERE c.window_start <= closed_before - interval '1 hour'
                ORDER BY 1, 2
                LIMIT most
            )
            UNION ALL
            (
                SELECT r.series_id,
                    date_bin('1 hour', r.ts, timestamptz '1970-01-01 00:00:00+00')
                FROM sample_rows AS r
                WHERE r.ts < date_bin('1 hour', closed_before, timestamptz '1970-01-01 00:00:00+00')
                ORDER BY r.series_id, r.ts
                LIMIT most
            )
        ) AS w (series_id, window_start)
        ORDER BY 1, 2
        LIMIT most
    ) AS t;
    IF target_ids IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM FROM lock_sample_windows(target_ids, target_windows);
    WITH targets AS (
        SELECT * FROM unnest(target_ids, target_windows) AS t (series_id, window_start)
    ),
    points AS (
        SELECT b.series_id, b.window_start, p.ts, p.value
        FROM sample_blocks AS b
        JOIN targets AS t ON b.series_id = t.series_id AND b.window_start = t.window_start
        CROSS JOIN LATERAL sample_block_points(b.window_start, b.deltas, b.point_values) AS p
        WHERE b.series_id = ANY (target_ids) AND b.window_start = ANY (target_windows)
        UNION ALL
        SELECT c.series_id, c.window_start, p.ts, p.value
        FROM sample_chunks AS c
        JOIN targets AS t ON c.series_id = t.series_id AND c.window_start = t.window_start
        CROSS JOIN LATERAL unnest(c.stamps, c.point_values) AS p (ts, value)
        WHERE c.series_id = ANY (target_ids) AND c.window_start = ANY (target_windows)
        UNION ALL
        SELECT r.series_id, t.window_start, r.ts, r.value
        FROM sample_rows AS r
        JOIN targets AS t ON r.series_id = t.series_id
            AND r.ts >= t.window_start AND r.ts < t.window_start + interval '1 hour'
    ),
    encoded AS (
        SELECT p.series_id, p.window_start,
            array_agg(p.delta ORDER BY p.ts) AS deltas,
            array_agg(p.value ORDER BY p.ts) AS point_values,
            max(p.ts) AS newest
        FROM (
            SELECT points.*,
                (extract(epoch FROM points.ts - coalesce(
                    lag(points.ts) OVER (
                        PARTITION BY points.series_id, points.window_start ORDER BY points.ts
                    ),
                    points.window_start
                )) * 1000000)::bigint AS delta
            FROM points
        ) AS p
        GROUP BY 1, 2
    ),
    blocks AS (
        UPDATE sample_blocks AS b
        SET deltas = e.deltas, point_values = e.point_values, newest = e.newest
        FROM encoded AS e
        WHERE b.series_id = e.series_id AND b.window_start = e.window_start
            AND b.series_id = ANY (target_ids) AND b.window_start = ANY (target_windows)
    ),
    chunks AS (
        DELETE FROM sample_chunks AS c
        USING targets AS t
        WHERE c.series_id = t.series_id AND c.window_start = t.window_start
            AND c.series_id = ANY (target_ids) AND c.window_start = ANY (target_windows)
    ),
    old_rows AS (
        DELETE FROM sample_rows AS r
        USING targets AS t
        WHERE r.series_id = t.series_id
            AND r.ts >= t.window_start AND r.ts < t.window_start + interval '1 hour'
            AND r.series_id = ANY (target_ids)
    )
    SELECT count(*) INTO packed FROM targets;
    RETURN packed;
END
$$;

-- Partitions of the new tables for the days the old one covers, so no write waits on one.
DO $$
DECLARE
    first_day timestamptz := least(
        (SELECT min(ts) FROM sample_rows), now() - interval '7 days'
    );
    last_day timestamptz := greatest((SELECT max(ts) FROM sample_rows), now()) + interval '7 days';
    moment timestamptz;
BEGIN
    FOR moment IN SELECT generate_series(first_day, last_day + interval '1 day', '1 day') LOOP
        PERFORM ensure_time_partition('sample_chunks', interval '1 day', moment);
        PERFORM ensure_time_partition('sample_blocks', interval '1 day', moment);
    END LOOP;
END
$$;

-- migrate:down
-- Every point back into rows, then the old names and the old write path. The view gives its
-- name back to the table it stood for.
-- squawk-ignore ban-drop-view
DROP VIEW samples;
-- squawk-ignore renaming-table
ALTER TABLE sample_rows RENAME TO samples;
-- squawk-ignore renaming-object
ALTER TABLE samples RENAME CONSTRAINT sample_rows_pkey TO samples_pkey;

DO $$
DECLARE
    old_name text;
    moment timestamptz;
BEGIN
    FOR old_name IN
        SELECT child.relname FROM pg_inherits
        JOIN pg_class AS child ON child.oid = pg_inherits.inhrelid
        WHERE pg_inherits.inhparent = 'samples'::regclass
    LOOP
        EXECUTE format('ALTER TABLE %I RENAME TO %I', old_name, 'samples' || substr(old_name, 12));
    END LOOP;
    FOR moment IN
        SELECT DISTINCT window_start FROM sample_blocks
        UNION SELECT DISTINCT window_start FROM sample_chunks
    LOOP
        PERFORM ensure_time_partition('samples', interval '1 day', moment);
    END LOOP;
END
$$;

INSERT INTO samples (series_id, ts, value)
SELECT b.series_id, p.ts, p.value
FROM sample_blocks AS b
CROSS JOIN LATERAL sample_block_points(b.window_start, b.deltas, b.point_values) AS p
UNION ALL
SELECT c.series_id, p.ts, p.value
FROM sample_chunks AS c
CROSS JOIN LATERAL unnest(c.stamps, c.point_values) AS p (ts, value);

DROP FUNCTION pack_sample_windows(timestamptz, integer);
DROP FUNCTION record_samples(bigint[], timestamptz[], double precision[]);
DROP FUNCTION add_to_rollups(bigint[], timestamptz[], double precision[]);
DROP FUNCTION lock_sample_windows(bigint[], timestamptz[]);
DROP FUNCTION samples_between(bigint[], timestamptz, timestamptz);
DROP FUNCTION sample_block_points(timestamptz, bigint[], double precision[]);
DROP TABLE sample_blocks;
DROP TABLE sample_chunks;

-- As migration 0020 left it.
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

-- Migration 0010's write path, as it was.
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
