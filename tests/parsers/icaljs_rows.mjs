// Read each .ics file named on the command line with ical.js (Mozilla's parser, used by
// Thunderbird) and print, as one JSON array, what it makes of every event: the same row shape
// as tests/parsers/libical_rows.py, compared by tests/clients.py.
//
// Each file's own VTIMEZONEs are registered before its events are read (as a client does on
// import), and forgotten before the next file.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

// RTR_ICALJS: the installed ical.js package folder (see tests/clients.py).
const ICAL = (await import(pathToFileURL(join(process.env.RTR_ICALJS, "dist", "ical.js")))).default;

function when(time) {
  if (time.isDate) return time.toString();
  return time.toUnixTime();
}

function rows(path) {
  const errors = [];
  let vcalendar;
  try {
    vcalendar = new ICAL.Component(ICAL.parse(readFileSync(path, "utf8")));
  } catch (err) {
    return { errors: [String(err)], events: [] };
  }
  ICAL.TimezoneService.reset();
  for (const zone of vcalendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(new ICAL.Timezone(zone));
  }
  const events = vcalendar.getAllSubcomponents("vevent").map((vevent) => {
    const event = new ICAL.Event(vevent);
    const categories = vevent.getAllProperties("categories").flatMap((p) => p.getValues());
    const alarms = vevent.getAllSubcomponents("valarm").map((alarm) => [
      alarm.getFirstPropertyValue("action"),
      alarm.getFirstPropertyValue("description"),
      alarm.getFirstPropertyValue("trigger").toSeconds(),
    ]);
    return [event.uid, event.summary, when(event.startDate), when(event.endDate),
            vevent.getFirstPropertyValue("status"), categories, alarms];
  });
  return { errors, events };
}

console.log(JSON.stringify(process.argv.slice(2).map(rows)));
