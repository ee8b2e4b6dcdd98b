"""Post-deploy verification: asset checks on every environment's components, and rollback of the app."""
