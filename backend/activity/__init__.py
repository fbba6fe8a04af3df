"""T2: the activity log. Every write by a person or by Bikri itself, one row each: who, when,
what, before -> after, from which page or API, the IP. `record()` only inserts (in the current
transaction); the features call it at their service entry points or the listeners here follow
their signals. The operators' console has its own log (OperatorAction)."""
