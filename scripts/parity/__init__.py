"""Container parity: the check containers' work, read from their graphs and run natively."""
