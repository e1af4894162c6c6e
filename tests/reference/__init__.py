"""Frozen copies of earlier implementations that the tests compare the current ones against."""
