"""Notifications: tell the team in Slack when a run fails, naming environment, component, SHA and check."""
