"""Reference knowledge the bot looks things up in: German places (see :mod:`knowledge.places`)."""
