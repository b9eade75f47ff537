"""The workplace collector agent: configuration, spool, daemon, manifest and commands."""
