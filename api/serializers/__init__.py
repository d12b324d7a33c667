"""Input and output serializers, one module per area, uniquely named for the OpenAPI file."""
