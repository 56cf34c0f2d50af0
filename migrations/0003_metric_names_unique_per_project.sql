-- The contract step of 0002: every metric names its project, and a name is unique only within
-- its project. Writers of the previous release (which insert without a project and rely on the
-- global name constraint) stop working here, which is the point: they write anonymously. The
-- code of this release needs only 0002, so this file can be rolled back while it serves.
-- The constraints 0002 added NOT VALID are validated here, in a later transaction, and the
-- validated CHECK lets SET NOT NULL skip its own scan.

-- migrate:up
ALTER TABLE metrics VALIDATE CONSTRAINT metrics_project_id_fkey;
ALTER TABLE metrics VALIDATE CONSTRAINT metrics_project_id_not_null;
ALTER TABLE metrics ALTER COLUMN project_id SET NOT NULL;
-- squawk-ignore ban-drop-constraint
ALTER TABLE metrics DROP CONSTRAINT metrics_project_id_not_null;
-- Contract: a metric without a project can no longer be written.
-- squawk-ignore ban-drop-default
ALTER TABLE metrics ALTER COLUMN project_id DROP DEFAULT;
-- Contract: metrics_project_id_name_key (0002) is the uniqueness from now on.
-- squawk-ignore ban-drop-constraint
ALTER TABLE metrics DROP CONSTRAINT metrics_name_key;

-- migrate:down
-- Refused, and rolled back whole, once two projects hold the same metric name. The catalogue is
-- small, so building the index under the transaction's lock is brief.
-- squawk-ignore require-concurrent-index-creation
CREATE UNIQUE INDEX metrics_name_key ON metrics (name);
-- squawk-ignore disallowed-unique-constraint
ALTER TABLE metrics ADD CONSTRAINT metrics_name_key UNIQUE USING INDEX metrics_name_key;
ALTER TABLE metrics ALTER COLUMN project_id SET DEFAULT 1;
-- squawk-ignore ban-drop-not-null
ALTER TABLE metrics ALTER COLUMN project_id DROP NOT NULL;
ALTER TABLE metrics ADD CONSTRAINT metrics_project_id_not_null
    CHECK (project_id IS NOT NULL) NOT VALID;
-- A validated constraint cannot be marked NOT VALID again; re-adding it restores 0002's schema.
-- squawk-ignore ban-drop-constraint
ALTER TABLE metrics DROP CONSTRAINT metrics_project_id_fkey;
ALTER TABLE metrics ADD CONSTRAINT metrics_project_id_fkey
    FOREIGN KEY (project_id) REFERENCES projects (id) NOT VALID;
