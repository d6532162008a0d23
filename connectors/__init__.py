"""Trackers in and out: a connector turns one tracker project into a Snapshot and writes back."""
