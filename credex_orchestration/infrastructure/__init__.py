"""Infrastructure components as assets: connectors -> databases -> app, one graph per environment."""
