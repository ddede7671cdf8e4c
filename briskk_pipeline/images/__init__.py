"""Fetching, verifying and storing product images, safely; retrying the ones that failed."""
