"""The customer's satisfaction with a finished service: one 1-5 rating per ticket."""

from django.db import IntegrityError, transaction

from config.api import InvalidInput, NotFound

from ..errors import AlreadyRated, TicketNotDone
from ..models import Ticket, TicketRating, TicketStatus

SCORE_MIN, SCORE_MAX = 1, 5
COMMENT_MAX_LENGTH = 500


def _clean_comment(comment: str) -> str:
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise InvalidInput(fields={"comment": [f"留言最多 {COMMENT_MAX_LENGTH} 字 / At most {COMMENT_MAX_LENGTH} "
                                               "characters."]})
    # PostgreSQL text holds neither NUL nor a lone surrogate (UTF-8 cannot encode it).
    if "\x00" in comment or any("\ud800" <= ch <= "\udfff" for ch in comment):
        raise InvalidInput(fields={"comment": ["留言含有无法保存的字符 / The comment has characters that cannot be "
                                               "stored."]})
    return comment


def ticket_rate(*, token: str, score: int, comment: str = "") -> TicketRating:
    """Record the holder's 1-5 rating of a finished ticket, with an optional comment.

    Only a done ticket can be rated (TicketNotDone), and only once
    (AlreadyRated): the one-to-one constraint decides, so two taps racing each
    other store one rating and the other gets AlreadyRated. A score outside
    1-5 or a comment over 500 characters is InvalidInput; an unknown token
    NotFound."""
    if isinstance(score, bool) or not isinstance(score, int) or not SCORE_MIN <= score <= SCORE_MAX:
        raise InvalidInput(fields={"score": [f"请选择 {SCORE_MIN}-{SCORE_MAX} 分 / Choose a score from "
                                             f"{SCORE_MIN} to {SCORE_MAX}."]})
    comment = _clean_comment(comment)
    with transaction.atomic():
        ticket = Ticket.objects.filter(token=token).only("id", "status").first()
        if ticket is None:
            raise NotFound("No such ticket.")
        # `done` is final: no lock needed to keep it true until the insert.
        if ticket.status != TicketStatus.DONE:
            raise TicketNotDone()
        try:
            with transaction.atomic():  # a savepoint, so the outer block survives the refusal
                return TicketRating.objects.create(ticket=ticket, score=score, comment=comment)
        except IntegrityError:
            if TicketRating.objects.filter(ticket=ticket).exists():
                raise AlreadyRated() from None
            raise
