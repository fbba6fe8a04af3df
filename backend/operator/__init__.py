"""The operators' console: the people who run Bikri manage licenses and sites here."""
