"""The engine: person columns, the social graph, random streams, Mesa agents and the daily phases."""
