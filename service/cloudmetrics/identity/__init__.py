"""Who may read and write: projects, API keys, and the principal a request acts as."""
