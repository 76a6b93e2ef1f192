"""The core every feature and platform shares: the app that turns an event into replies (`app`), the router,
the handler context, dialogs, buttons, the outbox with its delivery workers, and the per-person rate limit."""
