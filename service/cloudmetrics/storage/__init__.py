"""Where points live: time partitions, their retention and the maintenance that keeps both."""
