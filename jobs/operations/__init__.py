"""Repair and upkeep passes the scheduler process runs: reconcile Redis with the database, retention."""
