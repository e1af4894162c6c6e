"""The calendar: its options, the identity of plans and events, revisions and the .ics writer."""
