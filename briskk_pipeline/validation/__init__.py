"""Turning raw template rows into typed, validated rows and a report of every problem."""
