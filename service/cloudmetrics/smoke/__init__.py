"""`cloudmetrics smoke`: a deployed service answers and round-trips a point."""
