"""The CloudMetrics AWS estate: one ComponentResource per concern, built from typed settings."""
