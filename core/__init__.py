"""The bottom layer: what every Conveyor app shares (domain errors, the Redis connection, change
notices); it imports none of them."""
