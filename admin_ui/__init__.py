"""The coordinators' web UI. Not built yet: it comes with the issue on the admin UI and reports."""
