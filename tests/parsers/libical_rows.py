"""Read each .ics file named on the command line with libical (the parser of Evolution and
GNOME Calendar, through its GObject bindings) and print, as one JSON list, what it makes of
every event: the same row shape as tests/parsers/icaljs_rows.mjs, compared by tests/clients.py.

Runs under the system Python that has Debian's python3-gi and gir1.2-ical-3.0, not the test
virtual environment. The errors are libical's own X-LIC-ERROR properties: what it dropped or
could not read while parsing.
"""

import json
import sys

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib  # noqa: E402


def when(value):
    """A date as YYYY-MM-DD, a date-time as Unix seconds read through its own zone."""
    if value.is_date():
        return f"{value.get_year():04d}-{value.get_month():02d}-{value.get_day():02d}"
    return value.as_timet_with_zone(value.get_timezone())


def _each(first, following, kind):
    """Every item libical's first/next pair of calls gives for `kind`, in order."""
    found, item = [], first(kind)
    while item is not None:
        found.append(item)
        item = following(kind)
    return found


def properties(component, kind):
    """Every property of `kind` in `component`, in order."""
    return _each(component.get_first_property, component.get_next_property, kind)


def children(component, kind):
    """Every subcomponent of `kind` in `component`, in order."""
    return _each(component.get_first_component, component.get_next_component, kind)


def errors(component):
    """libical's parse errors anywhere in `component`."""
    kinds = ICalGLib.PropertyKind.XLICERROR_PROPERTY, ICalGLib.ComponentKind.ANY_COMPONENT
    found = [p.as_ical_string().strip() for p in properties(component, kinds[0])]
    for child in children(component, kinds[1]):
        found += errors(child)
    return found


def alarm_row(alarm):
    trigger = alarm.get_first_property(ICalGLib.PropertyKind.TRIGGER_PROPERTY).get_trigger()
    action = alarm.get_first_property(ICalGLib.PropertyKind.ACTION_PROPERTY)
    return [action.get_value_as_string(), alarm.get_description(), trigger.get_duration().as_int()]


def event_row(event):
    kinds = ICalGLib.PropertyKind
    status = event.get_first_property(kinds.STATUS_PROPERTY)
    categories = [p.get_categories() for p in properties(event, kinds.CATEGORIES_PROPERTY)]
    return [event.get_uid(), event.get_summary(), when(event.get_dtstart()),
            when(event.get_dtend()), None if status is None else status.get_value_as_string(),
            categories,
            [alarm_row(a) for a in children(event, ICalGLib.ComponentKind.VALARM_COMPONENT)]]


def rows(path):
    with open(path, encoding="utf-8") as handle:
        calendar = ICalGLib.Component.new_from_string(handle.read())
    if calendar is None:
        return {"errors": ["libical could not parse the file"], "events": []}
    events = children(calendar, ICalGLib.ComponentKind.VEVENT_COMPONENT)
    return {"errors": errors(calendar), "events": [event_row(e) for e in events]}


print(json.dumps([rows(path) for path in sys.argv[1:]]))
