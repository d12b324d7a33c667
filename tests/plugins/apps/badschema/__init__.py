"""A plug-in app whose task's parameters are not a JSON Schema: start-up must stop."""
