"""Reports' records: rollups of the queue's tickets."""
