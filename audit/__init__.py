"""Audit: the attribution context, the Auditable base and the history/version services."""
