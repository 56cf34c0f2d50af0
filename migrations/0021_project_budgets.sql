-- Budgets per project (docs/adr/0053): how many series a project may hold, in all and per
-- metric, how many it may create per minute, and how many queries it may run at once across
-- every task. NULL means the service's default (SERIES_PER_PROJECT, SERIES_PER_METRIC,
-- NEW_SERIES_PER_MINUTE, QUERY_CONCURRENCY_PER_PROJECT); `cloudmetrics projects budgets` sets them.

-- migrate:up
CREATE TABLE project_budgets (
    project_id bigint PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    series bigint,
    series_per_metric bigint,
    new_series_per_minute bigint,
    concurrent_queries bigint,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT project_budgets_positive CHECK (
        series > 0 AND series_per_metric > 0 AND new_series_per_minute > 0
        AND concurrent_queries > 0
    )
);

-- migrate:down
DROP TABLE project_budgets;
