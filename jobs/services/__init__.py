"""The writes: every change to a job or a schedule starts in a service here (design.md, 1)."""
