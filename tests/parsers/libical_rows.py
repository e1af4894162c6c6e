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


def properties(component, kind):
    """Every property of `kind` in `component`, in order."""
    found, prop = [], component.get_first_property(kind)
    while prop is not None:
        found.append(prop)
        prop = component.get_next_property(kind)
    return found


def children(component, kind):
    """Every subcomponent of `kind` in `component`, in order."""
    found, child = [], component.get_first_component(kind)
    while child is not None:
        found.append(child)
        child = component.get_next_component(kind)
    return found


def errors(component):
    """libical's parse errors anywhere in `component`."""
    found = [p.as_ical_string().strip() for p in properties(component, ICalGLib.PropertyKind.XLICERROR_PROPERTY)]
    child = component.get_first_component(ICalGLib.ComponentKind.ANY_COMPONENT)
    while child is not None:
        found += errors(child)
        child = component.get_next_component(ICalGLib.ComponentKind.ANY_COMPONENT)
    return found


def alarm_row(alarm):
    trigger = alarm.get_first_property(ICalGLib.PropertyKind.TRIGGER_PROPERTY).get_trigger()
    action = alarm.get_first_property(ICalGLib.PropertyKind.ACTION_PROPERTY)
    return [action.get_value_as_string(), alarm.get_description(), trigger.get_duration().as_int()]


def event_row(event):
    status = event.get_first_property(ICalGLib.PropertyKind.STATUS_PROPERTY)
    categories = [p.get_categories() for p in properties(event, ICalGLib.PropertyKind.CATEGORIES_PROPERTY)]
    return [event.get_uid(), event.get_summary(), when(event.get_dtstart()), when(event.get_dtend()),
            None if status is None else status.get_value_as_string(), categories,
            [alarm_row(a) for a in children(event, ICalGLib.ComponentKind.VALARM_COMPONENT)]]


def rows(path):
    with open(path, encoding="utf-8") as handle:
        calendar = ICalGLib.Component.new_from_string(handle.read())
    if calendar is None:
        return {"errors": ["libical could not parse the file"], "events": []}
    events = children(calendar, ICalGLib.ComponentKind.VEVENT_COMPONENT)
    return {"errors": errors(calendar), "events": [event_row(e) for e in events]}


print(json.dumps([rows(path) for path in sys.argv[1:]]))
