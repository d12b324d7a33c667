"""Firing schedules: the scheduler process and what it does with each due slot."""
