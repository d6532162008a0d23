"""Pure rules: Snapshot + context + options in, Findings out. No I/O, no clock reads."""
