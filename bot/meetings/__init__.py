"""Round tables, Fachforen and meetings: announcing them, who hears about them, reminders and calendars.

The chat handlers (`handlers/meetings.py`, `handlers/subscriptions.py`) only talk; the rules live here so that
they can be tested without a chat and used by the benchmark: `when` and `parse` read a coordinator's message,
`draft` holds an announcement being written, `scope` decides who hears about what, `service` writes events and
fans messages out through the outbox, `quiet` holds pushes back at night, `render` words them, `ics` and `feed`
put events into calendars.
"""
