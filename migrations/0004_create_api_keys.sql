-- API keys: the credentials machines use on /v1 (docs/adr/0050). A key is shown once, when it
-- is created; only its SHA-256 is stored (a key carries 256 random bits, so a fast hash is
-- enough: nothing can be guessed by trying). The id is the key's public part, printed in
-- listings and used to revoke it. Revoked keys stay, for the record of who wrote what.

-- migrate:up
CREATE TABLE api_keys (
    id text PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id),
    name text NOT NULL DEFAULT '',
    secret_hash bytea NOT NULL,
    scopes text[] NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    revoked_at timestamptz,
    -- Written at most once a minute per key and task (see identity/key_lookup.py).
    last_used_at timestamptz,
    CONSTRAINT api_keys_id_syntax CHECK (id ~ '^[0-9a-f]{16}$'),
    CONSTRAINT api_keys_secret_hash_length CHECK (octet_length(secret_hash) = 32),
    CONSTRAINT api_keys_scopes_known CHECK (
        cardinality(scopes) > 0 AND scopes <@ ARRAY['read', 'write']::text[]
    ),
    CONSTRAINT api_keys_name_length CHECK (length(name) <= 200)
);

-- Listing a project's keys.
CREATE INDEX api_keys_project_id_idx ON api_keys (project_id);

-- migrate:down
DROP TABLE api_keys;
