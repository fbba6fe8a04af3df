"""Scheduled jobs, declared as data (P3). They run in their own process: `flask --app backend.app jobs run`."""
