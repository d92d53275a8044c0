"""Collectors: sources that yield normalised posts and never touch the database."""
