"""When to look for tickets that have come near the front of the line."""

from django.db import transaction


def texts_near_turn_on_commit(outlet_id: int) -> None:
    """After commit, queue one near-turn check of the whole hall (not one per
    ticket): the task reads the line as it is then and texts each newly near
    ticket once. Call it after any change that can bring a waiting ticket
    nearer: a call, a ticket leaving the line, a new ticket, a counter that
    opens or resumes.

    robust: the check is a convenience; a broker outage must not fail a write
    that has already committed, and the next change of the hall runs it again."""

    def enqueue():
        from ..tasks import texts_near_turn

        texts_near_turn.delay(outlet_id)

    transaction.on_commit(enqueue, robust=True)
