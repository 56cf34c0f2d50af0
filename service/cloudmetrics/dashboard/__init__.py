"""The dashboard: server-rendered pages for people, beside the /v1 API for machines."""
