"""The web app and JSON API: FastAPI, Jinja2 and the GOV.UK Design System."""
