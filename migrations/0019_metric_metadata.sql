-- What a metric is, as the protocols that carry it say (docs/adr/0025): its type (counter,
-- gauge, histogram, summary, ...), help text and unit, per project and metric family name.
-- Keyed by name rather than by metric id: Prometheus sends metadata for a family (a histogram's
-- `http_duration_seconds`) whose points arrive as other names (`..._bucket`, `..._sum`), and
-- in requests of its own, possibly before any point.

-- migrate:up
CREATE TABLE metric_metadata (
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name text NOT NULL,
    type text NOT NULL,
    help text NOT NULL DEFAULT '',
    unit text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT metric_metadata_pkey PRIMARY KEY (project_id, name),
    CONSTRAINT metric_metadata_type_known CHECK (
        type IN (
            'unknown', 'counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info',
            'stateset'
        )
    ),
    CONSTRAINT metric_metadata_help_length CHECK (length(help) <= 4096),
    CONSTRAINT metric_metadata_unit_length CHECK (length(unit) <= 100)
);

-- migrate:down
DROP TABLE metric_metadata;
