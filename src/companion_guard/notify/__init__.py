"""Notifications leave through the outbox: one channel module per way out."""
