"""The pure core: protocol data and its validation, the request checks and the plan engine.

Nothing in here knows about calendars, guides, files or the command line; every layer above
imports from here and nothing here imports from them.
"""
