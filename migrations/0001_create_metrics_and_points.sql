-- The first CloudMetrics schema: a catalogue of metrics and the points recorded for them.
-- A plain table with btree, GIN and BRIN indexes rather than range partitioning: see
-- docs/adr/0010-points-as-a-plain-table-with-brin-and-btree-indexes.md.
-- The tables are new and empty, so building their indexes inside the transaction blocks no one.

-- migrate:up
CREATE TABLE metrics (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- A backstop behind the API's own validation, which answers with a friendlier error.
    CONSTRAINT metrics_name_syntax CHECK (name ~ '^[A-Za-z_][A-Za-z0-9_.:-]{0,199}$')
);

CREATE TABLE points (
    metric_id bigint NOT NULL REFERENCES metrics (id),
    ts timestamptz NOT NULL,
    value double precision NOT NULL,
    tags jsonb NOT NULL DEFAULT '{}',
    -- Tag filters use containment (tags @> '{"host": "a"}'), which only means something on objects.
    CONSTRAINT points_tags_object CHECK (jsonb_typeof(tags) = 'object')
);

-- The query path: one metric over a time range (also serves the foreign key's lookups).
CREATE INDEX points_metric_id_ts_idx ON points (metric_id, ts);

-- Tag filters: jsonb_path_ops supports only @>, and is smaller and faster than the default.
CREATE INDEX points_tags_idx ON points USING gin (tags jsonb_path_ops);

-- Time ranges across all metrics, and retention deletes. Points arrive roughly in time order,
-- so block ranges follow ts closely and this index stays a few pages per gigabyte.
CREATE INDEX points_ts_brin_idx ON points USING brin (ts);

-- migrate:down
DROP TABLE points;
DROP TABLE metrics;
