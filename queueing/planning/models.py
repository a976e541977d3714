"""Planning's records: peak-flow warnings and their suggestions, forecasts,
rosters."""
