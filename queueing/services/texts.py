"""When to look for tickets that have come near the front of the line."""

from .. import events


def texts_near_turn_on_commit(outlet_id: int) -> None:
    """After commit, queue one near-turn check of the whole hall (not one per
    ticket): the task reads the line as it is then and texts each newly near
    ticket once. Call it after any change that can bring a waiting ticket
    nearer: a call, a ticket leaving the line, a new ticket, a counter that
    opens or resumes. Checks asked for close together are coalesced with the
    hall's other refreshes (events.refresh_hall_on_commit); the check is a
    convenience, and the next change of the hall runs it again if one fails."""
    events.refresh_hall_on_commit(outlet_id, texts=True)
