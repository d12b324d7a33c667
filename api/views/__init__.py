"""API views, one module per area; thin: validate, call a service or selector, serialize."""
