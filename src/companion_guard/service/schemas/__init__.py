"""Request and response models of the HTTP API, apart from the ORM tables."""
