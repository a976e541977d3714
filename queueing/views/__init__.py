"""HTML pages of the live floor, by audience: display (lobby wall and counter
screens), console (counter agents), customer (ticket page, taking a number)."""
