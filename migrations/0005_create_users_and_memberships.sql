-- People: users sign in with an email and a password (stored only as an argon2id hash) and
-- belong to projects with a role. Owners manage the project's API keys; members may sign in and
-- see it (docs/identity.md).

-- migrate:up
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Stored lower-cased by the application; the unique index makes the rule hold regardless.
    email text NOT NULL,
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_syntax CHECK (email ~ '^[^@\s]+@[^@\s]+$' AND length(email) <= 254),
    CONSTRAINT users_password_hash_argon2id CHECK (password_hash LIKE '$argon2id$%')
);

CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE memberships (
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    role text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, project_id),
    CONSTRAINT memberships_role_known CHECK (role IN ('owner', 'member'))
);

-- A project's members.
CREATE INDEX memberships_project_id_idx ON memberships (project_id);

-- migrate:down
DROP TABLE memberships;
DROP TABLE users;
