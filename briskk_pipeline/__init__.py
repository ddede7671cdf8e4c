"""Placeholder until definitions land."""
