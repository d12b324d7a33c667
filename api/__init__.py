"""The HTTP layer: views, serializers, authentication, errors and the OpenAPI schema."""
