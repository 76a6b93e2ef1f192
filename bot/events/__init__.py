"""Round tables, Fachforen and meetings: announcing them, who hears about them, reminders and calendars.

The chat handlers (`handlers/events.py`, `handlers/subscriptions.py`) only talk; the rules live here so that
they can be tested without a chat and used by the benchmark: `parse` reads a coordinator's message, `scope`
decides who hears about what, `notices` fans messages out through the outbox, `quiet` holds pushes back at
night, `ics` and `feed` put events into calendars.
"""
