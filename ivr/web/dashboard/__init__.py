"""The supervisor's dashboard at /dashboard: the live wall and past days.

Modules: `pages` (the page, its live panels, the CSV), `view` (tiles and
labels from the figures in ivr.tickets.reports and ivr.api.wall), `charts`
(bar charts drawn on the server as SVG).
"""
