"""A plug-in app whose task takes a name Conveyor already has: start-up must stop."""
