-- Retention per project (docs/adr/0014): a project may keep each resolution for a different
-- number of days than the defaults (RAW_RETENTION_DAYS, MINUTE_ROLLUP_RETENTION_DAYS,
-- HOUR_ROLLUP_RETENTION_DAYS). NULL means the default. `cloudmetrics maintain` applies them.

-- migrate:up
CREATE TABLE project_retention (
    project_id bigint PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    raw_days bigint,
    minute_rollup_days bigint,
    hour_rollup_days bigint,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT project_retention_days_positive CHECK (
        raw_days > 0 AND minute_rollup_days > 0 AND hour_rollup_days > 0
    )
);

-- migrate:down
DROP TABLE project_retention;
