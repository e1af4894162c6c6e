"""Weekday names, 0 = Monday, in one tiny module so the CLI can start without the models."""

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
