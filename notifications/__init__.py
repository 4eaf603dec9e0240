"""Notifications adapter: turns the outbox's de-identified events into email, webhooks and
inbox items (see `dispatch.dispatch_once`). It decides nothing: who hears what is the core's
(workflow/notification_preferences.py), and the rows it changes are written by the core
(workflow/deliveries.py, workflow/inbox.py).
"""
