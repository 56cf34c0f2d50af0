"""Influx line protocol: /api/v2/write (InfluxDB 2, token auth) and /write (InfluxDB 1)."""
