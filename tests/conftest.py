"""Shared pytest configuration for xlapulse."""
