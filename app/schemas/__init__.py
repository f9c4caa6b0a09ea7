"""Request and response models of the REST API (v1). Every field is bounded so no request asks for unbounded work."""
